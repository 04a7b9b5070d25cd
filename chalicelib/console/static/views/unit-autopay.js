// The unit's utility auto-pay (Decree 347/2025 Art.6 cl.3 pt.a): each authorisation it gave
// (GET /v1/autopay), every bill decided under it with the amount, the outcome and a refusal's
// reason (GET /v1/autopay/{id}); its account holder revokes one, after confirming with a reason
// (POST /v1/autopay/{id}/revoke; immediate: later bills are refused). A new authorisation is a
// letter signed like any dossier, sent from the submission screen.
import { get, post } from '../api.js';
import { label, t } from '../i18n.js';
import '../strings-spending.js';
import { busy, empty, h, heading, loading, money, refreshButton, when } from '../ui.js';

const PROCEDURE = 'utility_autopay_authorisation';

function bills(list) {
  if (!list.length) return empty(t('autopayNoBills'));
  return h('table', { class: 'autopay-bills' },
    h('thead', {}, h('tr', {}, [t('autopayBill'), t('autopayCustomerCode'), t('period'), t('amount'), t('autopayOutcome'), t('reason'), t('autopayDecidedAt')]
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.map((b) => h('tr', { dataset: { bill: b.bill_id, outcome: b.outcome, code: b.code || '' } },
      h('td', {}, b.bill_id), h('td', {}, b.customer_code || t('none')), h('td', {}, b.period || t('none')),
      h('td', {}, money(b.amount)), h('td', {}, h('span', { class: `badge ${b.outcome}` }, label('billOutcome', b.outcome))),
      h('td', {}, b.reason || t('none')), h('td', {}, when(b.decided_at))))));
}

/** The confirm dialog: resolves with the reason given, or null when cancelled. */
function confirmRevoke(a) {
  return new Promise((resolve) => {
    const reason = h('textarea', { name: 'revoke_reason', rows: 3, maxlength: 500 });
    const dialog = h('dialog', { class: 'card', 'aria-label': t('autopayRevoke') },
      h('h2', {}, t('autopayRevokeConfirm')),
      h('p', {}, `${a.provider.name} · ${a.provider.customer_codes.join(', ')}`),
      h('label', {}, t('reason'), reason),
      h('div', { class: 'actions' },
        h('button', { type: 'button', dataset: { action: 'confirm-revoke' }, onclick: () => { dialog.close(); resolve(reason.value.trim()); } }, t('autopayRevoke')),
        h('button', { type: 'button', class: 'secondary', dataset: { action: 'cancel-revoke' }, onclick: () => { dialog.close(); resolve(null); } }, t('cancel'))));
    dialog.addEventListener('close', () => { dialog.remove(); resolve(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

function authorisation(a, me, redraw) {
  const holder = me.roles.includes('account_holder');
  const revoke = a.status === 'in_force' && holder
    ? h('button', { type: 'button', class: 'danger', dataset: { action: 'revoke' } }, t('autopayRevoke')) : null;
  const card = h('section', { class: 'card', dataset: { authorisation: a.authorisation_id, status: a.status } },
    h('h2', {}, `${a.provider.name} — ${label('service', a.provider.service_kind)} `,
      h('span', { class: `badge ${a.status}` }, label('autopayStatus', a.status))),
    h('dl', { class: 'facts' },
      h('dt', {}, t('autopayCustomerCode')), h('dd', {}, a.provider.customer_codes.join(', ')),
      h('dt', {}, t('autopayCollector')), h('dd', {}, `${a.collector.name} · ${a.collector.account} (${a.collector.bank_code})`),
      h('dt', {}, t('autopayDebitAccount')), h('dd', {}, a.debit_account),
      h('dt', {}, t('autopayCeiling')), h('dd', {}, a.ceiling_per_bill ? money(a.ceiling_per_bill) : t('none')),
      h('dt', {}, t('autopayValidity')), h('dd', {}, `${a.valid_from} – ${a.valid_to || t('none')}`),
      h('dt', {}, t('autopayInForceAt')), h('dd', {}, when(a.in_force_at)),
      a.revoked_at ? [h('dt', {}, t('autopayRevokedAt')), h('dd', { dataset: { part: 'revoked' } },
        `${when(a.revoked_at)}${a.revocation_reason ? ` · ${a.revocation_reason}` : ''}`)] : null),
    h('h3', {}, t('autopayBills')), bills(a.bills || []),
    revoke ? h('div', { class: 'actions' }, revoke) : null);
  if (revoke) {
    revoke.addEventListener('click', async () => {
      const reason = await confirmRevoke(a);
      if (reason === null) return;
      await busy(revoke, card, async () => {
        await post(`/autopay/${a.authorisation_id}/revoke`, reason ? { reason } : {});
        await redraw();
      });
    });
  }
  return card;
}

export async function render(page, { me }) {
  const refresh = refreshButton();
  const body = h('div', {}, loading());
  page.append(heading(t('autopayTitle')), h('p', { class: 'muted' }, t('autopayHint')),
    h('div', { class: 'actions' }, h('a', { href: `#/unit/submit?procedure=${PROCEDURE}`, class: 'button', dataset: { action: 'new-autopay' } }, t('autopayNew')), refresh), body);
  const draw = async () => {
    const { items } = await get('/autopay');
    const full = await Promise.all(items.map((a) => get(`/autopay/${a.authorisation_id}`)));
    body.replaceChildren(...(full.length ? full.map((a) => authorisation(a, me, draw)) : [empty(t('autopayNone'))]));
  };
  refresh.addEventListener('click', () => busy(refresh, body, draw));
  await draw();
}
