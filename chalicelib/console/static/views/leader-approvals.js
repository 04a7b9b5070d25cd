// The leader's approvals: dossiers the office's officers accepted, soonest due first.
import { taskScreen } from '../tasks.js';

export const render = taskScreen('approvalsTitle', 'leader');
