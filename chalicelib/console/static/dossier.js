// What the unit's and the office's dossier pages both show: the facts, the result, the
// documents (and those its results give to print and keep) and the history (with the audit
// chain's verdict).
import { get, getPage, procedureNames, procedures } from './api.js';
import { label, named, stepLabel, t } from './i18n.js';
import { busy, download, empty, h, money, statusBadge, when } from './ui.js';

export async function facts(d) {
  const proc = (await procedures()).find((p) => p.code === d.procedure && p.version === d.version)
    || (await procedureNames()).get(d.procedure);
  const step = proc && proc.steps.find((s) => s.name === d.step);
  const late = d.due_at && d.step && Date.parse(d.due_at) < Date.now();
  const row = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
  return h('dl', { class: 'facts card' },
    row(t('status'), statusBadge(d.status)),
    row(t('procedure'), proc ? `${named(proc)} (${d.version})` : `${d.procedure} (${d.version})`),
    row(t('voucherNumber'), d.voucher_number || t('none')),
    row(t('amount'), money(d.amount)),
    row(t('account'), d.account_id || t('none')),
    row(t('step'), d.step ? stepLabel(d.step, step?.label_vi) : t('none')),
    row(t('receivedAt'), when(d.received_at)),
    row(t('dueAt'), h('span', { dataset: { due: d.due_at || '' } }, when(d.due_at)),
      late ? [' ', h('span', { class: 'badge overdue' }, t('overdue'))] : null));
}

export function result(d) {
  const r = d.result;
  if (!r) return null;
  const advice = r.debit_advice || r.credit_advice || r.posting_note;
  const label = r.debit_advice ? t('debitAdvice') : r.credit_advice ? t('creditAdvice') : t('result');
  return h('section', { class: 'card result', dataset: { outcome: r.outcome || '' } },
    h('h2', {}, t('result'), ': ', statusBadge(d.status)),
    advice ? h('dl', { class: 'facts', dataset: { advice: advice.number || '' } },
      h('dt', {}, label), h('dd', {}, advice.number || t('none')),
      h('dt', {}, t('amount')), h('dd', {}, money(advice.amount)),
      h('dt', {}, t('account')), h('dd', {}, advice.account_id || t('none')),
      h('dt', {}, t('updatedAt')), h('dd', {}, when(advice.posted_at)),
      advice.budget_payment ? [   // a split voucher (Mẫu 14 / 18): both parts of the one debit
        h('dt', {}, t('splitAmount')), h('dd', { dataset: { part: 'budget' } },
          `${money(advice.budget_payment.amount)} · ${advice.budget_payment.revenue_account} · ${advice.budget_payment.tax_code}`),
        h('dt', {}, t('splitPayeeAmount')), h('dd', { dataset: { part: 'payee' } }, money(advice.payee_amount))] : null) : null,
    r.reason ? h('p', {}, h('strong', {}, `${t('reason')}: `), r.reason) : null,
    r.notice ? h('p', {}, h('strong', {}, `${t('refusalNotice')}: `), r.notice.number || '') : null);
}

/** The dossier's documents, each named by its component in the procedure (the code if unknown). */
export async function documents(id, d) {
  const listed = await get(`/dossiers/${id}/documents`);
  const items = listed.items || [];
  const proc = (await procedures()).find((p) => p.code === d.procedure && p.version === d.version);
  const kinds = new Map((proc?.components || []).map((c) => [c.kind, named(c)]));
  return h('section', {}, h('h2', {}, t('documents')), items.length
    ? h('ul', { class: 'documents' }, items.map((doc) => h('li', {},
      h('a', { href: doc.download_url, rel: 'noopener', target: '_blank' }, doc.name),
      h('span', { class: 'muted', dataset: { kind: doc.kind } },
        ` · ${kinds.get(doc.kind) || doc.kind}${doc.source === 'on_file' ? ` · ${t('onFile')}` : ''}`))))
    : empty(t('noDocuments')),
  printables(id, listed.printable || []));
}

/** The documents the dossier's results give to print and keep (receipt notice, debit advice,
 *  Mẫu 33, confirmed form): each saved as an A4 page to open and print. The API wants the
 *  token, so the page is fetched here and handed over as a file, not linked. */
function printables(id, list) {
  if (!list.length) return null;
  return h('div', { class: 'printable' }, h('h3', {}, t('printables')),
    h('ul', { class: 'documents' }, list.map((doc) => {
      const item = h('li', { dataset: { printable: doc.kind } }, doc.title, ' · ');
      const button = h('button', { type: 'button', class: 'link' }, t('printDownload'));
      button.addEventListener('click', () => busy(button, item, async () => {
        download(`${id}-${doc.kind}.html`, await getPage(`/dossiers/${id}/documents/${doc.kind}`),
          'text/html;charset=utf-8');
      }));
      item.append(button);
      return item;
    })));
}

export async function history(id) {
  const trail = await get(`/dossiers/${id}/audit`);
  const ok = trail.verification && trail.verification.intact;
  return h('section', { class: 'history' }, h('h2', {}, t('history')),
    h('p', { class: ok ? 'notice' : 'alert', dataset: { chain: String(!!ok) } }, ok ? t('chainOk') : t('chainBroken')),
    h('ol', { class: 'history' }, trail.records.map((r) => h('li', { dataset: { action: r.action } },
      h('strong', {}, when(r.at)), ` · ${r.actor?.username || r.actor?.kind || ''} · ${label('action', r.action)}`,
      r.to_status ? [' → ', statusBadge(r.to_status)] : null,
      r.reason ? h('div', {}, `${t('reason')}: ${r.reason}`) : null))));
}

/** The reason of the latest supplement request (what the unit must answer). */
export async function supplementReason(id) {
  const trail = await get(`/dossiers/${id}/audit`);
  const asked = trail.records.filter((r) => r.action === 'request_supplement').pop();
  return asked ? asked.reason : null;
}

/** What the unit signed: the voucher's lines and payee, or the content as JSON. */
export function signedContent(d) {
  const v = d.content && d.content.voucher;
  if (!v) {
    return h('section', {}, h('h2', {}, t('content')),
      h('pre', { class: 'card json' }, JSON.stringify(d.content || {}, null, 2)));
  }
  return h('section', { class: 'voucher' }, h('h2', {}, t('voucher')),
    h('table', {},
      h('thead', {}, h('tr', {}, [t('lineContent'), t('economicCode'), t('sectorCode'), t('sourceCode'), t('amount')]
        .map((c, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : null }, c)))),
      h('tbody', {}, (v.lines || []).map((line) => h('tr', {},
        h('td', {}, line.content), h('td', {}, line.economic_code), h('td', {}, line.sector_code),
        h('td', {}, line.source_code), h('td', { class: 'num' }, money(line.amount))))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 4 }, t('total')), h('td', { class: 'num' }, money(v.total))))),
    v.payee ? h('p', {}, h('strong', {}, `${t('payee')}: `),
      [v.payee.name, v.payee.tax_code, v.payee.account, v.payee.bank].filter(Boolean).join(' · ')) : null);
}
