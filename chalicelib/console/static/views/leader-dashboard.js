// Placeholder until this screen is built: its title and an empty state.
import { t } from '../i18n.js';
import { empty, heading } from '../ui.js';

export async function render(page) {
  page.append(heading(t('dashboardTitle')), empty(t('loading')));
}
