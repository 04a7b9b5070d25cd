// A new dossier: the procedure's form (from the catalogue, GET /v1/procedures: a voucher, an
// account procedure's form, or the content as JSON for any other), attachments,
// signatures (signing.js) and the submission (POST /v1/dossiers with an Idempotency-Key, so a
// retried click cannot submit twice).
import { post, procedures } from '../api.js';
import { accountForm } from '../account-forms.js';
import { jsonForm, voucherForm } from '../forms.js';
import { named, t } from '../i18n.js';
import { signingPanel } from '../signing.js';
import { uploadsPanel } from '../uploads.js';
import { busy, control, empty, h, heading, localDay } from '../ui.js';

function inForce(p, today) {
  return !p.without_login && p.effective_from <= today && (!p.effective_to || p.effective_to >= today);
}

export async function render(page, { me, query }) {
  page.append(heading(t('submitTitle')));
  const catalogue = (await procedures()).filter((p) => inForce(p, localDay()));
  if (!catalogue.length) {
    page.append(empty(t('noFigures')));
    return;
  }
  const chooser = h('select', { name: 'procedure' }, catalogue.map((p) => h('option', { value: p.code },
    `${named(p)} (${p.legal_basis})`)));
  const wanted = query && query.get('procedure');   // e.g. from the auto-pay screen's "new"
  if (wanted && catalogue.some((p) => p.code === wanted)) chooser.value = wanted;
  const holder = h('div');
  page.append(h('div', { class: 'card' }, control(t('chooseProcedure'), chooser, 'content.procedure')), holder);
  const draw = () => {
    const proc = catalogue.find((p) => p.code === chooser.value);
    const form = proc.payment_kinds.length ? voucherForm(proc, me) : accountForm(proc) || jsonForm(proc);
    let signing = null;
    const uploads = uploadsPanel(proc.components, () => signing.reset());
    const content = () => {
      const body = form.whole ? form.value() : { procedure: proc.code, voucher: form.value() };
      const payeeList = form.payeeList && form.payeeList();
      if (payeeList) body.payee_list = payeeList;   // signed with the voucher, as one content
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
        const submission = signing.ready();
        const created = await post('/dossiers', submission, { 'Idempotency-Key': idempotencyKey });
        location.hash = `#/unit/dossiers/${created.dossier_id}`;
      });
    });
    holder.replaceChildren(form_);
  };
  chooser.addEventListener('change', draw);
  draw();
}
