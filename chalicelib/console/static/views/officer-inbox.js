// The control officer's inbox: open review tasks of the office, soonest due first.
import { taskScreen } from '../tasks.js';

export const render = taskScreen('inboxTitle', 'control_officer');
