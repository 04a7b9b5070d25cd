// The voucher form's payroll block: "Bảng lương / Danh sách chi trả" (Decree 347/2025 Mẫu 20,
// students abroad Mẫu 21). The accountant picks the file the accounting software exported (CSV
// or .xlsx); the API reads it (POST /v1/payee-lists/import, nothing stored) and answers every
// failing line at once, shown as a table (line, row of the file, field, message) to fix in the
// file and import again. A clean list is summarised (lines, total, totals per group), goes into
// `content.payee_list`, and the voucher's total becomes the list's, so both are signed once.
import { upload } from './api.js';
import { label, t } from './i18n.js';
import './strings-spending.js';
import { control, h, money } from './ui.js';

const GROUPS = ['civil_servant', 'public_employee', 'contract_worker', 'other'];

/** The block; `onList(total)` is told when a clean list is taken (null when it is removed). */
export function payrollBlock(onList) {
  let list = null;   // { form, total, lines } once a file imported without errors
  const form = h('select', { name: 'payee_form' },
    h('option', { value: '20' }, t('payeeForm20')), h('option', { value: '21' }, t('payeeForm21')));
  const file = h('input', { type: 'file', name: 'payee_file', accept: '.csv,.xlsx,text/csv' });
  const importButton = h('button', { type: 'button', class: 'secondary', dataset: { action: 'import-payees' } }, t('payeeImport'));
  const total = h('input', { name: 'payee_total', readonly: true, inputmode: 'numeric' });
  const outcome = h('div', { dataset: { payees: 'none' }, 'aria-live': 'polite' });
  const changed = () => outcome.dispatchEvent(new Event('input', { bubbles: true }));   // signatures void

  const errorsTable = (answer) => h('div', {},
    h('p', { class: 'alert', role: 'alert', dataset: { code: 'payee_lines_invalid' } },
      t('payeeErrors').replace('{n}', String(answer.errors.length)).replace('{count}', String(answer.count))),
    h('table', { class: 'payee-errors' },
      h('thead', {}, h('tr', {}, [t('payeeLine'), t('payeeRow'), t('payeeField'), t('payeeMessage')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, answer.errors.map((e) => h('tr', { dataset: { line: String(e.line), field: e.field, code: e.code } },
        h('td', {}, String(e.line)), h('td', {}, String(e.row)),
        h('td', {}, label('payeeField', e.field.split('.').pop())), h('td', {}, e.message))))));

  const summary = (answer) => h('dl', { class: 'facts', dataset: { count: String(answer.count), total: String(answer.total) } },
    h('dt', {}, t('payeeCount')), h('dd', { dataset: { part: 'count' } }, String(answer.count)),
    h('dt', {}, t('payeeTotal')), h('dd', { dataset: { part: 'total' } }, money(answer.total)),
    GROUPS.filter((g) => answer.group_totals[g] !== undefined).map((g) => [
      h('dt', {}, t(`payeeGroup_${g}`)), h('dd', { dataset: { group: g } }, money(answer.group_totals[g]))]));

  const take = (answer) => {
    const clean = !answer.errors.length;
    list = clean ? { form: answer.form, total: answer.total, lines: answer.lines } : null;
    total.value = list ? String(list.total) : '';
    outcome.dataset.payees = clean ? 'ready' : 'errors';
    outcome.replaceChildren(clean ? summary(answer) : errorsTable(answer));
    onList(list ? list.total : null);
    changed();
  };
  importButton.addEventListener('click', async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) {
      outcome.replaceChildren(h('p', { class: 'alert', role: 'alert' }, t('payeeChooseFile')));
      return;
    }
    importButton.disabled = true;
    outcome.dataset.payees = 'loading';
    try {
      take(await upload('/payee-lists/import', chosen, { form: form.value }));
    } catch (error) {
      list = null;
      outcome.dataset.payees = 'refused';
      outcome.replaceChildren(h('p', { class: 'alert', role: 'alert', dataset: { code: error.code || '' } }, error.message || t('error')));
      onList(null);
      changed();
    } finally {
      importButton.disabled = false;
    }
  });
  const element = h('fieldset', { class: 'card', dataset: { block: 'payee_list' } },
    h('legend', {}, t('payeeTitle')), h('p', { class: 'muted' }, t('payeeHint')),
    h('div', { class: 'grid' }, control(t('payeeFormLabel'), form, 'content.payee_list.form'),
      control(t('payeeFile'), file, 'content.payee_list.lines'),
      control(t('payeeTotal'), total, 'content.payee_list.total')),
    h('div', { class: 'actions' }, importButton), outcome);
  return { element, value: () => list };
}
