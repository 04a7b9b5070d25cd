// The unit's advance register (sổ theo dõi tạm ứng, Decree 347/2025 Art.6 cl.2 pt.e): each paid
// advance, what its settlements converted, what is left and how old it is; an advance still open
// after its budget year's adjustment period is marked (GET /v1/advances).
import { get } from '../api.js';
import { t } from '../i18n.js';
import { busy, empty, h, heading, loading, money, refreshButton, when } from '../ui.js';

export async function render(page) {
  const refresh = refreshButton();
  const body = h('div', {}, loading());
  page.append(heading(t('advancesTitle')), h('div', { class: 'actions' }, refresh), body);
  const draw = async () => {
    const register = await get('/advances', { open: 'false' });
    const columns = [t('dossier'), t('advanceAmount'), t('advanceSettled'), t('advanceLeft'),
      t('advancePaidAt'), t('advanceAge'), t('advancePeriodEnds')];
    body.replaceChildren(register.items.length ? h('table', { class: 'advances' },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, register.items.map((a) => h('tr', { dataset: { advance: a.dossier_id, left: String(a.left), overdue: String(a.past_adjustment_period) } },
        h('td', {}, h('a', { href: `#/unit/dossiers/${a.dossier_id}` }, a.voucher_number || a.dossier_id)),
        h('td', {}, money(a.amount)), h('td', {}, money(a.settled)),
        h('td', {}, a.past_adjustment_period ? h('span', { class: 'badge fail' }, money(a.left)) : money(a.left)),
        h('td', {}, when(a.paid_at)), h('td', {}, String(a.age_days)), h('td', {}, a.adjustment_period_ends)))))
      : empty(t('noAdvances')));
  };
  refresh.addEventListener('click', () => busy(refresh, body, draw));
  await draw();
}
