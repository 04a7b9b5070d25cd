// The forms of the account procedures (Decree 347/2025 Art. 8-10), picked by the catalogue's
// content_kind: closing an account, stating its balance for reconciliation, and a change of
// signature specimens (accounts to open, the unit's pending certificates to approve, its
// certificates in force to revoke). Each control carries the API's path in data-field, as in
// forms.js, so an error the API names lands next to it. The API has no list of a unit's accounts:
// the accounts its statements name are offered, any other is typed, and each is looked up.
import { get } from './api.js';
import { autopayForm } from './autopay-form.js';
import { label, t } from './i18n.js';
import { control, h, loading, localDay, money, when } from './ui.js';

let seq = 0;
const input = (name, attrs = {}) => h('input', { name, ...attrs });
const kindSelect = (name) => h('select', { name }, ['deposit', 'estimate'].map((k) => h('option', { value: k }, label('accountKind', k))));

/** An account of the unit: typed or chosen, with its kind, balance and status shown once found. */
function accountPicker(field, value) {
  const list = h('datalist', { id: `accounts-${(seq += 1)}` });
  const box = input('account_id', { value: value || '', list: list.id, autocomplete: 'off' });
  const about = h('p', { class: 'muted', 'aria-live': 'polite', dataset: { account: '' } });
  get('/statements', { limit: 200 }).then((page) => {
    const ids = [...new Set((page.items || []).map((s) => s.account_id))].sort();
    list.replaceChildren(...ids.map((id) => h('option', { value: id })));
  }).catch(() => {});   // only suggestions: without them the account is typed
  const look = async () => {
    const id = box.value.trim();
    about.replaceChildren();
    about.dataset.account = '';
    if (!id) return;
    try {
      const a = await get(`/accounts/${encodeURIComponent(id)}`);
      about.dataset.account = a.account_id;
      about.append(`${label('accountKind', a.kind)} · ${t('balance')} ${money(a.balance)} · ${label('accountStatus', a.status)}`);
    } catch (error) {
      about.append(error.message);
    }
  };
  box.addEventListener('change', look);
  if (value) look();
  return { element: h('div', {}, control(t('account'), box, field), list, about), value: () => box.value.trim() };
}

/** The figures of the forms a closing carries (347/2025 Art.9 cl.3): Mẫu 32 for a deposit
 * account, Mẫu 26+28 (withdrawal) or 27+29 (payment order) for an estimate account, as one line
 * of totals each; the API compares them with the ledger. */
const amount = (box) => { const v = box.value.trim().replace(/[.\s]/g, ''); return /^-?\d+$/.test(v) ? Number(v) : null; };
function closingFormsOf(set, f) {
  if (set === '32') {
    const o = f.opening, i = f.increase, d = f.decrease;
    return [{ form: '32', rows: [['opening', o], ['increase', i], ['decrease', d], ['closing', o + i - d]]
      .map(([line, v]) => ({ line, cells: { amount: v } })) }];
  }
  const [estimate, usage] = set.split('+');
  const est = f.estimate, used = f.used, ytd = f.ytd;
  const rest = estimate === '26' ? '9' : '8';
  return [{ form: estimate, rows: [{ cells: { 4: est, 5: est, 6: used, 7: ytd, [rest]: est - ytd } }] },
    { form: usage, rows: [{ cells: { 3: used, 4: ytd, 5: used, 6: ytd } }] }];
}

function closingForm(proc, initial) {
  const path = 'content.closing';
  const was = initial.closing || {};
  const [first, last] = lastMonth();
  const account = accountPicker(`${path}.account_id`, was.account_id);
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 500 }, was.reason || '');
  const details = h('textarea', { name: 'details', rows: 2, maxlength: 500 }, was.details || '');
  const from = input('from', { type: 'date', value: was.period?.from || first });
  const to = input('to', { type: 'date', value: was.period?.to || last });
  const sent = was.forms || [];
  const set = h('select', { name: 'forms' }, ['32', '26+28', '27+29'].map((k) => h('option', { value: k }, `Mẫu ${k}`)));
  set.value = sent.length === 2 ? sent.map((x) => x.form).join('+') : '32';
  const cell = (form, key, line) => {
    const found = sent.find((x) => x.form === form);
    const row = found && (line ? found.rows.find((r) => r.line === line) : found.rows[0]);
    return row ? row.cells[key] ?? 0 : 0;
  };
  const box = (name, value) => input(name, { inputmode: 'numeric', value: String(value) });
  const boxes = { opening: box('opening', cell('32', 'amount', 'opening')), increase: box('increase', cell('32', 'amount', 'increase')),
    decrease: box('decrease', cell('32', 'amount', 'decrease')), estimate: box('estimate', cell(set.value.split('+')[0], '4')),
    used: box('used', cell(set.value.split('+')[0], '6')), ytd: box('ytd', cell(set.value.split('+')[0], '7')) };
  const deposit = h('div', { class: 'grid' }, ['opening', 'increase', 'decrease'].map((k) => control(t(k), boxes[k])));
  const estimate = h('div', { class: 'grid' }, control(t('estimateToDate'), boxes.estimate),
    control(t('usedInPeriod'), boxes.used), control(t('usedToDate'), boxes.ytd));
  const show = () => { deposit.hidden = set.value !== '32'; estimate.hidden = set.value === '32'; };
  set.addEventListener('change', show);
  show();
  const period = h('fieldset', { tabindex: '-1', dataset: { field: `${path}.period` } }, h('legend', {}, t('period')),
    h('div', { class: 'grid' }, control(t('from'), from, `${path}.period.from`), control(t('to'), to, `${path}.period.to`)));
  return {
    element: h('fieldset', { class: 'card' }, h('legend', {}, t('closingTitle')),
      h('p', { class: 'muted' }, t('closingHint')), account.element, control(t('reason'), reason, `${path}.reason`),
      control(t('closingDetails'), details, `${path}.details`), period,
      h('fieldset', { tabindex: '-1', dataset: { field: `${path}.forms` } }, h('legend', {}, t('closingForms')),
        control('Mẫu', set), deposit, estimate)),
    value: () => {
      const figures = Object.fromEntries(Object.entries(boxes).map(([k, b]) => [k, amount(b) ?? 0]));
      const closing = { account_id: account.value(), reason: reason.value.trim(),
        period: { from: from.value, to: to.value }, forms: closingFormsOf(set.value, figures) };
      if (details.value.trim()) closing.details = details.value.trim();
      return { ...initial, procedure: proc.code, closing };
    },
    whole: true,
  };
}

/** The month before today's (Asia/Ho_Chi_Minh): the usual period to reconcile. */
function lastMonth() {
  const [y, m] = localDay().split('-').map(Number);
  const end = new Date(Date.UTC(y, m - 1, 0));
  return [new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1)), end].map((d) => d.toISOString().slice(0, 10));
}

function reconciliationForm(proc, initial) {
  const path = 'content.reconciliation';
  const was = initial.reconciliation || {};
  const [first, last] = lastMonth();
  const account = accountPicker(`${path}.account_id`, was.account_id);
  const from = input('from', { type: 'date', value: was.period?.from || first });
  const to = input('to', { type: 'date', value: was.period?.to || last });
  const balance = input('book_balance', { inputmode: 'numeric', value: was.book_balance ?? '' });
  const period = h('fieldset', { tabindex: '-1', dataset: { field: `${path}.period` } }, h('legend', {}, t('period')),
    h('div', { class: 'grid' }, control(t('from'), from, `${path}.period.from`), control(t('to'), to, `${path}.period.to`)));
  return {
    element: h('fieldset', { class: 'card' }, h('legend', {}, t('reconciliationTitle')),
      h('p', { class: 'muted' }, t('reconciliationHint')), account.element, period,
      control(t('bookBalance'), balance, `${path}.book_balance`)),
    value: () => {
      const amount = balance.value.trim().replace(/[.\s]/g, '');
      return { ...initial, procedure: proc.code, reconciliation: { account_id: account.value(),
        period: { from: from.value, to: to.value }, book_balance: /^\d+$/.test(amount) ? Number(amount) : null } };
    },
    whole: true,
  };
}

/** A certificate to tick: its signer's title, subject and validity; `reason` for a revocation. */
function certificateChoice(c, name, checked, reason) {
  const box = input(name, { type: 'checkbox', value: c.fingerprint, checked, id: `${name}-${c.fingerprint}` });
  const why = reason === undefined ? null
    : input('revoke-reason', { value: reason || '', 'aria-label': `${t('revokeReason')} ${c.fingerprint.slice(0, 12)}` });
  return h('div', { class: 'certificate', dataset: { fingerprint: c.fingerprint } }, box,
    h('label', { for: box.id, class: 'inline' }, `${label('role', c.title)} · ${c.subject} · ${t('validUntil')} ${when(c.not_after)} · ${c.fingerprint.slice(0, 12)}…`),
    why ? control(t('revokeReason'), why) : null);
}

/** Gives each chosen element the API's path of its place in the list sent (errors find it). */
function numbered(chosen, field) {
  chosen.forEach((el, i) => { el.dataset.field = field(i); });
}

function specimensForm(proc, initial) {
  const path = 'content.specimens';
  const was = initial.specimens || {};
  const rows = h('tbody');
  const addRow = (a = {}) => {
    const n = rows.children.length + 1;
    const kind = kindSelect('kind');
    kind.value = a.kind || 'deposit';
    kind.setAttribute('aria-label', `${t('accountKind')} ${n}`);
    rows.append(h('tr', {}, h('td', {}, input('account_id', { value: a.account_id || '', 'aria-label': `${t('newAccount')} ${n}` })),
      h('td', {}, kind)));
  };
  (was.open_accounts?.length ? was.open_accounts : [{}]).forEach(addRow);
  const approved = new Set(was.approve || []);
  const revoked = new Map((was.revoke || []).map((r) => [r.fingerprint, r.reason]));
  const certificates = h('div', {}, loading());
  get('/certificates').then(({ items }) => {
    const pending = items.filter((c) => c.status === 'pending');
    const active = items.filter((c) => c.status === 'active');
    const none = h('p', { class: 'muted' }, t('noCertificates'));
    certificates.replaceChildren(
      h('fieldset', {}, h('legend', {}, t('approveCertificates')),
        pending.length ? pending.map((c) => certificateChoice(c, 'approve', approved.has(c.fingerprint))) : none),
      h('fieldset', {}, h('legend', {}, t('revokeCertificates')),
        active.length ? active.map((c) => certificateChoice(c, 'revoke', revoked.has(c.fingerprint), revoked.get(c.fingerprint) || ''))
          : none.cloneNode(true)));
  }).catch((error) => certificates.replaceChildren(h('p', { class: 'alert', role: 'alert' }, error.message)));
  const value = () => {
    for (const el of rows.querySelectorAll('[data-field]')) delete el.dataset.field;
    for (const el of certificates.querySelectorAll('[data-field]')) delete el.dataset.field;
    const opened = [...rows.children].filter((row) => row.querySelector('[name="account_id"]').value.trim());
    numbered(opened.map((row) => row.querySelector('[name="account_id"]')), (i) => `${path}.open_accounts[${i}].account_id`);
    numbered(opened.map((row) => row.querySelector('[name="kind"]')), (i) => `${path}.open_accounts[${i}].kind`);
    const approve = [...certificates.querySelectorAll('input[name="approve"]:checked')];
    numbered(approve, (i) => `${path}.approve[${i}]`);
    const revoke = [...certificates.querySelectorAll('input[name="revoke"]:checked')];
    const reasons = revoke.map((box) => box.closest('.certificate').querySelector('[name="revoke-reason"]'));
    numbered(revoke, (i) => `${path}.revoke[${i}].fingerprint`);
    numbered(reasons, (i) => `${path}.revoke[${i}].reason`);
    return { ...initial, procedure: proc.code, specimens: {
      open_accounts: opened.map((row) => ({ account_id: row.querySelector('[name="account_id"]').value.trim(),
        kind: row.querySelector('[name="kind"]').value })),
      approve: approve.map((box) => box.value),
      revoke: revoke.map((box, i) => ({ fingerprint: box.value, reason: reasons[i].value.trim() })) } };
  };
  return {
    element: h('fieldset', { class: 'card', tabindex: '-1', dataset: { field: path } }, h('legend', {}, t('specimensTitle')),
      h('p', { class: 'muted' }, t('specimensHint')),
      h('fieldset', {}, h('legend', {}, t('openAccounts')),
        h('table', { class: 'lines' }, h('thead', {}, h('tr', {}, [t('newAccount'), t('accountKind')].map((c) => h('th', { scope: 'col' }, c)))), rows),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => addRow() }, t('addAccount')))),
      certificates),
    value,
    whole: true,
  };
}

export const FORMS = { account_closing: closingForm, balance_reconciliation: reconciliationForm,
  signature_specimens: specimensForm, utility_autopay: autopayForm };

/** The form of an account procedure, empty or filled from content already sent; null for others. */
export function accountForm(proc, initial = null) {
  const build = FORMS[proc.content_kind];
  return build ? build(proc, initial || {}) : null;
}
