/* console.js — the counsellor console: sign in, offers and the queue, several conversations at once.
 * All conversation state lives in Helpline.ChatClient; this file only draws it. */
(function () {
  'use strict';

  const H = window.Helpline;
  const $ = (id) => document.getElementById(id);
  const ACCEPT_WAIT = 10000; // an accept without an answer this long no longer blocks its button
  const QUEUE_PAGE = 50; // the server lists at most this many waiting conversations
  const CONNECTION_KEYS = {
    connecting: 'common.connection_connecting',
    connected: 'common.connection_connected',
    reconnecting: 'common.connection_reconnecting',
    stopped: 'common.connection_offline',
  };

  let config = null;
  let session = null; // {token, staff}, also in sessionStorage "helpline.staff"
  let member = null; // our own TeamMember (status, capacity) once the server sends it
  let client = null;
  let log = null;
  let typingOut = null;
  let typingIn = null;
  let openId = null;
  let queue = [];
  let queueTotal = 0;
  let statusTimer = 0;
  const offers = new Map(); // conversation id → {conv, expires (ms), reason}
  const unread = new Map(); // conversation id → seeker messages not yet seen
  const drafts = new Map(); // conversation id → unsent text, kept while switching
  const notes = new Map(); // conversation id → handover notes
  const accepting = new Map(); // conversation id → when we sent accept
  const caughtUp = new Set(); // conversations whose first history replay is done (replays are not "new")
  const mine = new Set(); // conversations we have had, even if they went back to the queue

  // ------------------------------------------------------------ small helpers

  function setPlain(node, text) {
    H.clearText(node);
    node.textContent = text;
  }

  function setValueOrNotSaid(node, text) {
    if (text) setPlain(node, text); else H.setText(node, 'console.not_said');
  }

  function audienceKey(a) { return a ? 'audience.' + a : 'audience.none'; }

  function endedKey(by) {
    return 'console.ended_' + (['seeker', 'counselor', 'left', 'abandoned', 'system', 'unavailable'].includes(by) ? by : 'system');
  }

  // Active is the only state in which we can write; the others say why not.
  function closedKey(c) {
    if (c.status === 'deleted') return 'console.ended_deleted';
    if (c.status === 'waiting') return 'console.status_requeued';
    return endedKey(c.ended_by);
  }

  function flash(key, args) {
    const node = $('console-status');
    H.setText(node, key, args);
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => H.clearText(node), 8000);
  }

  function conversations() {
    if (!client) return [];
    return Array.from(client.convs.values())
      .filter((st) => st.conv && mine.has(st.id))
      .sort((a, b) => (Date.parse(a.conv.created_at) || 0) - (Date.parse(b.conv.created_at) || 0));
  }

  function activeCount() { return conversations().filter((st) => st.conv.status === 'active').length; }

  function capacity() {
    if (member && member.capacity > 0) return member.capacity;
    return (session && session.staff && session.staff.capacity) || 0;
  }

  function atCapacity() { return capacity() > 0 && activeCount() >= capacity(); }

  function isAccepting(id) { return Date.now() - (accepting.get(id) || 0) < ACCEPT_WAIT; }

  function waitLabel(since) {
    const minutes = Math.floor((Date.now() - Date.parse(since)) / 60000);
    if (!(minutes >= 1)) return ['console.waiting_now'];
    if (minutes < 60) return ['console.waiting_minutes', { minutes }];
    return ['console.waiting_hours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 }];
  }

  function updateTitle() {
    let total = offers.size;
    unread.forEach((n) => { total += n; });
    document.title = (total ? '(' + total + ') ' : '') + H.t('console.page_title');
  }

  // Audience, language and region of a waiting conversation, for the queue and offers.
  function describe(li, c) {
    li.classList.toggle('young', c.audience === 'young'); // emphasis only; the text says "Under 18"
    H.setText(li.querySelector('.q-audience'), audienceKey(c.audience));
    // Unanswered questions are simply left out here; the open conversation lists them all.
    setPlain(li.querySelector('.q-language'), c.language ? H.languageName(c.language) : '');
    setPlain(li.querySelector('.q-region'), c.region || '');
  }

  let rowIds = 0;
  function waitingRow(id, buttons) {
    const infoId = 'row-info-' + (++rowIds);
    return H.el('li', { class: 'queue-item' }, [
      H.el('div', { class: 'q-info', id: infoId }, [
        H.el('span', { class: 'q-audience' }), H.el('span', { class: 'q-language' }),
        H.el('span', { class: 'q-region' }), H.el('span', { class: 'q-wait' }),
      ]),
      ...buttons.map(([cls, key]) => H.el('button', { type: 'button', class: cls, 'aria-describedby': infoId, dataset: { conversationId: id }, i18n: [key] })),
    ]);
  }

  // ------------------------------------------------------------ sign in / out

  function showLogin(noticeKey) {
    $('workspace').hidden = true;
    $('login').hidden = false;
    const notice = $('login-notice');
    if (noticeKey) H.setText(notice, noticeKey); else H.clearText(notice);
    notice.hidden = !noticeKey;
    $('username').focus();
  }

  async function login(e) {
    e.preventDefault();
    const button = $('login-submit');
    const error = $('login-error');
    error.hidden = true;
    button.disabled = true;
    try {
      const res = await H.api('POST', '/api/staff/login', { username: $('username').value, password: $('password').value, code: $('code').value.trim() });
      $('password').value = '';
      $('code').value = '';
      const sess = { token: res.token, staff: res.staff || {} };
      H.store.set('session', 'staff', sess);
      startSession(sess);
    } catch (err) {
      // One generic message for a wrong name, password or code; only say more when it isn't about them.
      H.setText(error, ['rate_limited', 'network', 'unavailable'].includes(err.code) ? H.errorKey(err.code) : 'console.login_failed');
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  async function logout() {
    const token = session && session.token;
    // Stop first: the server closes our sockets with 4403, which must not read as "session ended".
    if (client) client.stop();
    if (token) { try { await H.api('POST', '/api/staff/logout', undefined, token); } catch (e) { /* signed out here anyway */ } }
    endSession(null);
  }

  function endSession(noticeKey) {
    if (client) client.stop();
    client = null;
    session = null;
    H.store.remove('session', 'staff');
    resetState();
    H.clearText($('connection'));
    delete $('connection').dataset.state;
    showLogin(noticeKey);
  }

  function resetState() {
    openId = null;
    member = null;
    queue = [];
    queueTotal = 0;
    [offers, unread, drafts, notes, accepting, caughtUp, mine].forEach((m) => m.clear());
    log.clear();
    ['offers', 'queue', 'conversations'].forEach((id) => $(id).replaceChildren());
    $('c-compose').value = '';
    typingIn.set(false);
    updateTitle();
  }

  function startSession(sess) {
    session = sess;
    resetState();
    client = new H.ChatClient({
      self: 'counselor',
      selfName: sess.staff && sess.staff.display_name,
      token: () => session.token,
      reconnectOnNormalClose: () => true, // the console always wants to be connected
      on: {
        ready: onReady, conversation: onConversation, message: onMessage, pending: onPending, synced: onSynced,
        typing: onTyping, queue: onQueue, offer: onOffer, status: onMember, team: onTeam, notes: onNotes,
        error: onError, connection: renderConnection, fatal: () => endSession('console.session_ended'),
      },
    });
    typingOut = new H.TypingNotifier(client);
    $('login').hidden = true;
    $('workspace').hidden = false;
    renderAll();
    client.start();
    $('workspace-heading').focus();
  }

  // ------------------------------------------------------------ socket events

  function onReady(f) {
    if (f.staff) {
      session.staff = f.staff;
      H.store.set('session', 'staff', session);
    }
    for (const c of Array.isArray(f.conversations) ? f.conversations : []) if (c && c.id) mine.add(c.id);
    if (!openId) {
      const first = conversations().find((st) => st.conv.status === 'active');
      if (first) openConversation(first.id, false);
    }
    renderAll();
  }

  function onConversation(st) {
    if (st.conv.status !== 'waiting') mine.add(st.id); // assigned to us (or ended/deleted while ours)
    if (st.conv.status !== 'waiting') offers.delete(st.id);
    if (st.conv.status === 'deleted') forgetContent(st);
    if (isAccepting(st.id) && st.conv.status === 'active') {
      accepting.delete(st.id);
      openConversation(st.id, true); // we just accepted it: go there
    } else if (!openId && st.conv.status === 'active') {
      openConversation(st.id, false);
    }
    renderAll();
  }

  // The help-seeker deleted the conversation: keep nothing of it on this screen either.
  function forgetContent(st) {
    st.messages.clear();
    st.pending.clear();
    notes.delete(st.id);
    if (st.id === openId) log.clear();
  }

  function onMessage(st, msg) {
    if (st.id === openId) {
      log.upsertMessage(msg);
      if (msg.sender === 'seeker') typingIn.set(false);
    } else if (caughtUp.has(st.id) && msg.sender === 'seeker') {
      unread.set(st.id, (unread.get(st.id) || 0) + 1);
      renderTabs();
    }
  }

  function onPending(st, p) {
    if (st.id === openId) log.upsertPending(p);
    if (p.state === 'failed') flash('common.send_failed');
  }

  function onSynced(st) { caughtUp.add(st.id); }

  function onTyping(f) {
    if (f.conversation_id === openId && f.sender === 'seeker') typingIn.set(!!f.typing);
  }

  function onQueue(f) {
    const before = queue.length;
    queue = Array.isArray(f.waiting) ? f.waiting.filter((q) => q && typeof q.conversation_id === 'string') : [];
    queueTotal = Number.isInteger(f.waiting_total) ? f.waiting_total : queue.length;
    // With the whole queue in view, an offer for something no longer waiting is gone.
    if (queueTotal <= QUEUE_PAGE) {
      const waiting = new Set(queue.map((q) => q.conversation_id));
      for (const id of offers.keys()) if (!waiting.has(id)) offers.delete(id);
      renderOffers();
    }
    if (queue.length > before) flash('console.queue_new');
    renderQueue();
  }

  function onOffer(f) {
    const c = f.conversation;
    if (!c || typeof c.id !== 'string') return;
    offers.set(c.id, { conv: c, expires: Date.parse(f.expires_at) || Date.now() + 30000, reason: f.reason || '' });
    flash('console.offer_new');
    renderOffers();
    updateTitle();
  }

  // Our own status changed (`status` frame), e.g. set to busy after missed offers.
  function onMember(f) {
    if (f.member) member = f.member;
    if (f.reason === 'missed_offers') flash('console.missed_offers');
    renderStaff();
    renderQueue();
  }

  function onTeam(f) {
    const me = session && session.staff && (f.team || []).find((m) => m && m.id === session.staff.id);
    if (me) onMember({ member: me });
  }

  function onNotes(f) {
    if (typeof f.conversation_id !== 'string') return;
    notes.set(f.conversation_id, Array.isArray(f.notes) ? f.notes : []);
    if (f.conversation_id === openId) renderNotes();
  }

  function onError(f) {
    if (accepting.has(f.ref)) {
      accepting.delete(f.ref);
      offers.delete(f.ref);
      flash(f.code === 'conflict' ? 'console.accept_conflict' : f.code === 'not_found' ? 'console.accept_gone' : H.errorKey(f.code));
      renderOffers();
      renderQueue();
      return;
    }
    const st = f.ref && client.convs.get(f.ref);
    if (st && f.code === 'not_found') {
      // No longer ours (e.g. it ended while we were away): keep the transcript, stop writing.
      if (!mine.has(st.id)) client.forget(st.id);
      else st.conv = Object.assign({}, st.conv, { status: 'ended', ended_by: 'unavailable' });
      renderAll();
      return;
    }
    flash(H.errorKey(f.code));
  }

  function renderConnection(s) {
    const node = $('connection');
    node.dataset.state = s;
    H.setText(node, CONNECTION_KEYS[s] || CONNECTION_KEYS.stopped);
  }

  // ------------------------------------------------------------ drawing

  function renderAll() {
    renderStaff();
    renderOffers();
    renderQueue();
    renderTabs();
    renderPane();
  }

  function renderStaff() {
    const staff = (session && session.staff) || {};
    setPlain($('staff-name'), staff.display_name || staff.username || '');
    if (staff.role) H.setText($('staff-role'), 'console.role_' + staff.role); else H.clearText($('staff-role'));
    if (capacity() > 0) H.setText($('staff-capacity'), 'console.capacity', { active: activeCount(), capacity: capacity() });
    else H.clearText($('staff-capacity'));
    // Only people on the team that takes conversations have a status (admins don't).
    $('presence-box').hidden = !member;
    if (member && $('presence').value !== member.status) $('presence').value = member.status;
  }

  function renderOffers() {
    const now = Date.now();
    for (const [id, o] of offers) if (o.expires <= now) offers.delete(id);
    const list = Array.from(offers.values());
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
    updateTitle();
  }

  function renderQueue() {
    const full = atCapacity();
    H.syncList($('queue'), queue, (q) => q.conversation_id,
      (q) => waitingRow(q.conversation_id, [['accept primary', 'console.accept']]),
      (li, q) => {
        describe(li, q);
        const wait = waitLabel(q.waiting_since);
        H.setText(li.querySelector('.q-wait'), wait[0], wait[1]);
        li.querySelector('button.accept').disabled = full || isAccepting(q.conversation_id);
      });
    $('queue-empty').hidden = queue.length > 0;
    $('queue-full').hidden = !(full && queue.length);
    const more = $('queue-more');
    if (queueTotal > queue.length) H.setText(more, 'console.queue_more', { count: queueTotal - queue.length }); else H.clearText(more);
    more.hidden = !(queueTotal > queue.length);
  }

  function renderTabs() {
    const list = conversations();
    H.syncList($('conversations'), list, (st) => st.id, createTab, updateTab);
    $('conversations-empty').hidden = list.length > 0;
    updateTitle();
  }

  function createTab(st) {
    return H.el('li', { class: 'conv-item' }, [
      H.el('button', { type: 'button', class: 'tab', dataset: { conversationId: st.id } }, [
        H.el('span', { class: 'tab-audience' }), H.el('span', { class: 'tab-region' }),
        H.el('span', { class: 'tab-state' }), H.el('span', { class: 'unread' }),
      ]),
      H.el('button', { type: 'button', class: 'close-conv secondary', dataset: { closeId: st.id }, i18n: ['console.close_conversation'], hidden: true }),
    ]);
  }

  function updateTab(li, st) {
    const c = st.conv;
    const closed = c.status !== 'active';
    const tab = li.querySelector('button.tab');
    if (st.id === openId) tab.setAttribute('aria-current', 'true'); else tab.removeAttribute('aria-current');
    li.classList.toggle('ended', closed);
    H.setText(li.querySelector('.tab-audience'), audienceKey(c.audience));
    setPlain(li.querySelector('.tab-region'), c.region || (c.language ? H.languageName(c.language) : ''));
    const state = li.querySelector('.tab-state');
    if (closed) H.setText(state, c.status === 'waiting' ? 'console.tab_requeued' : 'console.tab_ended'); else H.clearText(state);
    const n = unread.get(st.id) || 0;
    const badge = li.querySelector('.unread');
    if (n) H.setText(badge, 'console.unread', { count: n }); else H.clearText(badge);
    badge.hidden = !n;
    li.querySelector('button.close-conv').hidden = !closed;
  }

  function renderPane() {
    const st = client && openId && client.convs.get(openId);
    $('conversation').hidden = !(st && st.conv);
    $('no-conversation').hidden = !!(st && st.conv);
    if (!st || !st.conv) return;
    const c = st.conv;
    const closed = c.status !== 'active';
    H.setText($('c-heading'), audienceKey(c.audience));
    H.setText($('c-audience'), audienceKey(c.audience));
    setValueOrNotSaid($('c-language'), c.language ? H.languageName(c.language) : '');
    setValueOrNotSaid($('c-region'), c.region);
    setPlain($('c-started'), H.fmtTime(c.created_at));
    H.setText($('c-status'), closed ? closedKey(c) : 'console.status_active');
    $('c-composer').hidden = closed;
    $('c-close').hidden = !closed;
    if (closed) {
      $('c-end-confirm').hidden = true;
      typingIn.set(false);
    }
    renderNotes();
  }

  function renderNotes() {
    const list = notes.get(openId) || [];
    $('c-notes-list').replaceChildren(...list.map((n) => H.el('li', {}, [
      H.el('span', { class: 'note-meta', text: [n.name, H.fmtTime(n.at)].filter(Boolean).join(' · ') }),
      H.el('p', { class: 'note-body', text: String(n.body || '') }),
    ])));
    $('c-notes').hidden = list.length === 0;
  }

  function openConversation(id, focus) {
    if (openId && openId !== id) {
      drafts.set(openId, $('c-compose').value);
      typingOut.stop(openId);
    }
    openId = id;
    unread.delete(id);
    $('c-compose').value = drafts.get(id) || '';
    $('c-end-confirm').hidden = true;
    typingIn.set(false);
    const st = client.convs.get(id);
    if (st) log.showAll(st);
    renderTabs();
    renderPane();
    if (focus && st && st.conv) (st.conv.status === 'active' ? $('c-compose') : $('c-heading')).focus();
  }

  function closeConversation(id) {
    client.forget(id);
    [unread, drafts, notes].forEach((m) => m.delete(id));
    mine.delete(id);
    if (openId === id) {
      openId = null;
      log.clear();
    }
    renderAll();
    const next = document.querySelector('#conversations button.tab');
    (next || $('conversations-heading')).focus();
  }

  function accept(button) {
    const id = button.dataset.conversationId;
    if (!client || !client.control({ type: 'accept', conversation_id: id })) { flash('console.not_connected'); return; }
    accepting.set(id, Date.now());
    button.disabled = true;
  }

  // ------------------------------------------------------------ wiring

  function wire() {
    $('login').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);

    $('presence').addEventListener('change', () => {
      const status = $('presence').value;
      if (!client || !client.control({ type: 'status', status })) {
        flash('console.not_connected');
        if (member) $('presence').value = member.status;
      }
    });

    $('queue').addEventListener('click', (e) => {
      const b = e.target.closest('button.accept');
      if (b && !b.disabled) accept(b);
    });

    $('offers').addEventListener('click', (e) => {
      const b = e.target.closest('button');
      if (!b || b.disabled) return;
      if (b.classList.contains('accept')) { accept(b); return; }
      const id = b.dataset.conversationId;
      if (client) client.control({ type: 'decline', conversation_id: id });
      offers.delete(id);
      renderOffers();
    });

    $('conversations').addEventListener('click', (e) => {
      const tab = e.target.closest('button.tab');
      if (tab) { openConversation(tab.dataset.conversationId, true); return; }
      const close = e.target.closest('button.close-conv');
      if (close) closeConversation(close.dataset.closeId);
    });

    const compose = $('c-compose');
    compose.maxLength = config.max_message_chars;
    compose.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line; never while an input method is composing.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        $('c-composer').requestSubmit();
      }
    });
    compose.addEventListener('input', () => {
      if (!openId) return;
      if (compose.value) typingOut.input(openId); else typingOut.stop(openId);
    });
    $('c-composer').addEventListener('submit', (e) => {
      e.preventDefault();
      const text = compose.value.trim();
      if (!text || !openId || !client) return;
      typingOut.stop(openId);
      client.send(openId, text);
      compose.value = '';
      drafts.delete(openId);
    });

    $('c-end').addEventListener('click', () => {
      $('c-end-confirm').hidden = false;
      $('c-end-no').focus();
    });
    $('c-end-no').addEventListener('click', () => {
      $('c-end-confirm').hidden = true;
      $('c-end').focus();
    });
    $('c-end-yes').addEventListener('click', () => {
      $('c-end-confirm').hidden = true;
      if (openId) client.control({ type: 'end', conversation_id: openId, reason: '' }, true);
      $('c-heading').focus();
    });
    $('c-close').addEventListener('click', () => { if (openId) closeConversation(openId); });

    H.onLanguage(updateTitle);
    setInterval(renderQueue, 15000); // keep "waiting N min" current
    setInterval(() => { if (offers.size) renderOffers(); }, 1000); // offer countdowns
  }

  H.init().then((cfg) => {
    config = cfg;
    typingIn = new H.TypingIndicator($('c-typing'), 'console.typing');
    log = new H.MessageLog($('c-messages'), {
      self: 'counselor',
      who: (m) => (m.sender === 'seeker' ? ['console.seeker'] : (m.name || ['console.you'])),
      systemText: (m) => {
        if (m.kind === 'joined') return ['console.system_joined', { name: m.name || '' }];
        if (m.kind === 'transferred') return ['console.system_transferred', { name: m.name || '' }];
        if (m.kind === 'requeued') return ['console.system_requeued_' + (m.body === 'transferred' ? 'transferred' : 'counselor_left')];
        if (m.kind === 'ended') return [endedKey(m.body)];
        return null;
      },
      onRetry: (clientId) => { if (openId) client.retry(openId, clientId); $('c-compose').focus(); },
    });
    wire();
    const sess = H.store.get('session', 'staff');
    if (sess && typeof sess.token === 'string') startSession(sess); else showLogin(null);
  });
})();
