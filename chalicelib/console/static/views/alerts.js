// Risk alerts (cảnh báo rủi ro) raised on the unit's or the office's submissions, with why:
// a payment far above the usual range, a new payee, a submission out of hours… (GET /v1/alerts).
import { all } from '../api.js';
import { isUnit } from '../app.js';
import { t } from '../i18n.js';
import { busy, empty, h, heading, loading, refreshButton, when } from '../ui.js';

export async function render(page, { me }) {
  const refresh = refreshButton();
  const body = h('div', {}, loading());
  page.append(heading(t('alertsTitle')), h('div', { class: 'actions' }, refresh), body);
  const link = isUnit(me) ? '#/unit/dossiers/' : '#/office/dossiers/';
  const draw = async () => {
    const items = await all('/alerts', {}, 200);
    body.replaceChildren(items.length ? h('table', { class: 'alerts' },
      h('thead', {}, h('tr', {}, [t('raisedAt'), t('rule'), t('dossier'), t('content')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, items.map((a) => h('tr', { dataset: { alert: a.alert_id, rule: a.rule } },
        h('td', {}, when(a.flagged_at)), h('td', {}, a.title || a.rule),
        h('td', {}, h('a', { href: `${link}${a.dossier_id}` }, a.dossier_id)), h('td', {}, a.message)))))
      : empty(t('noAlerts')));
  };
  refresh.addEventListener('click', () => busy(refresh, body, draw));
  await draw();
}
