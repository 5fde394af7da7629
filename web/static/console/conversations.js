/* conversations.js — our conversations: the tabs, the open one (details, messages, notes,
 * composer) and what happens to each as the server reports it. */
import H from '../common.js';
import { S, ui, peek, leave, conversations, isAccepting, movedAway, current } from './state.js';
import { $, setPlain, setValueOrNotSaid, audienceKey, closedKey, endedKey, flash, updateTitle, nextId, conversationNumber, minutesSince } from './util.js';
import { dropOffer } from './queue.js';
import { closeTransferForm, renderTransferForm } from './transfer.js';
import { onWatchStarted } from './watch.js';
import { renderAll } from './render.js';
import { wireConfirm } from '../lib/confirm.js';
import { renderRiskFlags } from './riskflags.js';
import { renderTools, mayShip } from './tools.js';
import { renderEscalationPane } from './escalation.js';
import { renderSupervision } from './supervise.js';
import { renderReferral } from './referral.js';

export function onConversation(st) {
  const c = st.conv;
  if (c.status !== 'waiting') dropOffer(st.id);
  onWatchStarted(st);
  const u = peek(st.id);
  if (u.watched) {
    if (c.status === 'deleted') forgetContent(st);
    renderAll();
    return;
  }
  if (u.mine && movedAway(st)) { movedOn(st); return; }
  if (!u.mine) {
    if (c.status !== 'active') { S.client.forget(st.id); renderAll(); return; } // not (or no longer) ours
    ui(st.id).mine = true; // assigned to us: accepted here, in another tab, or transferred to us
    if (!isAccepting(st.id)) ui(st.id).incoming = true;
  }
  if (c.status === 'deleted') forgetContent(st);
  if (isAccepting(st.id) && c.status === 'active') {
    ui(st.id).acceptingAt = 0;
    openConversation(st.id, true); // we just accepted it: go there
  } else if (!S.openId && st.conv.status === 'active') {
    openConversation(st.id, false);
  }
  renderAll();
}

// The help-seeker deleted the conversation: keep nothing of it on this screen either.
function forgetContent(st) {
  for (const p of st.pending.values()) clearTimeout(p.timer);
  st.messages.clear();
  st.pending.clear();
  st.conv = { id: st.id, status: 'deleted', audience: '', language: '', region: '', counselor_name: '', created_at: st.conv.created_at, last_seq: 0, ended_by: '' };
  Object.assign(ui(st.id), { notes: null, unread: 0, draft: '' });
  S.typingOut.forget(st.id);
  if (st.id === S.openId) {
    S.log.clear();
    S.typingIn.set(false);
    closeTransferForm(false);
  }
}

// Transferred away or back in the queue: it leaves our list, and we say where it went.
function movedOn(st) {
  const t = peek(st.id).transferring;
  let key = 'console.moved_away';
  let args;
  if (st.conv.status === 'waiting') ui(st.id).handedBackAt = Date.now();
  if (t && st.conv.status === 'waiting') key = 'console.transfer_done_queue';
  else if (t) { key = 'console.transfer_done_colleague'; args = { name: st.conv.counselor_name || t.name }; }
  const hadFocus = removeConversation(st.id);
  flash(key, args);
  if (hadFocus) $('conversations-heading').focus();
}

// Drops a conversation from this screen; true if focus was inside its open pane.
export function removeConversation(id) {
  const wasOpen = S.openId === id;
  const hadFocus = wasOpen && $('conversation').contains(document.activeElement);
  S.typingOut.forget(id);
  S.client.forget(id);
  leave(id);
  if (wasOpen) {
    S.openId = null;
    S.log.clear();
    S.typingIn.set(false);
    closeTransferForm(false);
    $('c-compose').value = '';
  }
  renderAll();
  return hadFocus;
}

export function onMessage(st, msg) {
  if (st.id === S.openId) {
    S.log.upsertMessage(msg);
    if (msg.sender === 'seeker') S.typingIn.set(false);
  } else if (peek(st.id).caughtUp && msg.sender === 'seeker') {
    ui(st.id).unread++;
    renderTabs();
  }
}

export function onPending(st, p) {
  if (st.id === S.openId) S.log.upsertPending(p);
  if (p.state === 'failed') flash('common.send_failed');
}

export function onSynced(st) {
  const u = ui(st.id);
  u.caughtUp = true;
  if (!u.incoming) return;
  u.incoming = false;
  // Given to us without our accept: if the latest event is a transfer, a colleague handed it on.
  let last = null;
  for (const m of st.messages.values()) if (m.sender === 'system' && (!last || m.seq > last.seq)) last = m;
  if (last && last.kind === 'transferred') flash('console.transferred_in');
}

export function onTyping(f) {
  if (f.conversation_id === S.openId && f.sender === 'seeker') S.typingIn.set(!!f.typing);
}

export function onNotes(f) {
  if (typeof f.conversation_id !== 'string') return;
  ui(f.conversation_id).notes = Array.isArray(f.notes) ? f.notes : [];
  if (f.conversation_id === S.openId) renderNotes();
}

// A not_found about a conversation we follow: no longer ours (e.g. it ended while we were
// away). Keep the transcript, stop writing. True if f was about one we know.
export function onConversationGone(f) {
  const st = f.ref && S.client.convs.get(f.ref);
  if (f.ref && f.code === 'not_found' && !st) return true; // about one we no longer follow
  if (!st || f.code !== 'not_found') return false;
  const u = peek(st.id);
  if (!u.mine && !u.watched) S.client.forget(st.id);
  else if (st.conv && st.conv.status !== 'deleted') st.conv = Object.assign({}, st.conv, { status: 'ended', ended_by: 'unavailable' });
  if (st.id === S.openId) closeTransferForm(false);
  renderAll();
  return true;
}

// conversationLabel tells conversations apart at a glance: "Conversation 3 · Madrid · 12 min"
// (the number stays the same for this sign-in; the place is the region, else the language).
export function conversationLabel(st) {
  const c = st.conv;
  const place = c.region || (c.language ? H.languageName(c.language) : '');
  const args = { n: conversationNumber(st.id), place, minutes: minutesSince(c.created_at) };
  return [place ? 'console.conversation_label_place' : 'console.conversation_label', args];
}

export function renderTabs() {
  const list = conversations();
  H.syncList($('conversations'), list, (st) => st.id, createTab, updateTab);
  $('conversations-empty').hidden = list.length > 0;
  updateTitle();
}

function createTab(st) {
  const stateId = nextId('tab-state-');
  return H.el('li', { class: 'conv-item' }, [
    H.el('button', { type: 'button', class: 'tab', dataset: { conversationId: st.id } }, [
      H.el('span', { class: 'tab-label' }), H.el('span', { class: 'tab-audience' }),
      H.el('span', { class: 'tab-state', id: stateId }), H.el('span', { class: 'unread' }),
    ]),
    H.el('button', { type: 'button', class: 'close-conv secondary', 'aria-describedby': stateId, dataset: { closeId: st.id }, i18n: ['console.close_conversation'], hidden: true }),
  ]);
}

function tabStateKey(st) {
  const c = st.conv;
  if (c.status === 'deleted') return 'console.tab_deleted';
  if (c.status === 'ended') return 'console.tab_ended';
  if (c.status === 'waiting') return 'console.tab_requeued';
  return peek(st.id).watched ? 'console.tab_watching' : '';
}

function updateTab(li, st) {
  const c = st.conv;
  const closed = c.status !== 'active';
  const watching = peek(st.id).watched;
  const tab = li.querySelector('button.tab');
  if (st.id === S.openId) tab.setAttribute('aria-current', 'true'); else tab.removeAttribute('aria-current');
  li.classList.toggle('ended', closed);
  li.classList.toggle('watching', watching);
  H.setText(li.querySelector('.tab-label'), ...conversationLabel(st));
  if (c.status === 'deleted') H.setText(li.querySelector('.tab-audience'), 'console.deleted_heading');
  else H.setText(li.querySelector('.tab-audience'), audienceKey(c.audience));
  const state = li.querySelector('.tab-state');
  const key = tabStateKey(st);
  if (key) H.setText(state, key); else H.clearText(state);
  const n = peek(st.id).unread;
  const badge = li.querySelector('.unread');
  if (n) H.setText(badge, 'console.unread', { count: n }); else H.clearText(badge);
  badge.hidden = !n;
  const close = li.querySelector('button.close-conv');
  H.setText(close, watching ? 'console.stop_watching' : 'console.close_conversation');
  close.hidden = !(closed || watching);
}

export function renderPane() {
  const st = current();
  $('conversation').hidden = !st;
  $('no-conversation').hidden = !!st;
  if (!st) return;
  const c = st.conv;
  const closed = c.status !== 'active';
  const watching = peek(st.id).watched;
  const deleted = c.status === 'deleted';
  if (deleted) H.setText($('c-heading'), 'console.deleted_heading'); else H.setText($('c-heading'), ...conversationLabel(st));
  $('c-details').hidden = deleted;
  H.setText($('c-audience'), audienceKey(c.audience));
  setValueOrNotSaid($('c-language'), c.language ? H.languageName(c.language) : '');
  setValueOrNotSaid($('c-region'), c.region);
  setPlain($('c-started'), H.fmtTime(c.created_at));
  setPlain($('c-id'), st.id);
  if (closed) H.setText($('c-status'), closedKey(c));
  else if (watching && c.counselor_name) H.setText($('c-status'), 'console.status_active_with', { name: c.counselor_name });
  else H.setText($('c-status'), 'console.status_active');
  $('c-watching').hidden = !watching;
  $('c-composer').hidden = closed || watching;
  const close = $('c-close');
  H.setText(close, watching ? 'console.stop_watching' : 'console.close_conversation');
  close.hidden = !(closed || watching);
  if (closed || watching) {
    $('c-end-confirm').hidden = true;
    closeTransferForm(false);
  }
  if (closed) S.typingIn.set(false);
  renderNotes();
  renderTransferForm();
  renderRiskFlags();
  renderTools();
  renderEscalationPane();
  renderSupervision(); // who is viewing, whispers, a supervisor's controls
  renderReferral();
}

function renderNotes() {
  const list = peek(S.openId).notes || [];
  $('c-notes-list').replaceChildren(...list.map((n) => H.el('li', {}, [
    H.el('span', { class: 'note-meta', text: [n.name, H.fmtTime(n.at)].filter(Boolean).join(' · ') }),
    H.el('p', { class: 'note-body', text: String(n.body || '') }),
  ])));
  $('c-notes').hidden = list.length === 0;
}

export function openConversation(id, focus) {
  if (S.openId && S.openId !== id) {
    ui(S.openId).draft = $('c-compose').value;
    S.typingOut.stop(S.openId);
  }
  if (S.openId !== id) closeTransferForm(false);
  S.openId = id;
  if (peek(id).unread) ui(id).unread = 0;
  $('c-compose').value = peek(id).draft;
  $('c-end-confirm').hidden = true;
  S.typingIn.set(false);
  const st = S.client.convs.get(id);
  if (st) S.log.showAll(st);
  renderTabs();
  renderPane();
  if (focus && st && st.conv) (st.conv.status === 'active' ? $('c-compose') : $('c-heading')).focus();
}

// Closing an ended conversation, or no longer watching one (unwatch: the server stops
// sending its events, and its counsellor is no longer shown that we are viewing).
function closeConversation(id) {
  if (peek(id).watched && S.client) S.client.control({ type: 'unwatch', conversation_id: id }); // the counsellor stops seeing us
  removeConversation(id);
  const next = document.querySelector('#conversations button.tab');
  (next || $('conversations-heading')).focus();
}

// The open conversation's message log, in the console's words.
export function makeLog() {
  return new H.MessageLog($('c-messages'), {
    self: 'counselor',
    who: (m) => (m.sender === 'seeker' ? ['console.seeker'] : (m.name || ['console.you'])),
    systemText: (m) => {
      if (m.kind === 'joined') return ['console.system_joined', { name: m.name || '' }];
      if (m.kind === 'transferred') return ['console.system_transferred', { name: m.name || '' }];
      if (m.kind === 'requeued') return ['console.system_requeued_' + (m.body === 'transferred' ? 'transferred' : 'counselor_left')];
      if (m.kind === 'ended') return [endedKey(m.body)];
      if (m.kind === 'staff_joined') return ['supervision.system_joined', { name: m.name || '' }];
      if (m.kind === 'staff_left') return ['supervision.system_left', { name: m.name || '' }];
      return null;
    },
    onRetry: (clientId) => { if (S.openId) S.client.retry(S.openId, clientId); $('c-compose').focus(); },
  });
}

function wireComposer() {
  const compose = $('c-compose');
  compose.maxLength = S.config.max_message_chars;
  compose.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; never while an input method is composing.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      $('c-composer').requestSubmit();
    }
  });
  compose.addEventListener('input', () => {
    if (!S.openId) return;
    if (compose.value) S.typingOut.input(S.openId); else S.typingOut.stop(S.openId);
  });
  $('c-composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = compose.value.trim();
    if (!text || !S.openId || !S.client || !mayShip(text)) return;
    S.typingOut.stop(S.openId);
    S.client.send(S.openId, text);
    compose.value = '';
    compose.dispatchEvent(new Event('input'));
    if (peek(S.openId).draft) ui(S.openId).draft = '';
  });
}

export function wireConversations() {
  $('conversations').addEventListener('click', (e) => {
    const tab = e.target.closest('button.tab');
    if (tab) { openConversation(tab.dataset.conversationId, true); return; }
    const close = e.target.closest('button.close-conv');
    if (close) closeConversation(close.dataset.closeId);
  });
  wireComposer();
  $('c-end').addEventListener('click', () => closeTransferForm(false));
  const endConfirm = wireConfirm($('c-end-confirm'), $('c-end'), $('c-end-no'));
  const endAs = (reason) => () => {
    endConfirm.close(false);
    if (S.openId) S.client.control({ type: 'end', conversation_id: S.openId, reason }, true);
    $('c-heading').focus();
  };
  $('c-end-yes').addEventListener('click', endAs(''));
  $('c-end-block').addEventListener('click', endAs('blocked'));
  $('c-close').addEventListener('click', () => { if (S.openId) closeConversation(S.openId); });
}
