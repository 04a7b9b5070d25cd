// Attachments: each file is hashed here (SHA-256), announced to the API (POST /v1/documents),
// and PUT straight to S3 at the presigned URL with the signed checksum header, with progress.
import { ApiError, post } from './api.js';
import { named, t } from './i18n.js';
import { busy, control, h } from './ui.js';

async function sha256Hex(file) {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function put(upload, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', upload.url);
    for (const [k, v] of Object.entries(upload.headers || {})) {
      if (k.toLowerCase() !== 'content-length') xhr.setRequestHeader(k, v);
    }
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) progress.value = e.loaded / e.total; });
    xhr.addEventListener('load', () => (xhr.status < 300 ? resolve()
      : reject(new ApiError(xhr.status, { error: { code: 'upload_failed', field: 'file', message: `${t('error')} (${xhr.status})` } }))));
    xhr.addEventListener('error', () => reject(new ApiError(0, { error: { code: 'network', field: 'file', message: t('networkError') } })));
    xhr.send(file);
  });
}

/** The attachments panel for a procedure's components; `panel.manifest()` lists what is uploaded. */
export function uploadsPanel(components, onChange) {
  const entries = [];
  const kinds = [...components.map((c) => [c.kind, named(c)]), ['other', t('otherKind')]];
  const kind = h('select', { name: 'kind' }, kinds.map(([k, label]) => h('option', { value: k }, label)));
  const file = h('input', { type: 'file', name: 'file' });
  const button = h('button', { type: 'button', class: 'secondary', dataset: { action: 'upload' } }, t('upload'));
  const list = h('ul', { class: 'uploads' });
  const panel = h('fieldset', { class: 'card' }, h('legend', {}, t('attachments')),
    h('div', { class: 'grid' }, control(t('kind'), kind, 'kind'), control(t('file'), file, 'file')),
    h('div', { class: 'actions' }, button), list);

  button.addEventListener('click', () => busy(button, panel, async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    const progress = h('progress', { max: 1, value: 0, 'aria-label': chosen.name });
    const item = h('li', { dataset: { file: chosen.name } }, `${chosen.name} `, progress);
    list.append(item);
    try {
      const sha256 = await sha256Hex(chosen);
      const answer = await post('/documents', { name: chosen.name, sha256, size: chosen.size,
        content_type: chosen.type || 'application/octet-stream' });
      if (answer.upload) await put(answer.upload, chosen, progress);
      progress.value = 1;
      const entry = { kind: kind.value, name: chosen.name, sha256 };
      entries.push(entry);
      item.dataset.done = 'true';
      item.append(' ', h('strong', {}, answer.upload ? t('uploaded') : t('alreadyStored')), ' ',
        h('button', { type: 'button', class: 'link', onclick: () => {
          entries.splice(entries.indexOf(entry), 1);
          item.remove();
          onChange();
        } }, t('removeFile')));
      file.value = '';
      onChange();
    } catch (error) {
      item.remove();
      throw error;
    }
  }));
  return { element: panel, manifest: () => entries.map((e) => ({ ...e })) };
}
