/* console.js — the counsellor console: sign in, offers and the queue, several conversations at once,
 * the team on shift, status and capacity, transfers, and (supervisors, admins) silent watching.
 * All conversation state lives in Helpline.ChatClient; this file only draws it. */
(function () {
  'use strict';

  const H = window.Helpline;
  const $ = (id) => document.getElementById(id);
  const ACCEPT_WAIT = 10000; // an accept without an answer this long no longer blocks its button
  const TRANSFER_WAIT = 10000; // likewise for a transfer
  const HANDED_BACK_QUIET = 10000; // a conversation we sent back to the queue is not "someone new"
  const REFERENCE = /^[A-Za-z0-9_-]{1,64}$/; // what a conversation id can look like on the wire
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
  let team = []; // TeamMember list: the last `team` frame with the `team_changes` since
  const offers = new Map(); // conversation id → {conv, expires (ms), reason}
  const unread = new Map(); // conversation id → seeker messages not yet seen
  const drafts = new Map(); // conversation id → unsent text, kept while switching
  const notes = new Map(); // conversation id → handover notes
  const accepting = new Map(); // conversation id → when we sent accept
  const caughtUp = new Set(); // conversations whose first history replay is done (replays are not "new")
  const mine = new Set(); // conversations assigned to us (or that were, until they ended)
  const watched = new Set(); // conversations we follow silently (supervisors, admins)
  const watchPending = new Map(); // conversation id → when we asked to watch it
  const transferring = new Map(); // conversation id → {at, name}: a transfer we sent, not yet answered
  const incoming = new Set(); // newly given to us without our accept (a transfer): say so once synced
  const handedBack = new Map(); // conversation id → when it left us for the queue

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
      .filter((st) => st.conv && (mine.has(st.id) || watched.has(st.id)))
      .sort((a, b) => (Date.parse(a.conv.created_at) || 0) - (Date.parse(b.conv.created_at) || 0));
  }

  function activeCount() { return conversations().filter((st) => mine.has(st.id) && st.conv.status === 'active').length; }

  function me() { return (session && session.staff) || {}; }
  function isMyName(name) { return !!name && name === me().display_name; }
  function canWatch() { return me().role === 'supervisor' || me().role === 'admin'; }

  // Same rule as routing: young people only with counsellors trained for them; no training
  // listed means adults (self, other) only; "prefer not to say" goes to anyone.
  function trainedFor(m, audience) {
    if (!audience) return true;
    const list = Array.isArray(m.audiences) ? m.audiences : [];
    if (!list.length) return audience === 'self' || audience === 'other';
    return list.includes(audience);
  }

  // Colleagues a conversation can be handed to now: on shift, available, with room, trained for it.
  function transferTargets(conv) {
    const myId = me().id;
    return team.filter((m) => m && m.id !== myId && m.status === 'available'
      && (m.active || 0) < (m.capacity || 0) && trainedFor(m, conv.audience));
  }

  function isTransferring(id) {
    const t = transferring.get(id);
    return !!t && Date.now() - t.at < TRANSFER_WAIT;
  }

  function current() {
    const st = client && openId && client.convs.get(openId);
    return st && st.conv ? st : null;
  }

  // A conversation we hold that is now someone else's, or back in the queue, has left us.
  function movedAway(st) {
    const c = st.conv;
    if (c.status === 'waiting') return true;
    if (c.status !== 'active' || !c.counselor_name) return false;
    if (!isMyName(c.counselor_name)) return true;
    const t = transferring.get(st.id); // a colleague with the very same display name as ours
    return !!t && t.name === c.counselor_name && isTransferring(st.id);
  }

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

  let loginAttempt = 0; // a new sign-in stops an earlier one that is still retrying

  async function login(e) {
    e.preventDefault();
    const button = $('login-submit');
    const error = $('login-error');
    const waiting = $('login-waiting');
    const attempt = ++loginAttempt;
    const creds = { username: $('username').value, password: $('password').value, code: $('code').value.trim() };
    error.hidden = true;
    button.disabled = true;
    try {
      // While we can't connect, say so calmly and keep trying, the form free to use again.
      const res = await H.retrying(() => H.api('POST', '/api/staff/login', creds),
        () => { waiting.hidden = false; button.disabled = false; }, () => attempt !== loginAttempt);
      if (attempt !== loginAttempt) return; // a newer sign-in, with what was typed since, goes on
      $('password').value = '';
      $('code').value = '';
      const sess = { token: res.token, staff: res.staff || {} };
      H.store.set('session', 'staff', sess);
      startSession(sess);
    } catch (err) {
      if (err.code === 'stopped') return;
      // One generic message for a wrong name, password or code; only say more when it isn't about them.
      // (unavailable, from a database away or every password-hashing slot busy, is retried above.)
      const key = ['rate_limited', 'network'].includes(err.code) ? H.errorKey(err.code) : 'console.login_failed';
      H.setText(error, key);
      error.hidden = false;
    } finally {
      if (attempt === loginAttempt) {
        waiting.hidden = true;
        button.disabled = false;
      }
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
    team = [];
    [offers, unread, drafts, notes, accepting, caughtUp, mine, watched, watchPending, transferring, incoming, handedBack].forEach((m) => m.clear());
    log.clear();
    ['offers', 'queue', 'conversations', 'team', 'capacity'].forEach((id) => $(id).replaceChildren());
    $('c-compose').value = '';
    $('watch-id').value = '';
    closeTransferForm(false);
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
      // Follow only what is given to us, or what we asked to watch: a conversation frame about
      // one that has just been handed on (ours no more) must not start a sync.
      admit: (c) => watchPending.has(c.id) || (c.status === 'active' && (isAccepting(c.id) || isMyName(c.counselor_name))),
      on: {
        ready: onReady, conversation: onConversation, message: onMessage, pending: onPending, synced: onSynced,
        typing: onTyping, queue: onQueue, offer: onOffer, status: onMember, team: onTeam, team_changes: onTeamChanges, notes: onNotes,
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
    for (const c of Array.isArray(f.conversations) ? f.conversations : []) {
      if (c && c.id) { mine.add(c.id); watched.delete(c.id); }
    }
    transferring.clear(); // an answer lost with the old connection: the state now tells
    // Watching lasts as long as one connection: ask again before the client re-syncs.
    for (const id of watched) {
      const st = client.convs.get(id);
      if (st && st.conv && st.conv.status !== 'ended' && st.conv.status !== 'deleted') client.control({ type: 'watch', conversation_id: id });
    }
    if (!openId) {
      const first = conversations().find((st) => st.conv.status === 'active');
      if (first) openConversation(first.id, false);
    }
    renderAll();
  }

  function onConversation(st) {
    const c = st.conv;
    if (c.status !== 'waiting') offers.delete(st.id);
    if (watchPending.has(st.id)) {
      watchPending.delete(st.id);
      if (!mine.has(st.id)) {
        watched.add(st.id);
        flash('console.watch_started');
        openConversation(st.id, true);
      }
    }
    if (watched.has(st.id)) {
      if (c.status === 'deleted') forgetContent(st);
      renderAll();
      return;
    }
    if (mine.has(st.id) && movedAway(st)) { movedOn(st); return; }
    if (!mine.has(st.id)) {
      if (c.status !== 'active') { client.forget(st.id); renderAll(); return; } // not (or no longer) ours
      mine.add(st.id); // assigned to us: accepted here, in another tab, or transferred to us
      if (!isAccepting(st.id)) incoming.add(st.id);
    }
    if (c.status === 'deleted') forgetContent(st);
    if (isAccepting(st.id) && c.status === 'active') {
      accepting.delete(st.id);
      openConversation(st.id, true); // we just accepted it: go there
    } else if (!openId && st.conv.status === 'active') {
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
    notes.delete(st.id);
    unread.delete(st.id);
    drafts.delete(st.id);
    typingOut.forget(st.id);
    if (st.id === openId) {
      log.clear();
      typingIn.set(false);
      closeTransferForm(false);
    }
  }

  // Transferred away or back in the queue: it leaves our list, and we say where it went.
  function movedOn(st) {
    const t = transferring.get(st.id);
    let key = 'console.moved_away';
    let args;
    if (st.conv.status === 'waiting') handedBack.set(st.id, Date.now());
    if (t && st.conv.status === 'waiting') key = 'console.transfer_done_queue';
    else if (t) { key = 'console.transfer_done_colleague'; args = { name: st.conv.counselor_name || t.name }; }
    const hadFocus = removeConversation(st.id);
    flash(key, args);
    if (hadFocus) $('conversations-heading').focus();
  }

  // Drops a conversation from this screen; true if focus was inside its open pane.
  function removeConversation(id) {
    const wasOpen = openId === id;
    const hadFocus = wasOpen && $('conversation').contains(document.activeElement);
    typingOut.forget(id);
    client.forget(id);
    [unread, drafts, notes, transferring].forEach((m) => m.delete(id));
    [mine, watched, caughtUp, incoming].forEach((m) => m.delete(id));
    if (wasOpen) {
      openId = null;
      log.clear();
      typingIn.set(false);
      closeTransferForm(false);
      $('c-compose').value = '';
    }
    renderAll();
    return hadFocus;
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

  function onSynced(st) {
    caughtUp.add(st.id);
    if (!incoming.has(st.id)) return;
    incoming.delete(st.id);
    // Given to us without our accept: if the latest event is a transfer, a colleague handed it on.
    let last = null;
    for (const m of st.messages.values()) if (m.sender === 'system' && (!last || m.seq > last.seq)) last = m;
    if (last && last.kind === 'transferred') flash('console.transferred_in');
  }

  function onTyping(f) {
    if (f.conversation_id === openId && f.sender === 'seeker') typingIn.set(!!f.typing);
  }

  function onQueue(f) {
    const before = new Set(queue.map((q) => q.conversation_id));
    queue = Array.isArray(f.waiting) ? f.waiting.filter((q) => q && typeof q.conversation_id === 'string') : [];
    queueTotal = Number.isInteger(f.waiting_total) ? f.waiting_total : queue.length;
    const now = Date.now();
    // With the whole queue in view, an offer for something no longer waiting is gone. Queue
    // and offer frames travel separately, so a queue frame may be a moment older than an
    // offer: only an absence that outlasts the next frames (a second) counts.
    if (queueTotal <= QUEUE_PAGE) {
      const waiting = new Set(queue.map((q) => q.conversation_id));
      for (const [id, o] of offers) {
        if (waiting.has(id)) o.missingSince = 0;
        else if (!o.missingSince) o.missingSince = now;
      }
      renderOffers();
    }
    // Someone new: not one we have just sent back to the queue ourselves.
    for (const [id, at] of handedBack) if (now - at > HANDED_BACK_QUIET) handedBack.delete(id);
    if (queue.some((q) => !before.has(q.conversation_id) && !handedBack.has(q.conversation_id))) flash('console.queue_new');
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
    if (f.member && typeof f.member === 'object') {
      const before = member;
      member = f.member;
      if (before && before.capacity !== member.capacity) flash('console.capacity_set', { capacity: member.capacity });
      const i = team.findIndex((m) => m && m.id === member.id);
      if (i >= 0) team[i] = Object.assign({}, team[i], { status: member.status, capacity: member.capacity, max_capacity: member.max_capacity });
    }
    if (f.reason === 'missed_offers') flash('console.missed_offers');
    renderStaff();
    renderQueue();
    renderTeam();
    renderTransferForm();
  }

  function teamMembers(list) {
    return Array.isArray(list) ? list.filter((m) => m && typeof m.id === 'string') : [];
  }

  // The whole team: sent once when the socket opens.
  function onTeam(f) {
    team = teamMembers(f.team);
    teamChanged();
  }

  // After that only what changed: members new to the list (whole), the changed fields of others
  // (with their id), and the ids of those gone. A change for someone not on our list is dropped:
  // it came before our `team` frame, or their removal follows it.
  function onTeamChanges(f) {
    const added = teamMembers(f.added);
    const replaced = new Set(Array.isArray(f.gone) ? f.gone : []);
    added.forEach((m) => replaced.add(m.id));
    const changes = new Map(teamMembers(f.changed).map((c) => [c.id, c]));
    team = team.filter((m) => !replaced.has(m.id))
      .map((m) => (changes.has(m.id) ? Object.assign({}, m, changes.get(m.id)) : m))
      .concat(added);
    teamChanged();
  }

  function teamChanged() {
    const own = team.find((m) => m.id === me().id);
    if (own) onMember({ member: own });
    renderTeam();
    renderTransferForm();
  }

  function onNotes(f) {
    if (typeof f.conversation_id !== 'string') return;
    notes.set(f.conversation_id, Array.isArray(f.notes) ? f.notes : []);
    if (f.conversation_id === openId) renderNotes();
  }

  function onError(f) {
    if (f.ref && watchPending.has(f.ref)) {
      watchPending.delete(f.ref);
      flash(f.code === 'not_found' ? 'console.watch_not_found' : H.errorKey(f.code));
      return;
    }
    if (f.ref && isTransferring(f.ref)) {
      transferring.delete(f.ref);
      transferProblem(f.code === 'conflict' ? 'console.transfer_conflict' : f.code === 'invalid' ? 'console.transfer_failed' : H.errorKey(f.code));
      renderTransferForm();
      return;
    }
    if (accepting.has(f.ref)) {
      accepting.delete(f.ref);
      offers.delete(f.ref);
      flash(f.code === 'conflict' ? 'console.accept_conflict' : f.code === 'not_found' ? 'console.accept_gone' : H.errorKey(f.code));
      renderOffers();
      renderQueue();
      return;
    }
    const st = f.ref && client.convs.get(f.ref);
    if (f.ref && f.code === 'not_found' && !st) return; // about one we no longer follow
    if (st && f.code === 'not_found') {
      // No longer ours (e.g. it ended while we were away): keep the transcript, stop writing.
      if (!mine.has(st.id) && !watched.has(st.id)) client.forget(st.id);
      else if (st.conv && st.conv.status !== 'deleted') st.conv = Object.assign({}, st.conv, { status: 'ended', ended_by: 'unavailable' });
      if (st.id === openId) closeTransferForm(false);
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
    renderTeam();
  }

  function renderStaff() {
    const staff = me();
    setPlain($('staff-name'), staff.display_name || staff.username || '');
    if (staff.role) H.setText($('staff-role'), 'console.role_' + staff.role); else H.clearText($('staff-role'));
    if (capacity() > 0) H.setText($('staff-capacity'), 'console.capacity', { active: activeCount(), capacity: capacity() });
    else H.clearText($('staff-capacity'));
    // Only people on the team that takes conversations have a status (admins don't).
    $('presence-box').hidden = !member;
    if (member && $('presence').value !== member.status) $('presence').value = member.status;
    // Capacity: 1 up to the most a supervisor allows (the team entry says; else what we have).
    const sel = $('capacity');
    const most = member ? Math.min(50, Math.max(member.max_capacity || 0, member.capacity || 0, 1)) : 0;
    if (sel.options.length !== most) {
      sel.replaceChildren(...Array.from({ length: most }, (_, i) => H.el('option', { value: String(i + 1), text: String(i + 1) })));
    }
    if (member && sel.value !== String(member.capacity)) sel.value = String(member.capacity);
    $('watch-panel').hidden = !canWatch();
  }

  // Who is on shift: name, status in words, and how full they are.
  function renderTeam() {
    const myId = me().id;
    const list = team.slice().sort((a, b) => (b.id === myId) - (a.id === myId)
      || String(a.display_name || '').localeCompare(String(b.display_name || ''), H.lang || undefined));
    H.syncList($('team'), list, (m) => m.id,
      () => H.el('li', { class: 'team-member' }, [
        H.el('span', { class: 'team-who' }, [H.el('span', { class: 'team-name' }), ' ', H.el('span', { class: 'team-you' })]),
        H.el('span', { class: 'team-status' }),
        H.el('span', { class: 'team-load' }),
        H.el('span', { class: 'team-skills' }, [H.el('span', { class: 'team-langs' }), ' ', H.el('span', { class: 'team-young' })]),
      ]),
      (li, m) => {
        li.dataset.status = String(m.status || '');
        li.classList.toggle('me', m.id === myId);
        setPlain(li.querySelector('.team-name'), String(m.display_name || ''));
        if (m.id === myId) H.setText(li.querySelector('.team-you'), 'console.team_you'); else H.clearText(li.querySelector('.team-you'));
        const known = ['available', 'busy', 'break'].includes(m.status);
        H.setText(li.querySelector('.team-status'), known ? 'console.presence_' + m.status : 'console.presence_unknown');
        H.setText(li.querySelector('.team-load'), 'console.capacity', { active: m.active || 0, capacity: m.capacity || 0 });
        const langs = Array.isArray(m.languages) ? m.languages.map((l) => H.languageName(String(l))) : [];
        setPlain(li.querySelector('.team-langs'), langs.join(', '));
        const young = Array.isArray(m.audiences) && m.audiences.includes('young');
        if (young) H.setText(li.querySelector('.team-young'), 'console.team_young'); else H.clearText(li.querySelector('.team-young'));
      });
    $('team-empty').hidden = list.length > 0;
  }

  function renderOffers() {
    const now = Date.now();
    for (const [id, o] of offers) if (o.expires <= now || (o.missingSince && now - o.missingSince > 1000)) offers.delete(id);
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
    const stateId = 'tab-state-' + (++rowIds);
    return H.el('li', { class: 'conv-item' }, [
      H.el('button', { type: 'button', class: 'tab', dataset: { conversationId: st.id } }, [
        H.el('span', { class: 'tab-audience' }), H.el('span', { class: 'tab-region' }),
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
    return watched.has(st.id) ? 'console.tab_watching' : '';
  }

  function updateTab(li, st) {
    const c = st.conv;
    const closed = c.status !== 'active';
    const watching = watched.has(st.id);
    const tab = li.querySelector('button.tab');
    if (st.id === openId) tab.setAttribute('aria-current', 'true'); else tab.removeAttribute('aria-current');
    li.classList.toggle('ended', closed);
    li.classList.toggle('watching', watching);
    if (c.status === 'deleted') H.setText(li.querySelector('.tab-audience'), 'console.deleted_heading');
    else H.setText(li.querySelector('.tab-audience'), audienceKey(c.audience));
    setPlain(li.querySelector('.tab-region'), c.region || (c.language ? H.languageName(c.language) : ''));
    const state = li.querySelector('.tab-state');
    const key = tabStateKey(st);
    if (key) H.setText(state, key); else H.clearText(state);
    const n = unread.get(st.id) || 0;
    const badge = li.querySelector('.unread');
    if (n) H.setText(badge, 'console.unread', { count: n }); else H.clearText(badge);
    badge.hidden = !n;
    const close = li.querySelector('button.close-conv');
    H.setText(close, watching ? 'console.stop_watching' : 'console.close_conversation');
    close.hidden = !(closed || watching);
  }

  function renderPane() {
    const st = current();
    $('conversation').hidden = !st;
    $('no-conversation').hidden = !!st;
    if (!st) return;
    const c = st.conv;
    const closed = c.status !== 'active';
    const watching = watched.has(st.id);
    const deleted = c.status === 'deleted';
    H.setText($('c-heading'), deleted ? 'console.deleted_heading' : audienceKey(c.audience));
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
    if (closed) typingIn.set(false);
    renderNotes();
    renderTransferForm();
  }

  // ------------------------------------------------------------ transfer

  function transferKind() {
    const checked = document.querySelector('input[name="c-transfer-kind"]:checked');
    return checked ? checked.value : 'queue';
  }

  function setTransferKind(kind) {
    $('c-transfer-kind-colleague').checked = kind === 'colleague';
    $('c-transfer-kind-queue').checked = kind !== 'colleague';
  }

  function openTransferForm() {
    const st = current();
    if (!st || st.conv.status !== 'active' || watched.has(st.id)) return;
    $('c-end-confirm').hidden = true;
    $('c-transfer-note').value = '';
    transferProblem('');
    setTransferKind(transferTargets(st.conv).length ? 'colleague' : 'queue');
    $('c-transfer-skill').value = ['young', 'self', 'other'].includes(st.conv.audience) ? st.conv.audience : 'any';
    $('c-transfer-form').hidden = false;
    $('c-transfer').setAttribute('aria-expanded', 'true');
    renderTransferForm();
    $('c-transfer-heading').focus();
  }

  function closeTransferForm(refocus) {
    const form = $('c-transfer-form');
    if (form.hidden) return;
    form.hidden = true;
    $('c-transfer').setAttribute('aria-expanded', 'false');
    transferProblem('');
    if (refocus && !$('c-transfer').closest('[hidden]')) $('c-transfer').focus();
  }

  // Keeps the colleague list current while the form is open (the team changes under it).
  function renderTransferForm() {
    const st = current();
    if ($('c-transfer-form').hidden || !st) return;
    const list = transferTargets(st.conv);
    H.syncList($('c-transfer-to'), list, (m) => m.id,
      (m) => H.el('option', { value: m.id }),
      (o, m) => H.setText(o, 'console.transfer_colleague_option', { name: String(m.display_name || ''), active: m.active || 0, capacity: m.capacity || 0 }));
    const nobody = list.length === 0;
    $('c-transfer-kind-colleague').disabled = nobody;
    if (nobody && transferKind() === 'colleague') setTransferKind('queue');
    $('c-transfer-nobody').hidden = !nobody;
    const kind = transferKind();
    $('c-transfer-to-field').hidden = kind !== 'colleague';
    $('c-transfer-skill-field').hidden = kind !== 'queue';
    $('c-transfer-submit').disabled = isTransferring(st.id);
  }

  // Said in the console's status line (announced) and shown by the form (not announced twice).
  function transferProblem(key) {
    const node = $('c-transfer-error');
    if (!key) { H.clearText(node); node.hidden = true; return; }
    H.setText(node, key);
    node.hidden = $('c-transfer-form').hidden;
    flash(key);
  }

  function submitTransfer(e) {
    e.preventDefault();
    const st = current();
    if (!st || st.conv.status !== 'active' || isTransferring(st.id)) return;
    const frame = { type: 'transfer', conversation_id: st.id };
    let name = '';
    if (transferKind() === 'colleague') {
      const to = $('c-transfer-to').value;
      const target = team.find((m) => m.id === to);
      if (!to || !target) { transferProblem('console.transfer_choose'); $('c-transfer-to').focus(); return; }
      frame.to = to;
      name = String(target.display_name || '');
    } else {
      frame.skill = $('c-transfer-skill').value || 'any';
    }
    const note = $('c-transfer-note').value.trim();
    if (note) frame.note = Array.from(note).slice(0, 2000).join('');
    if (!client || !client.control(frame)) { transferProblem('console.not_connected'); return; }
    transferProblem('');
    typingOut.stop(st.id);
    transferring.set(st.id, { at: Date.now(), name });
    flash('console.transfer_sending');
    renderTransferForm();
    setTimeout(renderTransferForm, TRANSFER_WAIT + 100); // no answer: let them try again
  }

  // ------------------------------------------------------------ watch

  function submitWatch(e) {
    e.preventDefault();
    const input = $('watch-id');
    const id = input.value.trim();
    if (!REFERENCE.test(id)) { flash('console.watch_invalid'); input.focus(); return; }
    if (mine.has(id) || watched.has(id)) { input.value = ''; openConversation(id, true); return; }
    if (!client || !client.control({ type: 'watch', conversation_id: id })) { flash('console.not_connected'); return; }
    watchPending.set(id, Date.now());
    input.value = '';
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
    if (openId !== id) closeTransferForm(false);
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

  // Closing an ended conversation, or no longer watching one (the server stops sending its
  // events when this connection ends; until then they are ignored).
  function closeConversation(id) {
    removeConversation(id);
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

    $('capacity').addEventListener('change', () => {
      const n = Number($('capacity').value);
      const status = member ? member.status : $('presence').value;
      if (!(n >= 1) || !client || !client.control({ type: 'status', status, capacity: n })) {
        flash('console.not_connected');
        if (member) $('capacity').value = String(member.capacity);
      }
    });

    $('c-transfer').addEventListener('click', () => {
      if ($('c-transfer-form').hidden) openTransferForm(); else closeTransferForm(true);
    });
    $('c-transfer-form').addEventListener('change', (e) => {
      if (e.target.name === 'c-transfer-kind') renderTransferForm();
    });
    $('c-transfer-form').addEventListener('submit', submitTransfer);
    $('c-transfer-form').addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); closeTransferForm(true); }
    });
    $('c-transfer-cancel').addEventListener('click', () => closeTransferForm(true));
    $('watch-form').addEventListener('submit', submitWatch);

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
      closeTransferForm(false);
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

    H.onLanguage(() => { updateTitle(); renderTeam(); });
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
