// Sign in with the Cognito username and password (POST /v1/auth/token); the ID token is the
// bearer for every other call.
import { get, post, session } from '../api.js';
import { homeOf } from '../app.js';
import { t } from '../i18n.js';
import { busy, control, h, heading } from '../ui.js';

export async function render(page, { query }) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit' }, t('signIn'));
  const form = h('form', { class: 'card signin', novalidate: true },
    heading(t('signInTitle')),
    query.get('expired') ? h('p', { class: 'notice', role: 'status' }, t('sessionExpired')) : null,
    control(t('username'), username, 'username'),
    control(t('password'), password, 'password'),
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(button, form, async () => {
      const tokens = await post('/auth/token', { username: username.value.trim(), password: password.value });
      session.token = tokens.id_token;
      session.me = await get('/me');
      location.hash = homeOf(session.me);
    });
  });
  page.append(form);
  username.focus();
}
