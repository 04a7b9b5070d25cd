// The unit's dossiers, newest first: status, due time, and a link to each one's page.
import { all, procedureNames } from '../api.js';
import { named, t } from '../i18n.js';
import { empty, h, heading, loading, money, refreshButton, statusBadge, when } from '../ui.js';

export async function render(page) {
  const refresh = refreshButton();
  const body = h('div', {}, loading());
  page.append(heading(t('navUnitDossiers')),
    h('div', { class: 'actions' }, h('a', { href: '#/unit/submit' }, t('navSubmit')), refresh), body);
  const draw = async () => {
    const [items, names] = await Promise.all([all('/dossiers', {}, 200), procedureNames()]);
    if (!items.length) {
      body.replaceChildren(empty(t('noDossiers')));
      return;
    }
    const now = Date.now();
    body.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, [t('voucherNumber'), t('procedure'), t('amount'), t('status'),
        t('receivedAt'), t('dueAt')].map((c, i) => h('th', { scope: 'col', class: i === 2 ? 'num' : null }, c)))),
      h('tbody', {}, items.map((d) => h('tr', { dataset: { dossier: d.dossier_id, status: d.status } },
        h('td', {}, h('a', { href: `#/unit/dossiers/${d.dossier_id}` }, d.voucher_number || d.dossier_id)),
        h('td', {}, names.has(d.procedure) ? named(names.get(d.procedure)) : d.procedure),
        h('td', { class: 'num' }, money(d.amount)),
        h('td', {}, statusBadge(d.status)),
        h('td', {}, when(d.received_at)),
        h('td', {}, when(d.due_at), d.due_at && Date.parse(d.due_at) < now && d.step
          ? [' ', h('span', { class: 'badge overdue' }, t('overdue'))] : null))))));
  };
  refresh.addEventListener('click', draw);
  await draw();
}
