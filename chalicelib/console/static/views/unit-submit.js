// A new dossier: the procedure's form (from the catalogue, GET /v1/procedures), attachments,
// signatures (signing.js) and the submission (POST /v1/dossiers with an Idempotency-Key, so a
// retried click cannot submit twice).
import { ApiError, post, procedures } from '../api.js';
import { named, t } from '../i18n.js';
import { canonical, signingPanel } from '../signing.js';
import { uploadsPanel } from '../uploads.js';
import { busy, control, empty, h, heading, localDay } from '../ui.js';

function inForce(p, today) {
  return !p.without_login && p.effective_from <= today && (!p.effective_to || p.effective_to >= today);
}

const input = (name, attrs = {}) => h('input', { name, ...attrs });
const select = (name, options) => h('select', { name }, options.map(([v, label]) => h('option', { value: v }, label)));

function voucherForm(proc, me) {
  const path = 'content.voucher';
  const lines = h('tbody');
  const total = input('total', { readonly: true, inputmode: 'numeric' });
  const recount = () => {
    const sum = [...lines.querySelectorAll('input[name="amount"]')].reduce((s, el) => s + (parseInt(el.value, 10) || 0), 0);
    total.value = String(sum);
  };
  const addLine = () => {
    const i = lines.children.length;
    const cell = (name, attrs, label) => h('td', {}, input(name, { ...attrs, 'aria-label': `${label} ${i + 1}`,
      dataset: { field: `${path}.lines[${i}].${name}` } }));
    lines.append(h('tr', {},
      cell('content', {}, t('lineContent')), cell('economic_code', { inputmode: 'numeric', size: 5 }, t('economicCode')),
      cell('sector_code', { inputmode: 'numeric', size: 4 }, t('sectorCode')),
      cell('source_code', { inputmode: 'numeric', size: 3 }, t('sourceCode')),
      cell('amount', { inputmode: 'numeric', oninput: recount }, t('amount'))));
  };
  addLine();
  const f = {
    number: input('number'), budget_year: input('budget_year', { value: localDay().slice(0, 4), inputmode: 'numeric' }),
    estimate_type: select('estimate_type', [['official', t('estimate_official')], ['temporary', t('estimate_temporary')]]),
    payment_kind: select('payment_kind', proc.payment_kinds.map((k) => [k.code, named(k)])),
    method: select('method', [['transfer', t('method_transfer')], ['cash', t('method_cash')]]),
    unit_code: input('unit_code', { value: me.unit_id || '', inputmode: 'numeric' }),
    chapter_code: input('chapter_code', { inputmode: 'numeric' }), account: input('account'),
    payee_name: input('payee_name'), tax_code: input('tax_code', { inputmode: 'numeric' }),
    payee_account: input('payee_account'), bank: input('bank'),
    extra: h('textarea', { name: 'extra', rows: 3, placeholder: '{"contract": {...}}' }),
  };
  const element = h('div', {},
    h('fieldset', { class: 'card' }, h('legend', {}, t('voucher')),
      h('div', { class: 'grid' },
        control(t('voucherNumber'), f.number, `${path}.number`), control(t('budgetYear'), f.budget_year, `${path}.budget_year`),
        control(t('estimateType'), f.estimate_type, `${path}.estimate_type`),
        control(t('paymentKind'), f.payment_kind, `${path}.payment_kind`), control(t('method'), f.method, `${path}.method`),
        control(t('unitCode'), f.unit_code, `${path}.payer.unit_code`),
        control(t('chapterCode'), f.chapter_code, `${path}.payer.chapter_code`),
        control(t('payerAccount'), f.account, `${path}.payer.account`))),
    h('fieldset', { class: 'card' }, h('legend', {}, t('lines')),
      h('table', {}, h('thead', {}, h('tr', {}, [t('lineContent'), t('economicCode'), t('sectorCode'), t('sourceCode'), t('amount')]
        .map((c) => h('th', { scope: 'col' }, c)))), lines),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: addLine }, t('addLine'))),
      control(t('total'), total, `${path}.total`)),
    h('fieldset', { class: 'card' }, h('legend', {}, t('payee')),
      h('div', { class: 'grid' },
        control(t('payeeName'), f.payee_name, `${path}.payee.name`), control(t('payeeTaxCode'), f.tax_code, `${path}.payee.tax_code`),
        control(t('payeeAccount'), f.payee_account, `${path}.payee.account`), control(t('payeeBank'), f.bank, `${path}.payee.bank`)),
      proc.voucher_blocks.length ? control(`${proc.voucher_blocks.join(', ')} (JSON)`, f.extra, path) : null));
  const value = () => {
    let extra = {};
    if (f.extra.value.trim()) {
      try { extra = JSON.parse(f.extra.value); } catch {
        throw new ApiError(0, { error: { code: 'invalid_json', field: path, message: t('invalidJson') } });
      }
    }
    const payee = { name: f.payee_name.value.trim(), account: f.payee_account.value.trim(), bank: f.bank.value.trim() };
    if (f.tax_code.value.trim()) payee.tax_code = f.tax_code.value.trim();
    return {
      number: f.number.value.trim(), budget_year: parseInt(f.budget_year.value, 10),
      estimate_type: f.estimate_type.value, payment_kind: f.payment_kind.value, method: f.method.value,
      payer: { unit_code: f.unit_code.value.trim(), chapter_code: f.chapter_code.value.trim(), account: f.account.value.trim() },
      lines: [...lines.children].map((row) => {
        const v = (n) => row.querySelector(`[name="${n}"]`).value.trim();
        return { content: v('content'), economic_code: v('economic_code'), sector_code: v('sector_code'),
          source_code: v('source_code'), amount: parseInt(v('amount'), 10) || 0 };
      }),
      total: parseInt(total.value, 10) || 0, payee, ...extra,
    };
  };
  return { element, value };
}

function jsonForm(proc) {
  const area = h('textarea', { name: 'content', rows: 14, spellcheck: 'false' },
    JSON.stringify({ procedure: proc.code }, null, 2));
  return {
    element: h('fieldset', { class: 'card' }, h('legend', {}, t('contentJson')),
      h('p', { class: 'muted' }, t('contentJsonHint')), control(t('content'), area, 'content')),
    value: () => {
      try { return JSON.parse(area.value); } catch {
        throw new ApiError(0, { error: { code: 'invalid_json', field: 'content', message: t('invalidJson') } });
      }
    },
    whole: true,
  };
}

export async function render(page, { me }) {
  page.append(heading(t('submitTitle')));
  const catalogue = (await procedures()).filter((p) => inForce(p, localDay()));
  if (!catalogue.length) {
    page.append(empty(t('noFigures')));
    return;
  }
  const chooser = h('select', { name: 'procedure' }, catalogue.map((p) => h('option', { value: p.code },
    `${named(p)} (${p.legal_basis})`)));
  const holder = h('div');
  page.append(h('div', { class: 'card' }, control(t('chooseProcedure'), chooser, 'content.procedure')), holder);
  const draw = () => {
    const proc = catalogue.find((p) => p.code === chooser.value);
    const form = proc.payment_kinds.length ? voucherForm(proc, me) : jsonForm(proc);
    let signing = null;
    const uploads = uploadsPanel(proc.components, () => signing.reset());
    const content = () => {
      const body = form.whole ? form.value() : { procedure: proc.code, voucher: form.value() };
      const documents = uploads.manifest();
      if (documents.length) body.documents = [...(body.documents || []), ...documents];
      return body;
    };
    signing = signingPanel({ content, titles: proc.required_signers });
    const idempotencyKey = `console-${crypto.randomUUID()}`;
    const send = h('button', { type: 'submit', dataset: { action: 'send' } }, t('send'));
    const form_ = h('form', { novalidate: true, 'aria-label': t('submitTitle') },
      form.element, uploads.element, signing.element, h('div', { class: 'actions' }, send));
    form.element.addEventListener('input', () => signing.reset());
    form_.addEventListener('submit', (event) => {
      event.preventDefault();
      busy(send, form_, async () => {
        const submission = signing.submission();
        if (!submission) throw new ApiError(0, { error: { code: 'signature_missing', message: t('needSignatures') } });
        if (canonical(content()) !== canonical(submission.content)) {
          signing.reset();
          throw new ApiError(0, { error: { code: 'content_changed', message: t('editAfterSign') } });
        }
        const created = await post('/dossiers', submission, { 'Idempotency-Key': idempotencyKey });
        location.hash = `#/unit/dossiers/${created.dossier_id}`;
      });
    });
    holder.replaceChildren(form_);
  };
  chooser.addEventListener('change', draw);
  draw();
}
