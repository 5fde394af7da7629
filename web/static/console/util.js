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
let standing = null; // the notice that stays while it holds: { key, until }

// flash shows a passing notice for 8 s. With opts.until it is a standing notice: it stays until
// that is true (rechecked each second), so that "you have an offer" goes when the offer does, not
// on a timer, and a passing notice meanwhile ("someone new is waiting") does not replace it.
export function flash(key, args, opts) {
  const node = $('console-status');
  if (standing && !(opts && opts.until) && !standing.until()) return;
  H.setText(node, key, args);
  clearTimeout(statusTimer);
  if (opts && opts.until) {
    standing = { key, until: opts.until };
    const check = () => { if (opts.until()) clearFlash(key); else statusTimer = setTimeout(check, 1000); };
    statusTimer = setTimeout(check, 1000);
    return;
  }
  standing = null;
  statusTimer = setTimeout(() => H.clearText(node), 8000);
}

// clearFlash removes the notice if it is still the one named.
export function clearFlash(key) {
  const node = $('console-status');
  if (standing && standing.key === key) standing = null;
  if (node.dataset.i18n === key) { clearTimeout(statusTimer); H.clearText(node); }
}

// label is a short, stable name for a conversation ("Conversation 3"), kept in this browser tab
// for the whole sign-in, so colleagues' and our own references stay the same across reloads.
export function conversationNumber(id) {
  const labels = H.store.get('session', 'console.labels') || { next: 1, of: {} };
  if (!labels.of[id]) {
    labels.of[id] = labels.next++;
    H.store.set('session', 'console.labels', labels);
  }
  return labels.of[id];
}

// minutesSince is whole minutes since an ISO time (0 while under one).
export function minutesSince(iso) {
  const ms = Date.now() - Date.parse(iso);
  return ms > 0 ? Math.floor(ms / 60000) : 0;
}

export function updateTitle() {
  const total = offerCount() + unreadTotal();
  document.title = (total ? '(' + total + ') ' : '') + H.t('console.page_title');
}

let ids = 0;
export function nextId(prefix) { return prefix + (++ids); }
