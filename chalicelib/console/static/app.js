// The shell: who is signed in, the navigation for their role, and a router by location hash
// that loads each screen from its own module in views/ (loaded when first visited).
import { get, session } from './api.js';
import { lang, setLang, t, translateShell } from './i18n.js';
import { empty, h, showError } from './ui.js';

const UNIT_ROLES = ['unit_accountant', 'chief_accountant', 'account_holder', 'unit_software'];

// [hash pattern, view module, roles allowed (none: anyone signed in)]
const ROUTES = [
  [/^#\/sign-in$/, 'sign-in', null],
  [/^#\/unit\/dossiers$/, 'unit-dossiers', UNIT_ROLES],
  [/^#\/unit\/submit$/, 'unit-submit', UNIT_ROLES],
  [/^#\/unit\/dossiers\/([0-9A-Za-z-]+)$/, 'unit-dossier', UNIT_ROLES],
  [/^#\/unit\/statements$/, 'unit-statements', UNIT_ROLES],
  [/^#\/unit\/advances$/, 'unit-advances', UNIT_ROLES],
  [/^#\/unit\/autopay$/, 'unit-autopay', UNIT_ROLES],
  [/^#\/alerts$/, 'alerts', null],
  [/^#\/officer\/inbox$/, 'officer-inbox', ['control_officer']],
  [/^#\/office\/dossiers\/([0-9A-Za-z-]+)$/, 'officer-dossier', ['control_officer', 'leader']],
  [/^#\/leader\/approvals$/, 'leader-approvals', ['leader']],
  [/^#\/leader\/dashboard$/, 'leader-dashboard', ['control_officer', 'leader']],
  [/^#\/office\/advances$/, 'office-advances', ['control_officer', 'leader']],
];

const NAV = {
  unit: [['#/unit/dossiers', 'navUnitDossiers'], ['#/unit/submit', 'navSubmit'],
    ['#/unit/statements', 'navStatements'], ['#/unit/advances', 'navAdvances'], ['#/unit/autopay', 'navAutopay'], ['#/alerts', 'navAlerts']],
  control_officer: [['#/officer/inbox', 'navInbox'], ['#/leader/dashboard', 'navDashboard'],
    ['#/office/advances', 'navAdvances'], ['#/alerts', 'navAlerts']],
  leader: [['#/leader/approvals', 'navApprovals'], ['#/leader/dashboard', 'navDashboard'],
    ['#/office/advances', 'navAdvances'], ['#/alerts', 'navAlerts']],
};

export function isUnit(me) {
  return !!me && me.roles.some((r) => UNIT_ROLES.includes(r));
}

export function homeOf(me) {
  if (isUnit(me)) return '#/unit/dossiers';
  if (me && me.roles.includes('leader')) return '#/leader/approvals';
  if (me && me.roles.includes('control_officer')) return '#/officer/inbox';
  return '#/alerts';
}

function navFor(me) {
  if (!me) return [];
  if (isUnit(me)) return NAV.unit;
  if (me.roles.includes('leader')) return NAV.leader;
  if (me.roles.includes('control_officer')) return NAV.control_officer;
  return [];
}

function drawShell(route) {
  translateShell();
  const me = session.me;
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('nav'));
  nav.replaceChildren(...navFor(me).map(([href, key]) => h('a', {
    href, 'aria-current': route.startsWith(href) ? 'page' : null }, t(key))));
  document.getElementById('who').textContent = me
    ? `${me.username} · ${me.roles.map((r) => t(`role_${r}`)).join(', ')}${me.unit_id ? ` · ${me.unit_id}` : ''}${me.office_id ? ` · ${me.office_id}` : ''}`
    : '';
  document.getElementById('sign-out').hidden = !me;
  const toggle = document.getElementById('lang');
  toggle.textContent = t('langToggle');
  toggle.setAttribute('aria-label', t('langName'));
}

let rendering = 0;

export async function render() {
  const ticket = ++rendering;
  const [hash, queryString] = (location.hash || '#/').split('?');
  const query = new URLSearchParams(queryString || '');
  const main = document.getElementById('main');
  if (!session.token && hash !== '#/sign-in') {
    location.hash = '#/sign-in';
    return;
  }
  if (session.token && !session.me) {
    try {
      session.me = await get('/me');
    } catch (error) {
      if (error.status !== 401) showError(main, error);
      return;
    }
  }
  const match = ROUTES.map(([pattern, view, roles]) => [hash.match(pattern), view, roles])
    .find(([m]) => m);
  if (!match && session.me) {
    location.hash = homeOf(session.me);
    return;
  }
  drawShell(hash);
  if (!match) return;
  const [found, view, roles] = match;
  if (roles && !session.me.roles.some((r) => roles.includes(r))) {
    location.hash = homeOf(session.me);
    return;
  }
  const module = await import(`./views/${view}.js`);
  if (ticket !== rendering) return;   // the user moved on while the module loaded
  const page = h('div', { class: 'page', dataset: { view } });
  main.replaceChildren(page);
  try {
    await module.render(page, { params: found.slice(1), query, me: session.me });
  } catch (error) {
    page.replaceChildren(empty(error.message || t('error')));
  }
  const title = page.querySelector('h1');
  document.title = `${title ? `${title.textContent} — ` : ''}${t('brand')}`;
  if (title && !page.contains(document.activeElement)) title.focus();
}

function start() {
  // The skip link must not change the hash: the hash is the router's.
  document.querySelector('.skip').addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
  document.getElementById('lang').addEventListener('click', () => {
    setLang(lang() === 'vi' ? 'en' : 'vi');
    render();
  });
  document.getElementById('sign-out').addEventListener('click', () => {
    session.token = null;
    session.me = null;
    location.hash = '#/sign-in';
  });
  window.addEventListener('hashchange', render);
  render();
}

start();
