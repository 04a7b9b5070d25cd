// The advance register's table (sổ theo dõi tạm ứng, Decree 347/2025 Art.6 cl.2 pt.e), shared by
// the unit's own view and the office's: each paid advance, what its settlements converted, what
// is left and how old it is; one still open after its adjustment period is marked.
import { t } from './i18n.js';
import { empty, h, money, when } from './ui.js';

/** `dossierLink(id)` is where an advance's voucher number leads (the unit's or the office's page). */
export function registerTable(register, dossierLink) {
  if (!register.items.length) return empty(t('noAdvances'));
  const columns = [t('dossier'), t('advanceAmount'), t('advanceSettled'), t('advanceLeft'),
    t('advancePaidAt'), t('advanceAge'), t('advancePeriodEnds')];
  return h('table', { class: 'advances' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, register.items.map((a) => h('tr', { dataset: { advance: a.dossier_id, left: String(a.left), overdue: String(a.past_adjustment_period) } },
      h('td', {}, h('a', { href: dossierLink(a.dossier_id) }, a.voucher_number || a.dossier_id)),
      h('td', {}, money(a.amount)), h('td', {}, money(a.settled)),
      h('td', {}, a.past_adjustment_period ? h('span', { class: 'badge fail' }, money(a.left)) : money(a.left)),
      h('td', {}, when(a.paid_at)), h('td', {}, String(a.age_days)), h('td', {}, a.adjustment_period_ends)))));
}
