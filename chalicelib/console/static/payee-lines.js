// A payroll dossier's lines and where each stands (GET /v1/dossiers/{id}/payee-lines, in pages):
// pending until the posting is confirmed, then credited; not paid if refused; returned when the
// payee's bank sent it back and the amount was credited back to the unit.
import { get } from './api.js';
import { label, t } from './i18n.js';
import './strings-spending.js';
import { busy, h, money } from './ui.js';

export async function payeeLines(dossierId) {
  const rows = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', dataset: { action: 'more-payees' } }, t('payeeMore'));
  const counts = h('p', { class: 'muted' });
  let cursor;
  let shown = 0;
  const load = async () => {
    const page = await get(`/dossiers/${dossierId}/payee-lines`, { cursor, limit: 100 });
    for (const line of page.items) {
      rows.append(h('tr', { dataset: { line: String(line.line), status: line.status } },
        h('td', {}, String(line.line + 1)), h('td', {}, line.name), h('td', {}, line.account),
        h('td', {}, line.bank_name), h('td', {}, money(line.amount)),
        h('td', {}, h('span', { class: `badge ${line.status}` }, label('payeeStatus', line.status)))));
    }
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    counts.textContent = `${t('payeeShown')}: ${shown} / ${page.count} · ${t('payeeTotal')}: ${money(page.total)}`;
  };
  more.addEventListener('click', () => busy(more, rows.parentElement.parentElement, load));
  await load();
  return h('section', { class: 'card', dataset: { section: 'payee-lines' } },
    h('h2', {}, t('payeeLinesTitle')), counts,
    h('table', { class: 'payee-lines' },
      h('thead', {}, h('tr', {}, ['STT', t('payeeName'), t('payeeAccount'), t('payeeBankName'), t('amount'), t('status')]
        .map((c) => h('th', { scope: 'col' }, c)))), rows),
    h('div', { class: 'actions' }, more));
}
