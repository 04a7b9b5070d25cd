// The control officer's inbox: open review tasks of the office, soonest due first.
import { t } from '../i18n.js';
import { taskTable } from '../tasks.js';
import { h, heading, loading } from '../ui.js';

export async function render(page) {
  const body = h('div', {}, loading());
  const refresh = h('button', { type: 'button', class: 'secondary', dataset: { action: 'refresh' } }, t('refresh'));
  page.append(heading(t('inboxTitle')), h('div', { class: 'actions' }, refresh), body);
  const draw = async () => body.replaceChildren(await taskTable('control_officer'));
  refresh.addEventListener('click', draw);
  await draw();
}
