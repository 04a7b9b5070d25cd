// The forms a dossier's content is typed into: the payment voucher (for every procedure with
// payment kinds in the catalogue), or the content as JSON for the others. Each field carries
// the API's path in data-field, so an error the API names is shown next to its field.
import { ApiError } from './api.js';
import { named, t } from './i18n.js';
import { payrollBlock } from './payroll-form.js';
import { budgetPaymentBlock } from './split-form.js';
import { control, h, localDay } from './ui.js';

const input = (name, attrs = {}) => h('input', { name, ...attrs });
const select = (name, options) => h('select', { name }, options.map(([v, label]) => h('option', { value: v }, label)));

/** The voucher form, empty or filled from a voucher already sent (a supplement). */
export function voucherForm(proc, me, initial = null) {
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
  for (let i = 0; i < Math.max(1, (initial?.lines || []).length); i += 1) addLine();
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
  if (initial) fill(initial);
  const split = budgetPaymentBlock(path, initial);   // Mẫu 14 / 18: kiêm nộp NSNN
  // Mẫu 20 / 21: a payroll's list; the voucher's total becomes the list's (one budget line).
  const payroll = payrollBlock((listTotal) => {
    if (listTotal === null || lines.children.length !== 1) return;
    lines.children[0].querySelector('[name="amount"]').value = String(listTotal);
    recount();
  });
  function fill(v) {
    const set = (el, value) => { if (value !== undefined && value !== null) el.value = String(value); };
    set(f.number, v.number); set(f.budget_year, v.budget_year); set(f.estimate_type, v.estimate_type);
    set(f.payment_kind, v.payment_kind); set(f.method, v.method);
    set(f.unit_code, v.payer?.unit_code); set(f.chapter_code, v.payer?.chapter_code); set(f.account, v.payer?.account);
    set(f.payee_name, v.payee?.name); set(f.tax_code, v.payee?.tax_code); set(f.payee_account, v.payee?.account);
    set(f.bank, v.payee?.bank);
    (v.lines || []).forEach((line, i) => {
      for (const k of ['content', 'economic_code', 'sector_code', 'source_code', 'amount']) {
        set(lines.children[i].querySelector(`[name="${k}"]`), line[k]);
      }
    });
    const known = ['number', 'budget_year', 'estimate_type', 'payment_kind', 'method', 'payer', 'lines', 'total', 'payee', 'budget_payment'];
    const extra = Object.fromEntries(Object.entries(v).filter(([k]) => !known.includes(k)));
    if (Object.keys(extra).length) f.extra.value = JSON.stringify(extra, null, 2);
    recount();
  }
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
      h('table', { class: 'lines' }, h('thead', {}, h('tr', {}, [t('lineContent'), t('economicCode'), t('sectorCode'), t('sourceCode'), t('amount')]
        .map((c) => h('th', { scope: 'col' }, c)))), lines),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: addLine }, t('addLine'))),
      control(t('total'), total, `${path}.total`)),
    h('fieldset', { class: 'card' }, h('legend', {}, t('payee')),
      h('div', { class: 'grid' },
        control(t('payeeName'), f.payee_name, `${path}.payee.name`), control(t('payeeTaxCode'), f.tax_code, `${path}.payee.tax_code`),
        control(t('payeeAccount'), f.payee_account, `${path}.payee.account`), control(t('payeeBank'), f.bank, `${path}.payee.bank`)),
      proc.voucher_blocks.length ? control(`${proc.voucher_blocks.join(', ')} (JSON)`, f.extra, path) : null),
    split.element, proc.components.some((c) => c.kind === 'payee_list') ? payroll.element : null);
  const value = () => {
    let extra = {};
    if (f.extra.value.trim()) {
      try { extra = JSON.parse(f.extra.value); } catch {
        throw new ApiError(0, { error: { code: 'invalid_json', field: path, message: t('invalidJson') } });
      }
    }
    const payee = { name: f.payee_name.value.trim(), account: f.payee_account.value.trim(), bank: f.bank.value.trim() };
    if (f.tax_code.value.trim()) payee.tax_code = f.tax_code.value.trim();
    return split.apply({
      number: f.number.value.trim(), budget_year: parseInt(f.budget_year.value, 10),
      estimate_type: f.estimate_type.value, payment_kind: f.payment_kind.value, method: f.method.value,
      payer: { unit_code: f.unit_code.value.trim(), chapter_code: f.chapter_code.value.trim(), account: f.account.value.trim() },
      lines: [...lines.children].map((row) => {
        const v = (n) => row.querySelector(`[name="${n}"]`).value.trim();
        return { content: v('content'), economic_code: v('economic_code'), sector_code: v('sector_code'),
          source_code: v('source_code'), amount: parseInt(v('amount'), 10) || 0 };
      }),
      total: parseInt(total.value, 10) || 0, payee, ...extra,
    });
  };
  return { element, value, payeeList: payroll.value };
}

export function jsonForm(proc, initial = null) {
  const area = h('textarea', { name: 'content', rows: 14, spellcheck: 'false' },
    JSON.stringify(initial || { procedure: proc.code }, null, 2));
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
