// The advance register seen from the treasury (Decree 347/2025 Art.6 cl.2 pt.e): an officer picks
// a unit of their office (a leader, of their office or one under it) and sees its advances, what
// is left, how old, which are past the adjustment period (GET /v1/advances?unit=). The API has no
// list of an office's units: the units its dossiers came from are offered, any other is typed.
import { registerTable } from '../advances.js';
import { all, get } from '../api.js';
import { t } from '../i18n.js';
import '../strings-spending.js';
import { busy, control, empty, h, heading, money } from '../ui.js';

export async function render(page, { query }) {
  const suggestions = h('datalist', { id: 'office-units' });
  const unit = h('input', { name: 'unit', inputmode: 'numeric', list: suggestions.id, autocomplete: 'off',
    value: query.get('unit') || '', pattern: '[0-9]{7}' });
  const openOnly = h('input', { type: 'checkbox', name: 'open_only' });
  const show = h('button', { type: 'submit', dataset: { action: 'show-advances' } }, t('apply'));
  const body = h('div', {}, empty(t('advancesPickUnit')));
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': t('advancesTitle') },
    h('div', { class: 'grid' }, control(t('unitCode'), unit, 'unit'),
      h('label', {}, openOnly, ' ', t('advancesOpenOnly'))), suggestions, h('div', { class: 'actions' }, show));
  page.append(heading(t('advancesOfficeTitle')), form, body);
  all('/dossiers', {}, 400).then((items) => {
    const units = [...new Set(items.map((d) => d.unit_id).filter(Boolean))].sort();
    suggestions.replaceChildren(...units.map((u) => h('option', { value: u })));
  }).catch(() => {});   // only suggestions: without them the unit is typed
  const draw = async () => {
    const register = await get('/advances', { unit: unit.value.trim(), open: openOnly.checked ? 'true' : 'false' });
    page.dataset.unit = register.unit_id;
    body.replaceChildren(h('p', { class: 'muted', dataset: { openTotal: String(register.open_total) } },
      `${t('unitCode')} ${register.unit_id} · ${t('advanceLeft')}: ${money(register.open_total)} · `
      + `${t('advancesPastPeriod')}: ${register.past_adjustment_period}`),
    registerTable(register, (id) => `#/office/dossiers/${id}`));
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(show, form, draw);
  });
  if (unit.value) await busy(show, form, draw);
}
