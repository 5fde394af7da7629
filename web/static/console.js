/* console.js — the counsellor console: sign in, the queue, several conversations at once.
 * All conversation state lives in Helpline.ChatClient; this file only draws it. */
(function () {
  'use strict';

  const H = window.Helpline;
  const $ = (id) => document.getElementById(id);
  const ACCEPT_WAIT = 10000; // an accept without an answer this long no longer blocks its button
  const CONNECTION_KEYS = {
    connecting: 'common.connection_connecting',
    connected: 'common.connection_connected',
    reconnecting: 'common.connection_reconnecting',
    stopped: 'common.connection_offline',
  };

  let config = null;
  let session = null; // {token, staff}, also in sessionStorage "helpline.staff"
  let client = null;
  let log = null;
  let typingOut = null;
  let typingIn = null;
  let openId = null;
  let queue = [];
  let statusTimer = 0;
  const unread = new Map(); // conversation id → seeker messages not yet seen
  const drafts = new Map(); // conversation id → unsent text, kept while switching
  const accepting = new Map(); // conversation id → when we sent accept
  const caughtUp = new Set(); // conversations whose first history replay is done (replays are not "new")

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
    return 'console.ended_' + (['seeker', 'counselor', 'left', 'system', 'unavailable'].includes(by) ? by : 'system');
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
      .filter((st) => st.conv && st.conv.status !== 'waiting')
      .sort((a, b) => (Date.parse(a.conv.created_at) || 0) - (Date.parse(b.conv.created_at) || 0));
  }

  function activeCount() { return conversations().filter((st) => st.conv.status === 'active').length; }

  function atCapacity() {
    const cap = session && session.staff && session.staff.capacity;
    return cap > 0 && activeCount() >= cap;
  }

  function isAccepting(id) { return Date.now() - (accepting.get(id) || 0) < ACCEPT_WAIT; }

  function waitLabel(since) {
    const minutes = Math.floor((Date.now() - Date.parse(since)) / 60000);
    if (!(minutes >= 1)) return ['console.waiting_now'];
    if (minutes < 60) return ['console.waiting_minutes', { minutes }];
    return ['console.waiting_hours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 }];
  }

  function updateTitle() {
    let total = 0;
    unread.forEach((n) => { total += n; });
    document.title = (total ? '(' + total + ') ' : '') + H.t('console.page_title');
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
      const res = await H.api('POST', '/api/staff/login', { username: $('username').value, password: $('password').value });
      $('password').value = '';
      const sess = { token: res.token, staff: res.staff || {} };
      H.store.set('session', 'staff', sess);
      startSession(sess);
    } catch (err) {
      // One generic message for a wrong name or password; only say more when it isn't about them.
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
    queue = [];
    [unread, drafts, accepting, caughtUp].forEach((m) => m.clear());
    log.clear();
    $('queue').replaceChildren();
    $('conversations').replaceChildren();
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
      on: { ready: onReady, conversation: onConversation, message: onMessage, pending: onPending, synced: onSynced, typing: onTyping, queue: onQueue, error: onError, status: renderConnection, fatal: () => endSession('console.session_ended') },
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
    if (!openId) {
      const first = conversations().find((st) => st.conv.status === 'active');
      if (first) openConversation(first.id, false);
    }
    renderAll();
  }

  function onConversation(st) {
    if (isAccepting(st.id) && st.conv.status !== 'waiting') {
      accepting.delete(st.id);
      openConversation(st.id, true); // we just accepted it: go there
    } else if (!openId && st.conv.status === 'active') {
      openConversation(st.id, false);
    }
    renderAll();
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
    if (queue.length > before) flash('console.queue_new');
    renderQueue();
  }

  function onError(f) {
    if (accepting.has(f.ref)) {
      accepting.delete(f.ref);
      flash(f.code === 'conflict' ? 'console.accept_conflict' : f.code === 'not_found' ? 'console.accept_gone' : H.errorKey(f.code));
      renderQueue();
      return;
    }
    const st = f.ref && client.convs.get(f.ref);
    if (st && f.code === 'not_found') {
      // No longer ours (e.g. it ended while we were away): keep the transcript, stop writing.
      if (!st.conv || st.conv.status === 'waiting') client.forget(st.id);
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
    renderQueue();
    renderTabs();
    renderPane();
  }

  function renderStaff() {
    const staff = (session && session.staff) || {};
    setPlain($('staff-name'), staff.display_name || staff.username || '');
    if (staff.role) H.setText($('staff-role'), 'console.role_' + staff.role); else H.clearText($('staff-role'));
    if (staff.capacity > 0) H.setText($('staff-capacity'), 'console.capacity', { active: activeCount(), capacity: staff.capacity });
    else H.clearText($('staff-capacity'));
  }

  function renderQueue() {
    const full = atCapacity();
    H.syncList($('queue'), queue, (q) => q.conversation_id, createQueueItem, (li, q) => updateQueueItem(li, q, full));
    $('queue-empty').hidden = queue.length > 0;
  }

  let rowIds = 0;
  function createQueueItem(q) {
    const infoId = 'queue-info-' + (++rowIds);
    return H.el('li', { class: 'queue-item' }, [
      H.el('div', { class: 'q-info', id: infoId }, [
        H.el('span', { class: 'q-audience' }), H.el('span', { class: 'q-language' }),
        H.el('span', { class: 'q-region' }), H.el('span', { class: 'q-wait' }),
      ]),
      H.el('button', { type: 'button', class: 'accept primary', 'aria-describedby': infoId, dataset: { conversationId: q.conversation_id }, i18n: ['console.accept'] }),
    ]);
  }

  function updateQueueItem(li, q, full) {
    li.classList.toggle('young', q.audience === 'young'); // emphasis only; the text says "Under 18"
    H.setText(li.querySelector('.q-audience'), audienceKey(q.audience));
    setValueOrNotSaid(li.querySelector('.q-language'), q.language ? H.languageName(q.language) : '');
    setValueOrNotSaid(li.querySelector('.q-region'), q.region);
    const wait = waitLabel(q.waiting_since);
    H.setText(li.querySelector('.q-wait'), wait[0], wait[1]);
    li.querySelector('button.accept').disabled = full || isAccepting(q.conversation_id);
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
    const ended = c.status === 'ended';
    const tab = li.querySelector('button.tab');
    if (st.id === openId) tab.setAttribute('aria-current', 'true'); else tab.removeAttribute('aria-current');
    li.classList.toggle('ended', ended);
    H.setText(li.querySelector('.tab-audience'), audienceKey(c.audience));
    setPlain(li.querySelector('.tab-region'), c.region || (c.language ? H.languageName(c.language) : ''));
    const state = li.querySelector('.tab-state');
    if (ended) H.setText(state, 'console.tab_ended'); else H.clearText(state);
    const n = unread.get(st.id) || 0;
    const badge = li.querySelector('.unread');
    if (n) H.setText(badge, 'console.unread', { count: n }); else H.clearText(badge);
    badge.hidden = !n;
    li.querySelector('button.close-conv').hidden = !ended;
  }

  function renderPane() {
    const st = client && openId && client.convs.get(openId);
    $('conversation').hidden = !(st && st.conv);
    $('no-conversation').hidden = !!(st && st.conv);
    if (!st || !st.conv) return;
    const c = st.conv;
    const ended = c.status === 'ended';
    H.setText($('c-heading'), audienceKey(c.audience));
    H.setText($('c-audience'), audienceKey(c.audience));
    setValueOrNotSaid($('c-language'), c.language ? H.languageName(c.language) : '');
    setValueOrNotSaid($('c-region'), c.region);
    setPlain($('c-started'), H.fmtTime(c.created_at));
    if (ended) H.setText($('c-status'), endedKey(c.ended_by));
    else H.setText($('c-status'), c.status === 'active' ? 'console.status_active' : 'console.status_waiting');
    $('c-composer').hidden = ended;
    $('c-close').hidden = !ended;
    if (ended) {
      $('c-end-confirm').hidden = true;
      typingIn.set(false);
    }
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
    if (focus && st && st.conv) (st.conv.status === 'ended' ? $('c-heading') : $('c-compose')).focus();
  }

  function closeConversation(id) {
    client.forget(id);
    unread.delete(id);
    drafts.delete(id);
    if (openId === id) {
      openId = null;
      log.clear();
    }
    renderAll();
    const next = document.querySelector('#conversations button.tab');
    (next || $('conversations-heading')).focus();
  }

  // ------------------------------------------------------------ wiring

  function wire() {
    $('login').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);

    $('queue').addEventListener('click', (e) => {
      const b = e.target.closest('button.accept');
      if (!b || b.disabled) return;
      const id = b.dataset.conversationId;
      if (!client || !client.control({ type: 'accept', conversation_id: id })) { flash('console.not_connected'); return; }
      accepting.set(id, Date.now());
      b.disabled = true;
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
  }

  H.init().then((cfg) => {
    config = cfg;
    typingIn = new H.TypingIndicator($('c-typing'), 'console.typing');
    log = new H.MessageLog($('c-messages'), {
      self: 'counselor',
      who: (m) => (m.sender === 'seeker' ? ['console.seeker'] : (m.name || ['console.you'])),
      systemText: (m) => {
        if (m.kind === 'joined') return ['console.system_joined', { name: m.name || '' }];
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
