/* util.js — small drawing helpers the console's panels share. */
import H from '../common.js';
import { offerCount, unreadTotal } from './state.js';

export const $ = (id) => document.getElementById(id);

export function setPlain(node, text) {
  H.clearText(node);
  node.textContent = text;
}

export function setValueOrNotSaid(node, text) {
  if (text) setPlain(node, text); else H.setText(node, 'console.not_said');
}

export function audienceKey(a) { return a ? 'audience.' + a : 'audience.none'; }

export function endedKey(by) {
  return 'console.ended_' + (['seeker', 'counselor', 'left', 'abandoned', 'blocked', 'system', 'unavailable'].includes(by) ? by : 'system');
}

// Active is the only state in which we can write; the others say why not.
export function closedKey(c) {
  if (c.status === 'deleted') return 'console.ended_deleted';
  if (c.status === 'waiting') return 'console.status_requeued';
  return endedKey(c.ended_by);
}

let statusTimer = 0;
export function flash(key, args) {
  const node = $('console-status');
  H.setText(node, key, args);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => H.clearText(node), 8000);
}

export function updateTitle() {
  const total = offerCount() + unreadTotal();
  document.title = (total ? '(' + total + ') ' : '') + H.t('console.page_title');
}

let ids = 0;
export function nextId(prefix) { return prefix + (++ids); }
