// Small DOM helpers shared by the views: element building, formats, states and errors.
import { label, lang, t } from './i18n.js';

/** h('a', {href: '#/x', class: 'y'}, 'text', child…): an element; on* attributes are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const TZ = 'Asia/Ho_Chi_Minh';

export function money(value) {
  if (value === null || value === undefined) return t('none');
  return new Intl.NumberFormat(lang() === 'en' ? 'en-GB' : 'vi-VN').format(value) + ' đ';
}

export function when(iso) {
  if (!iso) return t('none');
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'vi-VN', {
    timeZone: TZ, dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
}

/** Today as YYYY-MM-DD in Asia/Ho_Chi_Minh, `days` days away. */
export function localDay(days = 0) {
  const at = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(at);
}

export function statusBadge(status) {
  return h('span', { class: `badge ${status}`, dataset: { status } }, label('status', status));
}

export function empty(text) {
  return h('p', { class: 'empty', role: 'status' }, text);
}

export function loading() {
  return h('p', { class: 'muted', role: 'status' }, t('loading'));
}

/** The "refresh" button a screen redraws itself with (the workflow moves on its own). */
export function refreshButton() {
  return h('button', { type: 'button', class: 'secondary', dataset: { action: 'refresh' } }, t('refresh'));
}

export function heading(text) {
  return h('h1', { tabindex: '-1' }, text);
}

/** Show an API error: next to its field when the form has one, else above the form. */
export function showError(container, error) {
  clearErrors(container);
  const field = error.field && container.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
  if (field) {
    const id = `err-${Math.random().toString(36).slice(2)}`;
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', id);
    field.insertAdjacentElement('afterend',
      h('p', { class: 'field-error', id, role: 'alert', dataset: { code: error.code } }, error.message));
    field.focus();
    return;
  }
  const box = h('div', { class: 'alert', role: 'alert', dataset: { code: error.code || '' } },
    error.message || t('error'));
  container.prepend(box);
}

export function clearErrors(container) {
  for (const el of container.querySelectorAll('.field-error, .alert')) el.remove();
  for (const el of container.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** A labelled form control; `field` is the API's name for it (errors find it by that). */
export function control(label, input, field) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  if (field) input.dataset.field = field;
  return h('div', { class: 'control' }, h('label', { for: id }, label), input);
}

/** Run an action from a button, disabling it meanwhile; errors shown in `where`. */
export async function busy(button, where, action) {
  button.disabled = true;
  clearErrors(where);
  try {
    return await action();
  } catch (error) {
    showError(where, error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function download(name, text, type = 'text/csv;charset=utf-8') {
  const link = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
