// The utility auto-pay letter (Decree 347/2025 Art.6 cl.3 pt.a; content kind `utility_autopay`,
// schema AutopayContent): which provider, which customer codes (meters, lines), paid to which
// collector's account, from which of the unit's accounts, with an optional ceiling per bill and
// validity. Signed like any other content by the chief accountant and the account holder.
import { label, t } from './i18n.js';
import './strings-spending.js';
import { control, h, localDay } from './ui.js';

const input = (name, attrs = {}) => h('input', { name, ...attrs });

export function autopayForm(proc, initial) {
  const path = 'content.autopay';
  const was = initial.autopay || {};
  const f = {
    provider_name: input('provider_name', { value: was.provider?.name || '' }),
    tax_code: input('provider_tax_code', { value: was.provider?.tax_code || '', inputmode: 'numeric' }),
    service_kind: h('select', { name: 'service_kind' }, ['electricity', 'water', 'telecom'].map((k) =>
      h('option', { value: k, selected: was.provider?.service_kind === k }, label('service', k)))),
    customer_codes: h('textarea', { name: 'customer_codes', rows: 3 }, (was.provider?.customer_codes || []).join('\n')),
    collector_name: input('collector_name', { value: was.collector?.name || '' }),
    bank_code: input('collector_bank_code', { value: was.collector?.bank_code || '', inputmode: 'numeric' }),
    collector_account: input('collector_account', { value: was.collector?.account || '' }),
    debit_account: input('debit_account', { value: was.debit_account || '' }),
    ceiling: input('ceiling_per_bill', { value: was.ceiling_per_bill ?? '', inputmode: 'numeric' }),
    valid_from: input('valid_from', { type: 'date', value: was.valid_from || localDay() }),
    valid_to: input('valid_to', { type: 'date', value: was.valid_to || '' }),
  };
  const element = h('fieldset', { class: 'card', dataset: { block: 'autopay' } }, h('legend', {}, t('autopayLetter')),
    h('p', { class: 'muted' }, t('autopayLetterHint')),
    h('div', { class: 'grid' },
      control(t('autopayProvider'), f.provider_name, `${path}.provider.name`),
      control(t('autopayProviderTaxCode'), f.tax_code, `${path}.provider.tax_code`),
      control(t('autopayService'), f.service_kind, `${path}.provider.service_kind`),
      control(t('autopayCustomerCodes'), f.customer_codes, `${path}.provider.customer_codes`),
      control(t('autopayCollector'), f.collector_name, `${path}.collector.name`),
      control(t('autopayCollectorBank'), f.bank_code, `${path}.collector.bank_code`),
      control(t('autopayCollectorAccount'), f.collector_account, `${path}.collector.account`),
      control(t('autopayDebitAccount'), f.debit_account, `${path}.debit_account`),
      control(t('autopayCeiling'), f.ceiling, `${path}.ceiling_per_bill`),
      control(t('autopayValidFrom'), f.valid_from, `${path}.valid_from`),
      control(t('autopayValidTo'), f.valid_to, `${path}.valid_to`)));
  const value = () => {
    const autopay = {
      provider: { name: f.provider_name.value.trim(), tax_code: f.tax_code.value.trim(), service_kind: f.service_kind.value,
        customer_codes: f.customer_codes.value.split(/[\s,;]+/).filter(Boolean) },
      collector: { name: f.collector_name.value.trim(), bank_code: f.bank_code.value.trim(), account: f.collector_account.value.trim() },
      debit_account: f.debit_account.value.trim(), valid_from: f.valid_from.value,
    };
    const ceiling = f.ceiling.value.trim();
    if (ceiling) autopay.ceiling_per_bill = /^[0-9]+$/.test(ceiling) ? parseInt(ceiling, 10) : ceiling;
    if (f.valid_to.value) autopay.valid_to = f.valid_to.value;
    return { ...initial, procedure: proc.code, autopay };
  };
  return { element, value, whole: true };
}
