// The office dashboard, every figure read from the reports API (counters kept from the events,
// never a scan): dossiers received, decided, on time and late per day; the participation rate;
// the share of units sending regularly; the dossiers late without a reason. Filters by period
// and office; CSV exported from the very data on screen. Figures carry data-figure/data-value.
import { get, procedureNames } from '../api.js';
import { barChart } from '../chart.js';
import { named, t } from '../i18n.js';
import { busy, control, download, empty, h, heading, loading, localDay, when } from '../ui.js';

const COLORS = { received: '#0b5cad', decided: '#5b6470', on_time: '#17753a', late: '#b3261e' };
const COUNTS = ['received', 'decided', 'on_time', 'late'];
const LABELS = { received: 'received', decided: 'decidedCount', on_time: 'onTime', late: 'late' };

function figure(name, label, value, shown) {
  return h('div', { class: 'figure', dataset: { figure: name, value: value === null ? 'null' : String(value) } },
    h('span', {}, label), h('b', {}, shown ?? (value === null ? t('notDeclared') : String(value))));
}

const pct = (v) => (v === null || v === undefined ? null : `${v.toFixed(2).replace(/\.00$/, '')}%`);

/** Every local day of the period, summed over procedures (the API's rows are per day and
 * procedure, and only for days with figures): a quiet day shows as zeros, not as a gap. */
export function perDay(rows, first, last) {
  const days = new Map();
  for (let at = new Date(`${first}T00:00:00Z`); at <= new Date(`${last}T00:00:00Z`); at.setUTCDate(at.getUTCDate() + 1)) {
    const date = at.toISOString().slice(0, 10);
    days.set(date, { date, received: 0, decided: 0, on_time: 0, late: 0 });
  }
  for (const row of rows) {
    const day = days.get(row.date) || { date: row.date, received: 0, decided: 0, on_time: 0, late: 0 };
    for (const k of COUNTS) day[k] += row[k] || 0;
    days.set(row.date, day);
  }
  return [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
}

function csvCell(value) {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns, rows) {
  return `\ufeff${[columns, ...rows.map((r) => columns.map((c) => r[c]))]
    .map((line) => line.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export async function render(page, { me, query }) {
  const from = h('input', { type: 'date', name: 'from', value: query.get('from') || localDay(-29) });
  const to = h('input', { type: 'date', name: 'to', value: query.get('to') || localDay() });
  const office = h('input', { name: 'office', value: query.get('office') || me.office_id || '', size: 8 });
  const apply = h('button', { type: 'submit', dataset: { action: 'apply' } }, t('apply'));
  const exportButton = h('button', { type: 'button', class: 'secondary', dataset: { action: 'csv' }, disabled: true }, t('exportCsv'));
  const filters = h('form', { class: 'card filters', novalidate: true, 'aria-label': t('dashboardTitle') },
    h('div', { class: 'grid' }, control(t('from'), from, 'from'), control(t('to'), to, 'to'), control(t('office'), office, 'office')),
    h('div', { class: 'actions' }, apply, exportButton));
  const body = h('div', {}, loading());
  page.append(heading(t('dashboardTitle')), filters, body);
  let shown = null;

  const draw = async () => {
    const params = { office: office.value.trim(), from: from.value, to: to.value };
    const [dossiers, participation, regular, overdue, names] = await Promise.all([
      get('/reports/dossiers', params),
      get('/reports/participation', { office: params.office }),
      get('/reports/regular-senders', { office: params.office, date: params.to }),
      get('/reports/overdue', { office: params.office }),
      procedureNames(),
    ]);
    shown = dossiers;
    exportButton.disabled = false;
    page.dataset.office = dossiers.office_id;
    page.dataset.from = dossiers.from;
    page.dataset.to = dossiers.to;
    page.dataset.rendered = String(Number(page.dataset.rendered || 0) + 1);
    const days = perDay(dossiers.rows, dossiers.from, dossiers.to);
    const totals = dossiers.totals;
    body.replaceChildren(
      h('section', { class: 'figures', 'aria-label': t('dashboardTitle') },
        ...COUNTS.map((k) => figure(k, t(LABELS[k]), totals[k])),
        figure('on_time_rate', t('onTimeRate'), totals.on_time_rate, pct(totals.on_time_rate) ?? t('none')),
        figure('participation_rate', t('participation'), participation.participation_rate,
          participation.participation_rate === null ? t('notDeclared') : participation.published),
        figure('regular_share', t('regularSenders'), regular.share,
          regular.share === null ? t('none') : regular.published)),
      h('section', {}, h('h2', {}, t('perDay')), days.length ? [
        h('div', { class: 'chart card' },
          barChart({ title: `${t('perDay')}: ${COUNTS.map((k) => t(LABELS[k])).join(', ')}`, labels: days.map((d) => d.date),
            series: COUNTS.map((k) => ({ name: k, color: COLORS[k], values: days.map((d) => d[k]) })) }),
          h('p', { class: 'legend' }, COUNTS.map((k) => h('span', {}, h('span', { class: 'swatch', dataset: { color: k } }), t(LABELS[k]))))),
        h('table', { class: 'per-day' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('date')),
            COUNTS.map((k) => h('th', { scope: 'col', class: 'num' }, t(LABELS[k]))))),
          h('tbody', {}, days.map((d) => h('tr', { dataset: { day: d.date } }, h('th', { scope: 'row' }, d.date),
            COUNTS.map((k) => h('td', { class: 'num', dataset: { count: k } }, d[k])))))),
      ] : empty(t('noFigures'))),
      h('section', {}, h('h2', {}, t('overdueWithoutReason')), overdue.items.length
        ? h('table', { class: 'overdue-list' },
          h('thead', {}, h('tr', {}, [t('dossier'), t('procedure'), t('step'), t('dueAt')].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, overdue.items.map((d) => h('tr', { class: 'overdue', dataset: { dossier: d.dossier_id } },
            h('td', {}, h('a', { href: `#/office/dossiers/${d.dossier_id}` }, d.dossier_id)),
            h('td', {}, names.has(d.procedure) ? named(names.get(d.procedure)) : d.procedure || ''), h('td', {}, d.step || ''), h('td', {}, when(d.due_at))))))
        : empty(t('noOverdue'))));
  };

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(apply, filters, draw);
  });
  exportButton.addEventListener('click', () => {
    if (!shown) return;
    download(`bao-cao-ho-so-${shown.office_id}-${shown.from}-${shown.to}.csv`, toCsv(shown.columns, shown.rows));
  });
  await busy(apply, filters, draw);
}
