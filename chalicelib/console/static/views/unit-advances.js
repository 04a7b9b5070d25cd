// The unit's advance register (sổ theo dõi tạm ứng, Decree 347/2025 Art.6 cl.2 pt.e): each paid
// advance, what its settlements converted, what is left and how old it is; an advance still open
// after its budget year's adjustment period is marked (GET /v1/advances).
import { registerTable } from '../advances.js';
import { get } from '../api.js';
import { t } from '../i18n.js';
import { busy, h, heading, loading, refreshButton } from '../ui.js';

export async function render(page) {
  const refresh = refreshButton();
  const body = h('div', {}, loading());
  page.append(heading(t('advancesTitle')), h('div', { class: 'actions' }, refresh), body);
  const draw = async () => {
    const register = await get('/advances', { open: 'false' });
    body.replaceChildren(registerTable(register, (id) => `#/unit/dossiers/${id}`));
  };
  refresh.addEventListener('click', () => busy(refresh, body, draw));
  await draw();
}
