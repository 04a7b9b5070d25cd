// The one door to the public API (/v1, next to /console on the same origin). The ID token
// lives in sessionStorage 'kbnn.token': gone when the tab closes, never in localStorage.
import { t } from './i18n.js';

const BASE = new URL('../v1/', location.href);
const TOKEN = 'kbnn.token';

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || t('error'));
    this.status = status;
    this.code = err.code || 'unknown';
    this.field = err.field || null;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN, value); else sessionStorage.removeItem(TOKEN);
  },
  me: null,
};

export function url(path, query) {
  const target = new URL(path.replace(/^\//, ''), BASE);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') target.searchParams.set(k, v);
  }
  return target;
}

export async function call(method, path, { body, query, headers, raw } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...(headers || {}) } };
  if (session.token) init.headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (raw !== undefined) init.body = raw;
  let response;
  try {
    response = await fetch(url(path, query), init);
  } catch {
    throw new ApiError(0, { error: { code: 'network', message: t('networkError') } });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && path !== '/auth/token') {
      session.token = null;
      session.me = null;
      location.hash = '#/sign-in?expired=1';
    }
    throw error;
  }
  return data;
}

export const get = (path, query) => call('GET', path, { query });

/** A document the API serves as a page to print (text/html), not JSON: its text. */
export async function getPage(path) {
  const headers = { Accept: 'text/html' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(url(path), { headers });
  } catch {
    throw new ApiError(0, { error: { code: 'network', message: t('networkError') } });
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
  return response.text();
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** POST a file as the body itself (not JSON): its type from its extension, as exports are
 *  often labelled vaguely (a .csv as application/vnd.ms-excel). */
export function upload(path, file, query) {
  const name = (file.name || '').toLowerCase();
  const type = name.endsWith('.xlsx') ? XLSX : name.endsWith('.csv') ? 'text/csv' : (file.type || 'application/octet-stream');
  return call('POST', path, { query, raw: file, headers: { 'Content-Type': type } });
}
export const post = (path, body, headers) => call('POST', path, { body, headers });

/** Every page of a list (`next_cursor`), up to `max` items. */
export async function all(path, query = {}, max = 1000) {
  const items = [];
  let cursor;
  do {
    const page = await get(path, { ...query, cursor, limit: 200 });
    items.push(...(page.items || []));
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

let catalogue = null;

/** The procedure catalogue (public, the same for everyone), read once per page load. */
export function procedures() {
  catalogue = catalogue || get('/procedures').then((body) => body.items).catch((error) => {
    catalogue = null;
    throw error;
  });
  return catalogue;
}

/** code -> its catalogue entry (the newest version), for showing names instead of codes. */
export async function procedureNames() {
  const names = new Map();
  for (const p of await procedures()) if (!names.has(p.code) || p.effective_from > names.get(p.code).effective_from) names.set(p.code, p);
  return names;
}
