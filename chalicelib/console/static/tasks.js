// The office's open tasks as a table, ordered by due time, the overdue ones marked: the
// officer's inbox and the leader's approvals are this list for their role (GET /v1/tasks).
import { all, procedureNames } from './api.js';
import { named, stepLabel, t } from './i18n.js';
import { empty, h, heading, loading, refreshButton, when } from './ui.js';

export async function taskTable(role) {
  const names = await procedureNames();
  const items = (await all('/tasks', { state: 'open', role }))
    .filter((task) => task.kind === 'decision')
    .sort((a, b) => (a.due_at || '').localeCompare(b.due_at || ''));
  if (!items.length) return empty(t('noTasks'));
  const now = Date.now();
  return h('table', { class: 'tasks' },
    h('thead', {}, h('tr', {}, [t('dossier'), t('procedure'), t('step'), t('receivedAt'), t('dueAt')]
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, items.map((task) => {
      const late = task.overdue || (task.due_at && Date.parse(task.due_at) < now);
      return h('tr', { class: late ? 'overdue' : null, dataset: { dossier: task.dossier_id, task: task.task_id,
        overdue: String(!!late) } },
      h('td', {}, h('a', { href: `#/office/dossiers/${task.dossier_id}` }, task.dossier_id)),
      h('td', {}, names.has(task.procedure) ? named(names.get(task.procedure)) : task.procedure), h('td', {}, stepLabel(task.step, task.step_label_vi)),
      h('td', {}, when(task.created_at)),
      h('td', {}, when(task.due_at), late ? [' ', h('span', { class: 'badge overdue' }, t('overdue'))] : null));
    })));
}


/** A screen listing the open tasks of one role: the officer's inbox, the leader's approvals. */
export function taskScreen(titleKey, role) {
  return async function render(page) {
    const body = h('div', {}, loading());
    const refresh = refreshButton();
    page.append(heading(t(titleKey)), h('div', { class: 'actions' }, refresh), body);
    const draw = async () => body.replaceChildren(await taskTable(role));
    refresh.addEventListener('click', draw);
    await draw();
  };
}
