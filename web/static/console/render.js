/* render.js — draws every panel from the state. */
import { renderStaff } from './status.js';
import { renderOffers, renderQueue } from './queue.js';
import { renderTabs, renderPane } from './conversations.js';
import { renderTeam } from './team.js';

export function renderAll() {
  renderStaff();
  renderOffers();
  renderQueue();
  renderTabs();
  renderPane();
  renderTeam();
}
