// A dossier as the office sees it: the facts, the documents, the automatic checklist (pass or
// fail per check; "not required" where the law exempts it, e.g. deposit accounts), the signatures re-verified now, the history; the decision when a step of it
// waits for this person (with a reason where the catalogue wants one); a delay reason when late.
import { all, get, post } from '../api.js';
import { documents, facts, history, result, signedContent } from '../dossier.js';
import { label, stepLabel, t } from '../i18n.js';
import { busy, control, empty, h, heading, loading, refreshButton } from '../ui.js';

async function checklist(id) {
  const list = await get(`/dossiers/${id}/checks`);
  return h('section', {}, h('h2', {}, t('checks')), list.checks.length ? h('table', { class: 'checks' },
    h('tbody', {}, list.checks.map((c) => h('tr', { dataset: { check: c.code, passed: String(c.passed), required: String(c.required !== false) } },
      h('td', {}, c.required === false ? h('span', { class: 'badge muted' }, t('notRequired'))
        : h('span', { class: `badge ${c.passed ? 'pass' : 'fail'}` }, c.passed ? t('pass') : t('fail'))),
      h('td', {}, c.label_vi), h('td', { class: 'muted' }, c.detail || '')))))
    : empty(t('none')));
}

async function signatures(id) {
  const list = await get(`/dossiers/${id}/signatures`);
  return h('section', {}, h('h2', {}, t('signatures')), list.signatures.length ? h('table', { class: 'signatures' },
    h('thead', {}, h('tr', {}, [t('title'), t('signer'), t('signatures'), t('certChain'), t('status')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.signatures.map((s) => {
      const good = s.signature_valid && s.chain_valid_at_receipt && s.status_now === 'active';
      return h('tr', { dataset: { title: s.title, valid: String(good) } },
        h('td', {}, t(`title_${s.title}`)), h('td', {}, s.signer || t('none')),
        h('td', {}, h('span', { class: `badge ${s.signature_valid ? 'pass' : 'fail'}` }, s.signature_valid ? t('verified') : t('notVerified'))),
        h('td', {}, h('span', { class: `badge ${s.chain_valid_at_receipt ? 'pass' : 'fail'}` }, s.chain_valid_at_receipt ? t('verified') : t('notVerified'))),
        h('td', { dataset: { certStatus: s.status_now } }, label('cert', s.status_now)));
    }))) : empty(t('none')));
}

function decisionForm(task, done) {
  const reason = h('textarea', { name: 'reason', rows: 3 });
  const form = h('form', { class: 'card decision', novalidate: true, 'aria-label': t('decide') },
    h('h2', {}, `${t('decide')}: ${stepLabel(task.step, task.step_label_vi)}`), control(t('decisionReason'), reason, 'reason'));
  const buttons = task.allowed_decisions.map((decision) => h('button', {
    type: 'button', class: ['refuse', 'send_back', 'does_not_match'].includes(decision) ? 'danger'
      : decision === 'request_supplement' ? 'secondary' : null,
    dataset: { decision } }, t(`decision_${decision}`)));
  for (const button of buttons) {
    button.addEventListener('click', () => busy(button, form, async () => {
      const body = { decision: button.dataset.decision };
      if (reason.value.trim()) body.reason = reason.value.trim();
      await post(`/tasks/${task.task_id}/decision`, body);
      await done(t('decided'));
    }));
  }
  form.append(h('div', { class: 'actions' }, buttons));
  return form;
}

function delayForm(id, done) {
  const reason = h('textarea', { name: 'delay-reason', rows: 2 });
  const button = h('button', { type: 'submit', class: 'secondary' }, t('recordDelay'));
  const form = h('form', { class: 'card delay', novalidate: true, 'aria-label': t('recordDelay') },
    control(t('delayReason'), reason, 'reason'), h('div', { class: 'actions' }, button));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(button, form, async () => {
      await post(`/dossiers/${id}/delay-reason`, { reason: reason.value.trim() });
      await done(t('delayRecorded'));
    });
  });
  return form;
}

export async function render(page, { params: [id], me }) {
  const refresh = refreshButton();
  const back = me.roles.includes('leader') ? '#/leader/approvals' : '#/officer/inbox';
  const body = h('div', {}, loading());
  page.append(heading(`${t('dossier')} ${id}`),
    h('div', { class: 'actions' }, h('a', { href: back }, t('back')), refresh), body);
  const draw = async (message) => {
    const d = await get(`/dossiers/${id}`);
    const task = (await all('/tasks', { state: 'open' }))
      .find((x) => x.dossier_id === id && x.kind === 'decision' && x.allowed_decisions.length);
    const late = d.step && d.due_at && Date.parse(d.due_at) < Date.now();
    body.replaceChildren(...[
      message ? h('p', { class: 'notice', role: 'status' }, message) : null,
      await facts(d), result(d),
      task ? decisionForm(task, draw) : h('p', { class: 'muted', dataset: { noTask: 'true' } }, t('noOpenTask')),
      late ? delayForm(id, draw) : null,
      signedContent(d), await checklist(id), await signatures(id), await documents(id, d), await history(id),
    ].filter(Boolean));
    page.dataset.status = d.status;
  };
  refresh.addEventListener('click', () => busy(refresh, body, () => draw()));
  await draw();
}
