// Signing a submission in the browser, two ways: ask the signing tool's local helper
// (`python -m signtool serve`, on the loopback) for each title, or let the unit sign the JSON
// elsewhere and upload the signed file. The page never sees a private key.
import { ApiError } from './api.js';
import { t } from './i18n.js';
import { busy, control, download, h } from './ui.js';

const HELPER = 'kbnn.signtool';

/** JSON with keys sorted: two contents are the same when these strings are. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The signing panel. `content()` returns the content to sign (or throws an ApiError-like error
 * with a field); `titles` are the procedure's required signers. `panel.signatures` is what to
 * send, null until every title has signed; `panel.reset()` drops signatures after an edit.
 */
export function signingPanel({ content, titles }) {
  let signed = null;   // {content, signatures}
  const state = h('ul', { class: 'signers' });
  const address = h('input', { name: 'signtool', value: localStorage.getItem(HELPER) || 'http://127.0.0.1:8765',
    inputmode: 'url' });
  const signButton = h('button', { type: 'button', class: 'secondary', dataset: { action: 'sign' } }, t('signNow'));
  const fileInput = h('input', { type: 'file', accept: 'application/json,.json', name: 'signed-file' });
  const panel = h('fieldset', { class: 'card signing' }, h('legend', {}, t('signing')),
    h('div', { class: 'grid' },
      h('div', {}, h('p', {}, t('signWithTool')), control(t('signToolAddress'), address, 'signtool'),
        h('div', { class: 'actions' }, signButton)),
      h('div', {}, h('p', {}, t('signByFile')),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', dataset: { action: 'unsigned' },
          onclick: () => {
            try {
              download('ho-so-can-ky.json', JSON.stringify({ content: content() }, null, 2), 'application/json');
            } catch (error) { showIn(error); }
          } }, t('downloadUnsigned'))),
        control(t('signedFile'), fileInput, 'signed-file'))),
    state);

  const showIn = (error) => {
    for (const el of panel.querySelectorAll('.alert')) el.remove();
    panel.append(h('div', { class: 'alert', role: 'alert' }, error.message));
  };
  const draw = () => {
    const have = new Set((signed?.signatures || []).map((s) => s.title));
    state.replaceChildren(...titles.map((title) => h('li', { dataset: { title, signed: String(have.has(title)) } },
      `${t(`title_${title}`)}: `, h('strong', {}, have.has(title) ? t('signedBy') : t('notSignedYet')))));
  };
  const accept = (submission) => {
    signed = submission;
    draw();
    panel.dispatchEvent(new CustomEvent('signed', { bubbles: true }));
  };

  signButton.addEventListener('click', () => busy(signButton, panel, async () => {
    localStorage.setItem(HELPER, address.value.trim());
    let submission = { content: content() };
    for (const title of titles) {
      let response;
      try {
        response = await fetch(new URL('sign', `${address.value.trim().replace(/\/$/, '')}/`), {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ title, submission }) });
      } catch {
        throw new ApiError(0, { error: { code: 'signtool_unreachable', field: 'signtool',
          message: t('signToolUnreachable') } });
      }
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new ApiError(response.status, body);
      submission = body;
    }
    accept(submission);
  }));

  fileInput.addEventListener('change', () => busy(fileInput, panel, async () => {
    const file = fileInput.files[0];
    if (!file) return;
    let submission;
    try {
      submission = JSON.parse(await file.text());
    } catch {
      throw new ApiError(0, { error: { code: 'invalid_json', field: 'signed-file', message: t('invalidJson') } });
    }
    if (!submission || canonical(submission.content) !== canonical(content())) {
      throw new ApiError(0, { error: { code: 'signed_file_mismatch', field: 'signed-file',
        message: t('signedFileMismatch') } });
    }
    accept(submission);
  }));

  draw();
  return {
    element: panel,
    /** The submission to send: every title has signed exactly the content on screen now
     * (else an ApiError to show; an edit since the signing drops the signatures). */
    ready() {
      const have = new Set((signed?.signatures || []).map((s) => s.title));
      if (!titles.every((x) => have.has(x))) {
        throw new ApiError(0, { error: { code: 'signature_missing', message: t('needSignatures') } });
      }
      if (canonical(content()) !== canonical(signed.content)) {
        this.reset();
        throw new ApiError(0, { error: { code: 'content_changed', message: t('editAfterSign') } });
      }
      return signed;
    },
    reset() {
      if (!signed) return;
      signed = null;
      fileInput.value = '';
      draw();
    },
  };
}
