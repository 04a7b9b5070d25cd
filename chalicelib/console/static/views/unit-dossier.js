// One of the unit's dossiers: status, due time, result (the debit advice), documents, history;
// and, when the treasury asked for a supplement, the form to answer it (corrected content,
// more files, signed again: POST /v1/dossiers/{id}/supplement).
import { ApiError, get, post, procedures } from '../api.js';
import { documents, facts, history, result, supplementReason } from '../dossier.js';
import { t } from '../i18n.js';
import { canonical, signingPanel } from '../signing.js';
import { uploadsPanel } from '../uploads.js';
import { busy, control, h, heading, loading } from '../ui.js';

async function supplementForm(d, redraw) {
  const reason = await supplementReason(d.dossier_id);
  const procs = await procedures();
  const proc = procs.find((p) => p.code === d.procedure && p.version === d.version) || { components: [], required_signers: [] };
  const area = h('textarea', { name: 'content', rows: 12, spellcheck: 'false' }, JSON.stringify(d.content, null, 2));
  let signing = null;
  const uploads = uploadsPanel(proc.components, () => signing.reset());
  const content = () => {
    let body;
    try { body = JSON.parse(area.value); } catch {
      throw new ApiError(0, { error: { code: 'invalid_json', field: 'content', message: t('invalidJson') } });
    }
    const added = uploads.manifest();
    if (added.length) body.documents = [...(body.documents || []), ...added];
    return body;
  };
  signing = signingPanel({ content, titles: proc.required_signers });
  area.addEventListener('input', () => signing.reset());
  const send = h('button', { type: 'submit', dataset: { action: 'send-supplement' } }, t('answerSupplement'));
  const form = h('form', { class: 'supplement', novalidate: true, 'aria-label': t('answerSupplement') },
    h('div', { class: 'notice', role: 'status' }, h('strong', {}, t('supplementRequested')),
      reason ? h('p', { dataset: { reason } }, `${t('reason')}: ${reason}`) : null, h('p', {}, t('supplementHint'))),
    h('div', { class: 'card' }, control(t('content'), area, 'content')),
    uploads.element, signing.element, h('div', { class: 'actions' }, send));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(send, form, async () => {
      const submission = signing.submission();
      if (!submission) throw new ApiError(0, { error: { code: 'signature_missing', message: t('needSignatures') } });
      if (canonical(content()) !== canonical(submission.content)) {
        signing.reset();
        throw new ApiError(0, { error: { code: 'content_changed', message: t('editAfterSign') } });
      }
      await post(`/dossiers/${d.dossier_id}/supplement`, submission);
      await redraw();
    });
  });
  return form;
}

export async function render(page, { params: [id] }) {
  const refresh = h('button', { type: 'button', class: 'secondary', dataset: { action: 'refresh' } }, t('refresh'));
  const body = h('div', {}, loading());
  page.append(heading(`${t('dossier')} ${id}`),
    h('div', { class: 'actions' }, h('a', { href: '#/unit/dossiers' }, t('back')), refresh), body);
  const draw = async () => {
    const d = await get(`/dossiers/${id}`);
    const parts = [await facts(d), result(d)];
    if (d.status === 'awaiting_supplement') parts.push(await supplementForm(d, draw));
    parts.push(await documents(id), await history(id));
    body.replaceChildren(...parts.filter(Boolean));
    page.dataset.status = d.status;
  };
  refresh.addEventListener('click', () => busy(refresh, body, draw));
  await draw();
}
