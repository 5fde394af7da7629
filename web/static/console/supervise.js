/* supervise.js — supervision in the console (chat/PROTOCOL.md "Supervision").
 * For the counsellor: who is viewing the open conversation ("Sam (supervisor) is viewing"),
 * and supervisors' whispers, inline in the messages and marked as seen by staff only.
 * For a supervisor or admin watching a conversation: the whisper form, join, leave and take over.
 * Whispers are never messages: they have no seq and are fetched over HTTP
 * (GET /api/staff/conversations/{id}/supervision) when a conversation opens, when the
 * `whisper` frame says there is a new one, and after a reconnect. */
import H from '../common.js';
import { newClientId } from '../lib/api.js';
import { S, ui, peek, me, canWatch, current } from './state.js';
import { $, flash } from './util.js';
import { renderAll } from './render.js';
import { wireConfirm } from '../lib/confirm.js';

const views = new Map(); // conversation id → {watchers, joined, whispers, conv}: the last view fetched
const loading = new Map(); // conversation id → a fetch in flight

function viewOf(id) { return views.get(id) || { watchers: [], joined: null, whispers: [], conv: null }; }

function path(id, what) { return '/api/staff/conversations/' + encodeURIComponent(id) + '/' + what; }

// Fetches a conversation's supervision view (audited on the server) and redraws.
export function loadSupervision(id) {
  if (!id || !S.session || loading.has(id)) return;
  const p = H.api('GET', path(id, 'supervision'), undefined, S.session.token)
    .then((v) => {
      const old = viewOf(id);
      views.set(id, {
        watchers: Array.isArray(v.watchers) ? v.watchers : [],
        joined: v.joined || null,
        whispers: Array.isArray(v.whispers) ? v.whispers : [],
        conv: old.conv,
      });
      if (id === S.openId) renderSupervision();
    })
    .catch(() => { /* not ours to see (any more), or offline: nothing to show */ })
    .finally(() => loading.delete(id));
  loading.set(id, p);
}

// ------------------------------------------------------------ frames

export function onWatchers(f) {
  if (typeof f.conversation_id !== 'string') return;
  const v = viewOf(f.conversation_id);
  views.set(f.conversation_id, Object.assign({}, v, { watchers: Array.isArray(f.watchers) ? f.watchers : [] }));
  if (f.conversation_id === S.openId) renderSupervision();
}

export function onWhisper(f) {
  if (typeof f.conversation_id !== 'string') return;
  if (f.conversation_id === S.openId) loadSupervision(f.conversation_id);
  else if (peek(f.conversation_id).mine) flash('supervision.whisper_elsewhere'); // for the counsellor, not a watcher
}

export function onTakenOver(f) {
  if (typeof f.conversation_id !== 'string') return;
  views.delete(f.conversation_id);
  flash('supervision.taken_over_by', { name: String(f.by || '') });
}

// After a reconnect: whatever was on screen may have changed meanwhile.
export function supervisionAgain() {
  if (S.openId) loadSupervision(S.openId);
}

// ------------------------------------------------------------ drawing

function roleName(role) {
  return H.t(role === 'admin' ? 'supervision.role_admin' : 'supervision.role_supervisor');
}

function joinedByMe(id) {
  const j = viewOf(id).joined;
  return !!j && String(j.id) === String(me().id);
}

// Called whenever the open conversation's pane is drawn (renderPane).
export function renderSupervision() {
  const st = current();
  const box = $('sup-viewing');
  const panel = $('sup-panel');
  if (!st) { box.hidden = true; panel.hidden = true; return; }
  const id = st.id;
  if (st.conv.status === 'deleted') { // erased by the help-seeker: keep nothing of it
    views.delete(id);
    box.hidden = true;
    panel.hidden = true;
    return;
  }
  const v = viewOf(id);
  if (v.conv !== st.conv) { // a new state (joined, left, moved, ended): ask again
    views.set(id, Object.assign({}, v, { conv: st.conv }));
    loadSupervision(id);
  }
  const active = st.conv.status === 'active';
  // Who is viewing, other than us.
  const others = v.watchers.filter((w) => String(w.id) !== String(me().id));
  box.hidden = !active || others.length === 0;
  if (!box.hidden) {
    const names = others.map((w) => H.t('supervision.viewer', { name: w.name, role: roleName(w.role) })).join(', ');
    H.setText($('sup-viewing-text'), others.length === 1 ? 'supervision.viewing_one' : 'supervision.viewing_many', { names });
  }
  // A supervisor's controls, while they watch it or have joined it.
  const u = peek(id);
  const joined = joinedByMe(id);
  const supervising = canWatch() && active && (u.watched || joined);
  panel.hidden = !supervising;
  $('sup-join').hidden = joined;
  $('sup-leave').hidden = !joined;
  if (!supervising) $('sup-take-confirm').hidden = true;
  // A supervisor who joined writes beside the counsellor, but hands nothing on; one who
  // left is watching again, without the composer (this view may change with no new pane).
  if (canWatch() && active && u.watched) {
    $('c-composer').hidden = !joined;
    $('c-watching').hidden = joined;
  }
  $('c-transfer').hidden = joined && u.watched;
  $('c-end').hidden = joined && u.watched;
  placeWhispers(st);
}

// Whispers go in the message log between the messages around their time, marked apart.
// Each gets a seq of N + 0.5 (N: the last message before it), so MessageLog keeps order.
export function placeWhispers(st) {
  if (!st || st.id !== S.openId) return;
  const list = $('c-messages');
  const shown = new Set(Array.from(list.querySelectorAll('li.whisper')).map((li) => li.dataset.whisperId));
  const msgs = Array.from(st.messages.values());
  for (const w of viewOf(st.id).whispers) {
    if (shown.has(w.id)) continue;
    const at = Date.parse(w.at) || 0;
    let before = 0;
    for (const m of msgs) if ((Date.parse(m.sent_at) || 0) <= at && m.seq > before) before = m.seq;
    list.insertBefore(whisperItem(w, before + 0.5), firstAfter(list, before + 0.5));
  }
}

function firstAfter(list, seq) {
  for (const li of list.children) if (li.dataset.seq && Number(li.dataset.seq) > seq) return li;
  return null;
}

function whisperItem(w, seq) {
  const own = String(w.from_id) === String(me().id);
  const li = H.el('li', { class: 'msg whisper', role: 'none', dataset: { seq: String(seq), whisperId: String(w.id) } }, [
    H.el('div', { class: 'msg-meta' }, [
      H.el('span', { class: 'msg-who', i18n: own ? ['supervision.whisper_own'] : ['supervision.whisper_from', { name: String(w.from || '') }] }),
      H.el('time', { class: 'msg-time', text: H.fmtTime(w.at) }),
    ]),
    H.el('p', { class: 'msg-body', text: String(w.body || '') }),
  ]);
  return li;
}

// ------------------------------------------------------------ actions

async function act(what, body) {
  const id = S.openId;
  if (!id || !S.session) return null;
  try {
    return await H.api('POST', path(id, what), body || {}, S.session.token);
  } catch (err) {
    flash(H.errorKey(err.code));
    return null;
  }
}

async function sendWhisper(e) {
  e.preventDefault();
  const input = $('sup-whisper');
  const text = input.value.trim();
  if (!text || !S.openId) return;
  const button = $('sup-whisper-send');
  button.disabled = true;
  // One client id per whisper: a retry after a lost answer is stored once.
  const clientId = input.dataset.clientId || newClientId();
  input.dataset.clientId = clientId;
  const res = await act('whispers', { client_id: clientId, body: text });
  button.disabled = false;
  if (!res) return;
  input.value = '';
  delete input.dataset.clientId;
  flash('supervision.whisper_sent');
  loadSupervision(S.openId);
}

async function join() {
  if (await act('join')) { flash('supervision.joined_you'); loadSupervision(S.openId); $('c-compose').focus(); }
}

async function leaveIt() {
  if (await act('leave')) { flash('supervision.left_you'); loadSupervision(S.openId); }
}

async function takeOver() {
  $('sup-take-confirm').hidden = true;
  const id = S.openId;
  if (!(await act('take-over'))) return;
  Object.assign(ui(id), { watched: false, mine: true });
  flash('supervision.taken_over_you');
  renderAll();
  loadSupervision(id);
}

export function wireSupervise() {
  $('sup-whisper-form').addEventListener('submit', sendWhisper);
  $('sup-whisper').maxLength = 2000;
  $('sup-whisper').addEventListener('input', () => { delete $('sup-whisper').dataset.clientId; });
  $('sup-join').addEventListener('click', join);
  $('sup-leave').addEventListener('click', leaveIt);
  // "No" first and focused, Tab kept inside, Escape closes (lib/confirm.js).
  wireConfirm($('sup-take-confirm'), $('sup-take'), $('sup-take-no'));
  $('sup-take-yes').addEventListener('click', takeOver);
}
