// One of the unit's dossiers: status, due time, result (the debit advice), documents, history;
// and, when the treasury asked for a supplement, the form to answer it (the voucher's or the
// account procedure's form filled with what was sent, to correct; more files; signed again:
// POST /v1/dossiers/{id}/supplement).
import { get, post, procedures } from '../api.js';
import { accountForm } from '../account-forms.js';
import { documents, facts, history, result, supplementReason } from '../dossier.js';
import { jsonForm, voucherForm } from '../forms.js';
import { payeeLines } from '../payee-lines.js';
import { t } from '../i18n.js';
import { signingPanel } from '../signing.js';
import { uploadsPanel } from '../uploads.js';
import { busy, h, heading, loading, refreshButton } from '../ui.js';

async function supplementForm(d, me, redraw) {
  const reason = await supplementReason(d.dossier_id);
  const proc = (await procedures()).find((p) => p.code === d.procedure && p.version === d.version)
    || { code: d.procedure, payment_kinds: [], voucher_blocks: [], components: [], required_signers: [] };
  const form = proc.payment_kinds.length && d.content.voucher
    ? voucherForm(proc, me, d.content.voucher) : accountForm(proc, d.content) || jsonForm(proc, d.content);
  let signing = null;
  const uploads = uploadsPanel(proc.components, () => signing.reset());
  const content = () => {
    const body = form.whole ? form.value() : { ...d.content, voucher: form.value() };
    // A payroll's corrected list is imported again and signed with the corrected voucher.
    const payeeList = form.payeeList && form.payeeList();
    if (payeeList) body.payee_list = payeeList;
    const added = uploads.manifest();
    if (added.length) body.documents = [...(body.documents || []), ...added];
    return body;
  };
  signing = signingPanel({ content, titles: proc.required_signers });
  form.element.addEventListener('input', () => signing.reset());
  const send = h('button', { type: 'submit', dataset: { action: 'send-supplement' } }, t('answerSupplement'));
  const element = h('form', { class: 'supplement', novalidate: true, 'aria-label': t('answerSupplement') },
    h('div', { class: 'notice', role: 'status' }, h('strong', {}, t('supplementRequested')),
      reason ? h('p', { dataset: { reason } }, `${t('reason')}: ${reason}`) : null, h('p', {}, t('supplementHint'))),
    form.element, uploads.element, signing.element, h('div', { class: 'actions' }, send));
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(send, element, async () => {
      const submission = signing.ready();
      await post(`/dossiers/${d.dossier_id}/supplement`, submission);
      await redraw();
    });
  });
  return element;
}

export async function render(page, { params: [id], me }) {
  const refresh = refreshButton();
  const body = h('div', {}, loading());
  page.append(heading(`${t('dossier')} ${id}`),
    h('div', { class: 'actions' }, h('a', { href: '#/unit/dossiers' }, t('back')), refresh), body);
  const draw = async () => {
    const d = await get(`/dossiers/${id}`);
    const parts = [await facts(d), result(d)];
    if (d.content?.payee_list) parts.push(await payeeLines(id));   // a payroll: each line's status
    if (d.status === 'awaiting_supplement') parts.push(await supplementForm(d, me, draw));
    parts.push(await documents(id, d), await history(id));
    body.replaceChildren(...parts.filter(Boolean));
    page.dataset.status = d.status;
  };
  refresh.addEventListener('click', () => busy(refresh, body, draw));
  await draw();
}
