/* queue.js — the waiting list and the offers made to us, and accepting from either. */
import H from '../common.js';
import { S, ui, peek, allStates, atCapacity, isAccepting, takesConversations } from './state.js';
import { $, setPlain, audienceKey, flash, clearFlash, updateTitle, nextId } from './util.js';
import { soundOn, setSound, tone, notify, askToNotify } from '../lib/alert.js';
import { renderTabs } from './conversations.js';
import { riskMarker } from './riskflags.js';
import { askForSnapshots } from './streams.js';

const HANDED_BACK_QUIET = 10000; // a conversation we sent back to the queue is not "someone new"

function waitLabel(since) {
  const minutes = Math.floor((Date.now() - Date.parse(since)) / 60000);
  if (!(minutes >= 1)) return ['console.waiting_now'];
  if (minutes < 60) return ['console.waiting_minutes', { minutes }];
  return ['console.waiting_hours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 }];
}

// Audience, language and region of a waiting conversation, for the queue and offers.
function describe(li, c) {
  li.classList.toggle('young', c.audience === 'young'); // emphasis only; the text says "Under 18"
  H.setText(li.querySelector('.q-audience'), audienceKey(c.audience));
  // Unanswered questions are simply left out here; the open conversation lists them all.
  setPlain(li.querySelector('.q-language'), c.language ? H.languageName(c.language) : '');
  setPlain(li.querySelector('.q-region'), c.region || '');
  riskMarker(li, c);
}

function waitingRow(id, buttons) {
  const infoId = nextId('row-info-');
  return H.el('li', { class: 'queue-item' }, [
    H.el('div', { class: 'q-info', id: infoId }, [
      H.el('span', { class: 'q-audience' }), H.el('span', { class: 'q-language' }),
      H.el('span', { class: 'q-region' }), H.el('span', { class: 'q-wait' }),
    ]),
    ...buttons.map(([cls, key]) => H.el('button', { type: 'button', class: cls, 'aria-describedby': infoId, dataset: { conversationId: id }, i18n: [key] })),
  ]);
}

function entries(list) {
  return Array.isArray(list) ? list.filter((q) => q && typeof q.conversation_id === 'string') : [];
}

// The queue whole: when the socket opens (and when we ask again), with its version.
export function onQueue(f) {
  const list = entries(f.waiting);
  S.queueCounted = false;
  S.queueVersion = Number.isInteger(f.queue_version) ? f.queue_version : null;
  S.snapshotAsked = false;
  queueNow(list, Number.isInteger(f.waiting_total) ? f.waiting_total : list.length,
    Number.isInteger(f.page_size) && f.page_size > 0 ? f.page_size : list.length);
}

// After that what changed: the ids that left, the entries that entered or changed (whole),
// and the order of all listed when it is not ours with the newcomers last. A change our list
// already includes is skipped; one that skips a version means we missed one: ask again.
export function onQueueChanges(f) {
  if (S.queueVersion === null || !Number.isInteger(f.queue_version) || f.queue_version <= S.queueVersion) return;
  if (f.queue_version > S.queueVersion + 1) { askForSnapshots(); return; }
  S.queueVersion = f.queue_version;
  const left = new Set(Array.isArray(f.left) ? f.left : []);
  let list = S.queue.filter((q) => !left.has(q.conversation_id));
  for (const e of entries(f.entered)) {
    const i = list.findIndex((q) => q.conversation_id === e.conversation_id);
    if (i >= 0) list[i] = e; else list.push(e);
  }
  if (Array.isArray(f.order)) {
    const at = new Map(f.order.map((id, i) => [id, i]));
    list = list.filter((q) => at.has(q.conversation_id)).sort((a, b) => at.get(a.conversation_id) - at.get(b.conversation_id));
  }
  queueNow(list, Number.isInteger(f.waiting_total) ? f.waiting_total : list.length, S.queuePageSize || list.length);
}

// While we are at capacity the server sends only how many wait (we could not accept one), and
// the list again, as a `queue` frame, once we have room. Changes to the list we no longer
// have are ignored until then (no version).
export function onQueueTotal(f) {
  S.queue = [];
  S.queueTotal = Number.isInteger(f.waiting_total) ? f.waiting_total : 0;
  S.queueVersion = null;
  S.queueCounted = true;
  renderQueue();
}

function queueNow(list, total, pageSize) {
  const before = new Set(S.queue.map((q) => q.conversation_id));
  S.queue = list;
  S.queueTotal = total;
  S.queuePageSize = pageSize;
  const now = Date.now();
  // With the whole queue in view, an offer for something no longer waiting is gone. Queue
  // and offer frames travel separately, so a queue frame may be a moment older than an
  // offer: only an absence that outlasts the next frames (a second) counts.
  if (S.queueTotal <= S.queuePageSize) {
    const waiting = new Set(S.queue.map((q) => q.conversation_id));
    for (const [id, u] of allStates()) {
      if (!u.offer) continue;
      if (waiting.has(id)) u.offer.missingSince = 0;
      else if (!u.offer.missingSince) u.offer.missingSince = now;
    }
    renderOffers();
  }
  // Someone new: not one we have just sent back to the queue ourselves.
  for (const [, u] of allStates()) if (u.handedBackAt && now - u.handedBackAt > HANDED_BACK_QUIET) u.handedBackAt = 0;
  if (S.queue.some((q) => !before.has(q.conversation_id) && !peek(q.conversation_id).handedBackAt)) flash('console.queue_new');
  renderQueue();
}

export function onOffer(f) {
  const c = f.conversation;
  if (!c || typeof c.id !== 'string') return;
  const isNew = !peek(c.id).offer;
  ui(c.id).offer = { conv: c, expires: Date.parse(f.expires_at) || Date.now() + 30000, reason: f.reason || '' };
  flash('console.offer_new', undefined, { until: () => !hasOffers() });
  if (isNew) ringForOffer();
  renderOffers();
  updateTitle();
}

function hasOffers() {
  for (const [, u] of allStates()) if (u.offer) return true;
  return false;
}

// An offer rings: a tone (unless switched off), and a desktop notice when the page is out of view.
function ringForOffer() {
  if (soundOn('offers')) tone({ pitch: 660, notes: 2 });
  notify(H.t('console.offer_notify_title'), H.t('console.offer_notify_body'), 'helpline-offer');
}

export function dropOffer(id) {
  if (peek(id).offer) ui(id).offer = null;
}

export function renderOffers() {
  const now = Date.now();
  const list = [];
  for (const [, u] of allStates()) {
    const o = u.offer;
    if (o && (o.expires <= now || (o.missingSince && now - o.missingSince > 1000))) u.offer = null;
    else if (o) list.push(o);
  }
  H.syncList($('offers'), list, (o) => o.conv.id,
    (o) => {
      const li = waitingRow(o.conv.id, [['accept primary', 'console.accept'], ['decline secondary', 'console.decline']]);
      li.querySelector('.q-info').append(H.el('span', { class: 'q-fallback' }));
      return li;
    },
    (li, o) => {
      describe(li, o.conv);
      H.setText(li.querySelector('.q-wait'), 'console.offer_left', { seconds: Math.max(0, Math.ceil((o.expires - now) / 1000)) });
      const fallback = li.querySelector('.q-fallback');
      if (o.reason === 'language_fallback') H.setText(fallback, 'console.offer_language_fallback'); else H.clearText(fallback);
      li.querySelector('button.accept').disabled = isAccepting(o.conv.id);
    });
  $('offers-panel').hidden = list.length === 0;
  if (list.length === 0) clearFlash('console.offer_new'); // accepted, declined or gone: no longer true
  updateTitle();
}

export function renderQueue() {
  const full = atCapacity();
  H.syncList($('queue'), S.queue, (q) => q.conversation_id,
    (q) => waitingRow(q.conversation_id, takesConversations() ? [['accept primary', 'console.accept']] : []),
    (li, q) => {
      describe(li, q);
      const wait = waitLabel(q.waiting_since);
      H.setText(li.querySelector('.q-wait'), wait[0], wait[1]);
      const accept = li.querySelector('button.accept');
      if (accept) accept.disabled = full || isAccepting(q.conversation_id);
    });
  $('queue-empty').hidden = S.queue.length > 0 || S.queueTotal > 0;
  $('queue-full').hidden = !(full && S.queueTotal > 0);
  const more = $('queue-more');
  const hidden = S.queueTotal - S.queue.length;
  // Only the number while we are at capacity: "N waiting"; else those past the listed ones.
  if (hidden > 0) H.setText(more, S.queueCounted ? 'console.queue_waiting' : 'console.queue_more', { count: hidden }); else H.clearText(more);
  more.hidden = !(hidden > 0);
}

// An accept that was refused: say why, and free its buttons.
export function onAcceptError(f) {
  if (!f.ref || !peek(f.ref).acceptingAt) return false;
  const u = ui(f.ref);
  u.acceptingAt = 0;
  u.offer = null;
  flash(f.code === 'conflict' ? 'console.accept_conflict' : f.code === 'not_found' ? 'console.accept_gone' : H.errorKey(f.code));
  renderOffers();
  renderQueue();
  return true;
}

function accept(button) {
  const id = button.dataset.conversationId;
  if (!S.client || !S.client.control({ type: 'accept', conversation_id: id })) { flash('console.not_connected'); return; }
  ui(id).acceptingAt = Date.now();
  button.disabled = true;
}

export function wireQueue() {
  const sound = $('sound-offers');
  sound.checked = soundOn('offers');
  sound.addEventListener('change', () => { setSound('offers', sound.checked); if (sound.checked) tone({ pitch: 660, notes: 1 }); });
  const ask = $('notify-enable');
  ask.hidden = !(window.Notification && Notification.permission === 'default');
  ask.addEventListener('click', () => { askToNotify(); ask.hidden = true; });
  $('missed-offers-dismiss').addEventListener('click', () => { $('missed-offers').hidden = true; $('presence').focus(); });
  $('queue').addEventListener('click', (e) => {
    const b = e.target.closest('button.accept');
    if (b && !b.disabled) accept(b);
  });
  $('offers').addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b || b.disabled) return;
    if (b.classList.contains('accept')) { accept(b); return; }
    const id = b.dataset.conversationId;
    if (S.client) S.client.control({ type: 'decline', conversation_id: id });
    dropOffer(id);
    renderOffers();
  });
  setInterval(() => { renderQueue(); renderTabs(); }, 15000); // keep "waiting N min" and the tabs' ages current
  setInterval(() => { if (allStates().some(([, u]) => u.offer)) renderOffers(); }, 1000); // offer countdowns
}
