// The unit's reconciliation statements (Decree 347/2025 Art. 10): the period's figures, and
// for one still awaiting the unit, the signed answer "matches" or a dispute with its details
// (POST /v1/statements/{id}/reply, signed by the chief accountant and the account holder).
import { all, post } from '../api.js';
import { t } from '../i18n.js';
import { signingPanel } from '../signing.js';
import { busy, control, empty, h, heading, loading, money, refreshButton, statusBadge, when } from '../ui.js';

const SIGNERS = ['chief_accountant', 'account_holder'];

function replyForm(s, redraw) {
  const matches = h('input', { type: 'radio', name: `answer-${s.statement_id}`, value: 'matches', checked: true, id: `m-${s.statement_id}` });
  const disputes = h('input', { type: 'radio', name: `answer-${s.statement_id}`, value: 'disputes', id: `d-${s.statement_id}` });
  const details = h('textarea', { name: 'details', rows: 2 });
  const content = () => {
    const body = { statement_id: s.statement_id, answer: disputes.checked ? 'disputes' : 'matches' };
    if (disputes.checked) body.details = details.value.trim();
    return body;
  };
  const signing = signingPanel({ content, titles: SIGNERS });
  const send = h('button', { type: 'submit', dataset: { action: 'reply' } }, t('send'));
  const form = h('form', { class: 'card reply', novalidate: true, 'aria-label': `${t('answer')} ${s.period}` },
    h('fieldset', {}, h('legend', {}, t('answer')),
      h('div', {}, matches, h('label', { for: matches.id, class: 'inline' }, t('confirmMatches'))),
      h('div', {}, disputes, h('label', { for: disputes.id, class: 'inline' }, t('dispute')))),
    control(t('details'), details, 'content.details'), signing.element, h('div', { class: 'actions' }, send));
  form.addEventListener('input', (event) => { if (!signing.element.contains(event.target)) signing.reset(); });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(send, form, async () => {
      const submission = signing.ready();
      await post(`/statements/${s.statement_id}/reply`, submission);
      await redraw(t('replied'));
    });
  });
  return form;
}

export async function render(page) {
  const refresh = refreshButton();
  const body = h('div', {}, loading());
  page.append(heading(t('statementsTitle')), h('div', { class: 'actions' }, refresh), body);
  const draw = async (message) => {
    const items = await all('/statements', {}, 200);
    if (!items.length) {
      body.replaceChildren(empty(t('noStatements')));
      return;
    }
    body.replaceChildren(message ? h('p', { class: 'notice', role: 'status' }, message) : '',
      ...items.map((s) => h('section', { class: 'card statement', dataset: { statement: s.statement_id, status: s.status } },
        h('h2', {}, `${t('period')} ${s.period} · ${s.account_id} `, statusBadge(s.status)),
        h('dl', { class: 'facts' },
          h('dt', {}, t('opening')), h('dd', {}, money(s.opening_balance)),
          h('dt', {}, t('debits')), h('dd', {}, money(s.debits)),
          h('dt', {}, t('credits')), h('dd', {}, money(s.credits)),
          h('dt', {}, t('closing')), h('dd', { dataset: { closing: s.closing_balance } }, money(s.closing_balance)),
          h('dt', {}, t('replyBy')), h('dd', {}, s.reply_by),
          s.reply ? [h('dt', {}, t('answer')), h('dd', {}, `${s.reply.answer} · ${when(s.reply.replied_at)}`)] : null),
        s.status === 'issued' ? replyForm(s, draw) : null)));
  };
  refresh.addEventListener('click', () => busy(refresh, body, () => draw()));
  await draw();
}
