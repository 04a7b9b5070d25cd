// The voucher form's "kiêm nộp NSNN" block (Decree 347/2025 Mẫu 14 / Mẫu 18): part of the total
// paid into the state budget (tax withheld), the rest to the payee. Off by default; ticked, it
// adds `budget_payment` and `payee.amount` to the voucher. The server checks that the two parts
// make the total and names the field when not (split_mismatch at content.voucher.payee.amount).
import { t } from './i18n.js';
import { control, h } from './ui.js';

const FIELDS = [
  ['taxpayer_name', 'splitTaxpayer'], ['tax_code', 'splitTaxCode', 'numeric'],
  ['economic_code', 'splitEconomicCode', 'numeric'], ['chapter_code', 'splitChapter', 'numeric'],
  ['declaration_id', 'splitDeclaration'], ['tax_period', 'splitTaxPeriod'],
  ['area_code', 'splitAreaCode', 'numeric'], ['revenue_account', 'splitRevenueAccount'],
  ['collecting_agency', 'splitCollectingAgency'], ['treasury', 'splitTreasury'],
  ['amount', 'splitAmount', 'numeric'],
];

/** The block for the voucher at `path`, filled from `initial` (a voucher already sent). */
export function budgetPaymentBlock(path, initial = null) {
  const block = initial?.budget_payment || null;
  const on = h('input', { type: 'checkbox', name: 'split' });
  const inputs = Object.fromEntries(FIELDS.map(([name, , mode]) => [name, h('input', {
    name: `budget_payment.${name}`, ...(mode ? { inputmode: mode } : {}) })]));
  inputs.revenue_account.placeholder = '7111';
  const payeeAmount = h('input', { name: 'payee_amount', inputmode: 'numeric' });
  // The grid sets its own display, so the `hidden` switch sits on a plain wrapper.
  const fields = h('div', { hidden: !block }, h('div', { class: 'grid' },
    ...FIELDS.map(([name, label]) => control(t(label), inputs[name], `${path}.budget_payment.${name}`)),
    control(t('splitPayeeAmount'), payeeAmount, `${path}.payee.amount`)));
  on.checked = Boolean(block);
  on.addEventListener('change', () => { fields.hidden = !on.checked; });
  if (block) {
    for (const [name] of FIELDS) if (block[name] !== undefined && block[name] !== null) inputs[name].value = String(block[name]);
    if (initial?.payee?.amount !== undefined) payeeAmount.value = String(initial.payee.amount);
  }
  const element = h('fieldset', { class: 'card', dataset: { block: 'budget_payment' } },
    h('legend', {}, t('splitTitle')),
    h('label', {}, on, ' ', t('splitToggle')), fields);
  /** The voucher with the block added when ticked (blank optional fields left out). */
  const apply = (voucher) => {
    if (!on.checked) return voucher;
    const value = {};
    for (const [name] of FIELDS) {
      const text = inputs[name].value.trim();
      if (text) value[name] = name === 'amount' ? (parseInt(text, 10) || 0) : text;
    }
    return { ...voucher, budget_payment: value,
      payee: { ...voucher.payee, amount: parseInt(payeeAmount.value, 10) || 0 } };
  };
  return { element, apply };
}
