/* watch.js — supervisors and admins follow a conversation silently, by its reference. */
import H from '../common.js';
import { S, ui, peek, allStates } from './state.js';
import { $, flash } from './util.js';
import { openConversation } from './conversations.js';

const REFERENCE = /^[A-Za-z0-9_-]{1,64}$/; // what a conversation id can look like on the wire

function submitWatch(e) {
  e.preventDefault();
  const input = $('watch-id');
  const id = input.value.trim();
  if (!REFERENCE.test(id)) { flash('console.watch_invalid'); input.focus(); return; }
  if (peek(id).mine || peek(id).watched) { input.value = ''; openConversation(id, true); return; }
  if (!S.client || !S.client.control({ type: 'watch', conversation_id: id })) { flash('console.not_connected'); return; }
  ui(id).watchPendingAt = Date.now();
  input.value = '';
}

// The supervisor page opens a conversation as /console#watch=<id>: watch it once connected, as
// if the id had been typed (the fragment never reaches the server), then clear the address.
export function watchFromAddress() {
  const m = /^#watch=([A-Za-z0-9_-]{1,64})$/.exec(window.location.hash);
  const role = S.session && S.session.staff && S.session.staff.role;
  if (!m || !['supervisor', 'admin'].includes(role)) return;
  history.replaceState(null, '', window.location.pathname);
  const id = m[1];
  if (peek(id).mine || peek(id).watched) { openConversation(id, true); return; }
  if (S.client.control({ type: 'watch', conversation_id: id })) ui(id).watchPendingAt = Date.now();
}

// Watching lasts as long as one connection: ask again (before the client re-syncs).
export function watchAgain() {
  for (const [id, u] of allStates()) {
    if (!u.watched) continue;
    const st = S.client.convs.get(id);
    if (st && st.conv && st.conv.status !== 'ended' && st.conv.status !== 'deleted') S.client.control({ type: 'watch', conversation_id: id });
  }
}

// The answer to a watch we asked for: now we follow it (unless it is ours anyway).
export function onWatchStarted(st) {
  const u = peek(st.id);
  if (!u.watchPendingAt) return;
  ui(st.id).watchPendingAt = 0;
  if (u.mine) return;
  ui(st.id).watched = true;
  flash('console.watch_started');
  openConversation(st.id, true);
}

// A watch that was refused; true if f was about one.
export function onWatchError(f) {
  if (!f.ref || !peek(f.ref).watchPendingAt) return false;
  ui(f.ref).watchPendingAt = 0;
  flash(f.code === 'not_found' ? 'console.watch_not_found' : H.errorKey(f.code));
  return true;
}

export function wireWatch() {
  $('watch-form').addEventListener('submit', submitWatch);
}
