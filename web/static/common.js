/* common.js — shared by seeker.js and console.js (see chat/PROTOCOL.md for the wire protocol).
 *
 * window.Helpline offers:
 *   store        – localStorage/sessionStorage under the "helpline." prefix (so quick exit can wipe it all)
 *   el, setText, clearText, syncList – small DOM helpers; text is only ever set with textContent
 *   init, t, lang, fmtTime – configuration and translations (/api/config, /i18n/{lang}.json)
 *   api, errorKey – JSON over HTTP and the translation key for an error code
 *   retrying     – repeat a request by itself while the service is briefly unreachable
 *   ChatClient   – the reconnecting WebSocket client with per-conversation state
 *   MessageLog   – renders one conversation's messages into a list
 *   TypingNotifier, TypingIndicator – throttled "typing" out, self-clearing "typing" in
 */
(function () {
  'use strict';

  const PREFIX = 'helpline.';
  const ERROR_CODES = ['closed', 'invalid', 'unauthorized', 'not_found', 'conflict', 'rate_limited', 'unavailable', 'internal', 'network'];

  // ---------------------------------------------------------------- storage

  // Reading window.localStorage itself can throw (storage disabled), so every access is guarded:
  // the app must still work, it just won't remember anything.
  function area(name) {
    try { return name === 'session' ? window.sessionStorage : window.localStorage; } catch (e) { return null; }
  }

  const store = {
    get(name, key) {
      try { const raw = area(name).getItem(PREFIX + key); return raw === null ? null : JSON.parse(raw); } catch (e) { return null; }
    },
    set(name, key, value) {
      try { area(name).setItem(PREFIX + key, JSON.stringify(value)); } catch (e) { /* full or disabled */ }
    },
    remove(name, key) {
      try { area(name).removeItem(PREFIX + key); } catch (e) { /* disabled */ }
    },
    // Removes every entry this app made, in both storages (quick exit).
    clearAll() {
      for (const name of ['local', 'session']) {
        const s = area(name);
        if (!s) continue;
        try {
          const keys = [];
          for (let i = 0; i < s.length; i++) if (s.key(i).startsWith(PREFIX)) keys.push(s.key(i));
          keys.forEach((k) => s.removeItem(k));
        } catch (e) { /* disabled */ }
      }
    },
  };

  // ---------------------------------------------------------------- DOM

  // el('button', {class: 'x', type: 'button', i18n: ['key', {args}]}, [children])
  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k === 'i18n') setText(node, v[0], v[1]);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children || []) if (c) node.append(c);
    return node;
  }

  // Sets translated text and remembers key + arguments on the node, so a language switch can
  // re-translate everything on the page, including what was rendered later.
  function setText(node, key, args) {
    const json = args ? JSON.stringify(args) : '';
    const text = t(key, args);
    // Unchanged text is not rewritten: live regions would announce it again.
    if (node.dataset.i18n === key && (node.dataset.i18nArgs || '') === json && node.textContent === text) return;
    node.dataset.i18n = key;
    if (json) node.dataset.i18nArgs = json; else delete node.dataset.i18nArgs;
    node.textContent = text;
  }

  function clearText(node) {
    delete node.dataset.i18n;
    delete node.dataset.i18nArgs;
    node.textContent = '';
  }

  // Makes list's children match items (in order) without rebuilding nodes that stay,
  // so focus on a button inside an unchanged row is kept.
  function syncList(list, items, keyOf, create, update) {
    const wanted = new Set(items.map(keyOf));
    for (const child of Array.from(list.children)) if (!wanted.has(child.dataset.key)) child.remove();
    const existing = new Map(Array.from(list.children, (c) => [c.dataset.key, c]));
    items.forEach((item, i) => {
      const key = keyOf(item);
      let node = existing.get(key);
      if (!node) { node = create(item); node.dataset.key = key; }
      update(node, item);
      const at = list.children[i];
      if (at !== node) list.insertBefore(node, at || null);
    });
  }

  // ---------------------------------------------------------------- i18n

  const i18n = { lang: '', table: {}, config: null, listeners: [] };

  function t(key, args) {
    let s = Object.prototype.hasOwnProperty.call(i18n.table, key) ? i18n.table[key] : key;
    if (args) {
      s = s.replace(/\{(\w+)\}/g, (m, name) => (Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : m));
    }
    return s;
  }

  function argsOf(node) {
    try { return node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : undefined; } catch (e) { return undefined; }
  }

  function translatePage() {
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n, argsOf(node));
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
    for (const node of document.querySelectorAll('[data-i18n-aria-label]')) node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }

  // The server decides which languages exist; this only tidies what it sent.
  function normaliseConfig(c) {
    c = c && typeof c === 'object' ? c : {};
    const languages = (Array.isArray(c.languages) ? c.languages : [])
      .filter((l) => l && typeof l.code === 'string' && l.code)
      .map((l) => ({ code: l.code, name: typeof l.name === 'string' && l.name ? l.name : l.code }));
    const def = typeof c.default_language === 'string' && c.default_language
      ? c.default_language
      : (languages[0] ? languages[0].code : document.documentElement.lang);
    if (!languages.length) languages.push({ code: def, name: def });
    return {
      languages,
      default_language: def,
      retention_days: Number.isFinite(c.retention_days) ? c.retention_days : null,
      audiences: Array.isArray(c.audiences)
        ? c.audiences.filter((a) => typeof a === 'string' && /^[a-z0-9_]+$/.test(a))
        : ['self', 'young', 'other'],
      max_message_chars: c.max_message_chars > 0 ? c.max_message_chars : 4000,
      exit_url: typeof c.exit_url === 'string' ? c.exit_url : '',
    };
  }

  // Saved choice, then the browser's preferences (exact tag, then primary subtag), then the default.
  function pickLanguage(config) {
    const codes = config.languages.map((l) => l.code);
    const lower = codes.map((c) => c.toLowerCase());
    const saved = store.get('local', 'lang');
    if (saved && codes.includes(saved)) return saved;
    for (const tag of navigator.languages || [navigator.language || '']) {
      const want = String(tag).toLowerCase();
      let i = lower.indexOf(want);
      if (i < 0) i = lower.findIndex((c) => c.split('-')[0] === want.split('-')[0]);
      if (i >= 0) return codes[i];
    }
    return codes.includes(config.default_language) ? config.default_language : codes[0];
  }

  async function loadLanguage(code, remember) {
    let table;
    try {
      table = await getJSON('/i18n/' + encodeURIComponent(code) + '.json');
    } catch (e) {
      if (code !== i18n.config.default_language) return loadLanguage(i18n.config.default_language, false);
      table = {};
    }
    i18n.lang = code;
    i18n.table = table && typeof table === 'object' ? table : {};
    if (remember) store.set('local', 'lang', code);
    document.documentElement.lang = code;
    document.documentElement.dir = i18n.table['common.dir'] === 'rtl' ? 'rtl' : 'ltr';
    const sw = document.getElementById('lang-switch');
    if (sw) sw.value = code;
    translatePage();
    i18n.listeners.forEach((fn) => fn(code));
    return code;
  }

  function buildSwitcher() {
    const sw = document.getElementById('lang-switch');
    if (!sw) return;
    sw.replaceChildren(...i18n.config.languages.map((l) => el('option', { value: l.code, lang: l.code, text: l.name })));
    sw.value = i18n.lang;
    sw.addEventListener('change', () => loadLanguage(sw.value, true));
  }

  // Loads configuration and the best language; resolves to the (normalised) configuration.
  async function init() {
    let raw = null;
    try { raw = await getJSON('/api/config'); } catch (e) { /* fall back to the page's own language */ }
    i18n.config = normaliseConfig(raw);
    await loadLanguage(pickLanguage(i18n.config), false);
    buildSwitcher();
    return i18n.config;
  }

  const timeFormats = new Map();
  function fmtTime(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return '';
    if (!timeFormats.has(i18n.lang)) {
      try { timeFormats.set(i18n.lang, new Intl.DateTimeFormat(i18n.lang || undefined, { hour: '2-digit', minute: '2-digit' })); } catch (e) { timeFormats.set(i18n.lang, new Intl.DateTimeFormat()); }
    }
    return timeFormats.get(i18n.lang).format(d);
  }

  // A moment in the coming days, e.g. "Monday 1 December, 09:00", in the page's language.
  function fmtWhen(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return '';
    const opts = { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' };
    try { return new Intl.DateTimeFormat(i18n.lang || undefined, opts).format(d); } catch (e) { return d.toLocaleString(); }
  }

  // ---------------------------------------------------------------- HTTP

  // detail: the error object of the body, e.g. {code: "closed", reason: "hours"}.
  function apiError(code, detail) {
    const e = new Error(code);
    e.code = code;
    e.detail = detail || {};
    return e;
  }

  function codeForStatus(status) {
    return { 400: 'invalid', 401: 'unauthorized', 403: 'unauthorized', 404: 'not_found', 409: 'conflict', 429: 'rate_limited', 503: 'unavailable' }[status] || 'internal';
  }

  async function api(method, path, body, token) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      throw apiError('network');
    }
    let data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch (e) { /* empty or not JSON */ } }
    const detail = data && data.error && typeof data.error === 'object' ? data.error : null;
    if (!res.ok) {
      const err = apiError((detail && detail.code) || codeForStatus(res.status), detail);
      const seconds = parseInt(res.headers.get('Retry-After'), 10);
      if (seconds > 0) err.retryAfter = seconds * 1000;
      throw err;
    }
    return data;
  }

  // The service is briefly unreachable (the server said "unavailable", or no answer came):
  // worth trying again by ourselves rather than asking the person to.
  const RETRYABLE = ['unavailable', 'network'];
  const RETRY_FIRST_MS = 2000;
  const RETRY_MAX_MS = 30000;

  // retrying runs attempt until it succeeds or fails for another reason. Before each new try it
  // calls onWait(err) and waits the longer of the server's Retry-After and a backoff doubling from
  // 2 s to 30 s, plus up to a fifth more at random, so pages coming back together spread out.
  // When stop() turns true during a wait it gives up with the code 'stopped', which callers ignore.
  async function retrying(attempt, onWait, stop) {
    let backoff = RETRY_FIRST_MS;
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (!RETRYABLE.includes(err.code)) throw err;
        onWait(err);
        const wait = Math.max(err.retryAfter || 0, backoff) * (1 + Math.random() / 5);
        await new Promise((resolve) => setTimeout(resolve, wait));
        backoff = Math.min(backoff * 2, RETRY_MAX_MS);
        if (stop && stop()) throw apiError('stopped');
      }
    }
  }

  function getJSON(path) { return api('GET', path); }

  function errorKey(code) { return 'error.' + (ERROR_CODES.includes(code) ? code : 'internal'); }

  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  function newClientId() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
  }

  // ---------------------------------------------------------------- WebSocket

  const PING_EVERY = 20000; // app-level ping: browsers can't see WebSocket pings
  const PONG_WAIT = 10000;
  const OPEN_WAIT = 15000; // from new WebSocket() until `ready`
  const MAX_BACKOFF = 30000;
  const SEND_WAIT = 15000; // unacked and offline this long: show "failed"

  // One connection that keeps itself alive: auth first, app-level ping, reconnect with backoff.
  // status: connecting → connected → reconnecting → connected …, or stopped.
  class Socket {
    constructor(opts) {
      this.opts = opts; // token(), onFrame(frame), onStatus(s), onFatal(code), reconnectOnNormalClose()
      this.ws = null;
      this.ready = false;
      this.stopped = true;
      this.attempt = 0;
      this.status = '';
      this.timers = {};
      this.wake = this.wake.bind(this);
    }

    start() {
      if (!this.stopped) return;
      this.stopped = false;
      this.attempt = 0;
      window.addEventListener('online', this.wake);
      document.addEventListener('visibilitychange', this.wake);
      this._open();
    }

    stop() {
      this.stopped = true;
      window.removeEventListener('online', this.wake);
      document.removeEventListener('visibilitychange', this.wake);
      this._detach();
      this._setStatus('stopped');
    }

    send(frame) {
      if (!this.ready) return false;
      try { this.ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
    }

    // The network came back or the tab became visible again (phones freeze background tabs):
    // check a live socket at once, or skip the rest of the backoff.
    wake() {
      if (this.stopped || document.visibilityState === 'hidden') return;
      if (this.ready) this._ping();
      else if (this.timers.retry) { this._clear('retry'); this._open(); }
    }

    _open() {
      this._detach();
      this._setStatus(this.attempt === 0 && this.status !== 'reconnecting' ? 'connecting' : 'reconnecting');
      let ws;
      try {
        ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
      } catch (e) {
        this._retry(0);
        return;
      }
      this.ws = ws;
      this._timeout('open', OPEN_WAIT, () => this._dead());
      ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.opts.token() }));
      ws.onmessage = (ev) => this._receive(ev.data);
      ws.onclose = (ev) => this._closed(ev.code);
      // onerror is always followed by onclose, which does the work.
    }

    _receive(data) {
      let frame;
      try { frame = JSON.parse(data); } catch (e) { return; }
      if (!frame || typeof frame.type !== 'string') return;
      if (frame.type === 'pong') { this._clear('pong'); return; }
      if (frame.type === 'ready') {
        this.ready = true;
        this.attempt = 0;
        this._clear('open');
        this._clear('ping');
        this.timers.ping = setInterval(() => this._ping(), PING_EVERY);
        this._setStatus('connected');
      }
      this.opts.onFrame(frame);
    }

    _ping() {
      if (this.timers.pong || !this.send({ type: 'ping' })) return;
      this._timeout('pong', PONG_WAIT, () => this._dead());
    }

    // No pong (or no ready) in time: the connection is silently gone. Don't wait for a
    // closing handshake that may never come; drop it and reconnect.
    _dead() {
      this._detach();
      this._retry(0);
    }

    _closed(code) {
      this.ws = null;
      this.ready = false;
      this._clearAll();
      if (this.stopped) return;
      if (code >= 4400 && code <= 4499) { // "do not reconnect with this credential"
        this.stop();
        this.opts.onFatal(code);
      } else if (code === 1000 && !(this.opts.reconnectOnNormalClose && this.opts.reconnectOnNormalClose())) {
        this.stop();
      } else {
        this._retry(code === 4029 ? 5000 : 0);
      }
    }

    // 1 s, 2 s, 4 s … at most 30 s, plus up to 1 s of jitter so clients don't return in step.
    _retry(minDelay) {
      const base = Math.min(MAX_BACKOFF, 1000 * 2 ** Math.min(this.attempt, 5));
      this.attempt++;
      this._setStatus('reconnecting');
      this._timeout('retry', Math.max(minDelay, base) + Math.random() * 1000, () => this._open());
    }

    _detach() {
      const ws = this.ws;
      this.ws = null;
      this.ready = false;
      this._clearAll();
      if (!ws) return;
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(); } catch (e) { /* already closed */ }
    }

    _setStatus(s) {
      if (s === this.status) return;
      this.status = s;
      if (this.opts.onStatus) this.opts.onStatus(s);
    }

    _timeout(name, ms, fn) {
      this._clear(name);
      this.timers[name] = setTimeout(() => { delete this.timers[name]; fn(); }, ms);
    }

    _clear(name) {
      clearTimeout(this.timers[name]);
      clearInterval(this.timers[name]);
      delete this.timers[name];
    }

    _clearAll() { Object.keys(this.timers).forEach((n) => this._clear(n)); }
  }

  // Conversations, their messages (by seq) and our unacknowledged sends, on top of Socket.
  // Handlers in `on`: ready(frame), conversation(state), message(state, msg), pending(state, p),
  // synced(state), error(frame), connection(status), fatal(code); any other server frame
  // (typing, queue, position, offer, status, team, notes …) goes to the handler of its type.
  // A state is {id, conv, messages: Map seq→msg, pending: Map client_id→p, contig, synced}.
  // opts.admit(conv), if given, decides whether a `conversation` frame about a conversation we
  // don't follow yet is taken up (and synced); without it every one is. Messages about
  // conversations we don't follow are then dropped too.
  class ChatClient {
    constructor(opts) {
      this.self = opts.self; // "seeker" or "counselor": the sender value of our own messages
      this.selfName = opts.selfName || '';
      this.admit = typeof opts.admit === 'function' ? opts.admit : null;
      this.on = opts.on || {};
      this.convs = new Map();
      this.outbox = []; // control frames that must go out once connected (end)
      this.socket = new Socket({
        token: opts.token,
        onFrame: (f) => this._frame(f),
        onStatus: (s) => this._emit('connection', s),
        onFatal: (c) => this._emit('fatal', c),
        reconnectOnNormalClose: opts.reconnectOnNormalClose,
      });
    }

    start() { this.socket.start(); }

    stop() {
      this.socket.stop();
      for (const st of this.convs.values()) for (const p of st.pending.values()) clearTimeout(p.timer);
    }

    get ready() { return this.socket.ready; }

    state(id) {
      let st = this.convs.get(id);
      if (!st) {
        st = { id, conv: null, messages: new Map(), pending: new Map(), contig: 0, synced: false };
        this.convs.set(id, st);
      }
      return st;
    }

    forget(id) {
      const st = this.convs.get(id);
      if (!st) return;
      for (const p of st.pending.values()) clearTimeout(p.timer);
      this.convs.delete(id);
    }

    // Sends text; returns the pending record. It is kept until acked and resent after reconnects.
    send(convId, body) {
      const st = this.state(convId);
      const p = { client_id: newClientId(), body, state: 'sending', error: '', tries: 0, timer: 0 };
      st.pending.set(p.client_id, p);
      this._transmit(st, p);
      this._emit('pending', st, p);
      return p;
    }

    retry(convId, clientId) {
      const st = this.convs.get(convId);
      const p = st && st.pending.get(clientId);
      if (!p) return;
      p.tries = 0;
      this._transmit(st, p);
      this._emit('pending', st, p);
      if (!this.socket.ready) this.socket.wake();
    }

    // Sends a control frame (accept, end). With queue=true it waits for the next connection.
    control(frame, queue) {
      if (this.socket.send(frame)) return true;
      if (queue) { this.outbox.push(frame); return true; }
      return false;
    }

    setTyping(convId, typing) {
      return this.socket.send({ type: 'typing', conversation_id: convId, typing });
    }

    _emit(name, ...args) { if (this.on[name]) this.on[name](...args); }

    _frame(f) {
      switch (f.type) {
        case 'ready': return this._ready(f);
        case 'message': return this._message(f);
        case 'ack': return this._ack(f);
        case 'synced': return this._synced(f);
        case 'conversation': return this._conversation(f.conversation);
        case 'error': return this._error(f);
        case 'pong': return undefined;
        default: return this._emit(f.type, f); // a page without a handler ignores it
      }
    }

    _ready(f) {
      const listed = new Set();
      for (const c of Array.isArray(f.conversations) ? f.conversations : []) {
        if (!c || typeof c.id !== 'string') continue;
        listed.add(c.id);
        this.state(c.id).conv = c;
      }
      this._emit('ready', f);
      // Catch up on every conversation still on screen; one that ended while we were away
      // is not in `ready` any more, but its sync still brings the ending. A deleted one has
      // nothing left to fetch.
      for (const st of this.convs.values()) {
        if (listed.has(st.id) || (st.conv && st.conv.status !== 'ended' && st.conv.status !== 'deleted')) this._sync(st);
      }
      for (const st of this.convs.values()) {
        for (const p of st.pending.values()) { // unacked sends go again, same client_id
          this._transmit(st, p);
          this._emit('pending', st, p);
        }
      }
      this.outbox.splice(0).forEach((frame) => this.socket.send(frame));
    }

    // after_seq is the highest seq up to which we hold every message, so nothing can be missed.
    _sync(st) {
      st.synced = false;
      this.socket.send({ type: 'sync', conversation_id: st.id, after_seq: st.contig });
    }

    _synced(f) {
      const st = this.convs.get(f.conversation_id);
      if (!st) return;
      st.synced = true;
      this._emit('synced', st);
    }

    _conversation(c) {
      if (!c || typeof c.id !== 'string') return;
      if (this.admit && !this.convs.has(c.id) && !this.admit(c)) return; // not ours to follow
      const st = this.state(c.id);
      const isNew = !st.conv;
      st.conv = c;
      if (isNew && this.socket.ready) this._sync(st); // newly assigned to us: fetch its history
      this._emit('conversation', st);
    }

    _message(f) {
      if (typeof f.conversation_id !== 'string' || !Number.isInteger(f.seq) || f.seq < 1) return;
      if (this.admit && !this.convs.has(f.conversation_id)) return; // one we stopped following
      const st = this.state(f.conversation_id);
      const had = st.messages.get(f.seq);
      if (had && !had.fromAck) return; // a seq we already have (overlapping syncs): drop it
      const msg = {
        seq: f.seq, sender: f.sender, kind: f.kind || 'text', body: typeof f.body === 'string' ? f.body : '',
        name: f.name || '', client_id: f.client_id || (had && had.client_id) || '', sent_at: f.sent_at || '',
      };
      if (msg.client_id && st.pending.has(msg.client_id)) this._settle(st, msg.client_id); // our own, now stored
      this._store(st, msg);
      this._followSystem(st, msg);
      this._emit('message', st, msg);
    }

    // System messages carry the same news as `conversation` frames; apply them too, in case
    // a frame was missed. During a replay only an ending counts: `ready` already gave the
    // current status, and replaying old joins would only make it flicker.
    _followSystem(st, msg) {
      if (msg.sender !== 'system' || !st.conv) return;
      if (msg.kind !== 'ended' && !st.synced) return;
      if (msg.kind === 'ended' && st.conv.status !== 'ended') {
        st.conv = Object.assign({}, st.conv, { status: 'ended', ended_by: msg.body || st.conv.ended_by || '' });
      } else if ((msg.kind === 'joined' || msg.kind === 'transferred') && st.conv.status !== 'ended') {
        st.conv = Object.assign({}, st.conv, { status: 'active', counselor_name: msg.name || st.conv.counselor_name });
      } else if (msg.kind === 'requeued' && st.conv.status !== 'ended') {
        st.conv = Object.assign({}, st.conv, { status: 'waiting', counselor_name: '' });
      } else {
        return;
      }
      this._emit('conversation', st);
    }

    _ack(f) {
      const st = this.convs.get(f.conversation_id);
      const p = st && st.pending.get(f.client_id);
      if (!p || !Number.isInteger(f.seq)) return; // a repeated ack for something already settled
      this._settle(st, p.client_id);
      if (!st.messages.has(f.seq)) {
        // The `message` copy may come later; until then the ack tells us all we need.
        this._store(st, { seq: f.seq, sender: this.self, kind: 'text', body: p.body, name: this.selfName, client_id: p.client_id, sent_at: f.sent_at || '', fromAck: true });
      }
      this._emit('message', st, st.messages.get(f.seq));
    }

    _error(f) {
      for (const st of this.convs.values()) {
        const p = f.ref && st.pending.get(f.ref);
        if (!p) continue;
        clearTimeout(p.timer);
        if (f.code === 'unavailable' || f.code === 'rate_limited') {
          // Not stored yet: resend the same client_id a little later, backing off.
          const delay = Math.min(MAX_BACKOFF, (f.code === 'rate_limited' ? 5000 : 1000) * 2 ** Math.min(p.tries++, 5));
          p.timer = setTimeout(() => this._transmit(st, p), delay);
        } else {
          p.state = 'failed';
          p.error = f.code || 'internal';
          this._emit('pending', st, p);
        }
        return;
      }
      this._emit('error', f);
    }

    _transmit(st, p) {
      clearTimeout(p.timer);
      p.state = 'sending';
      p.error = '';
      this.socket.send({ type: 'send', conversation_id: st.id, client_id: p.client_id, body: p.body });
      p.timer = setTimeout(() => this._overdue(st, p), SEND_WAIT);
    }

    // Still no ack: if we are offline say so (with a retry button); if online, keep waiting:
    // a dead socket is found by the ping, and the reconnect resends.
    _overdue(st, p) {
      if (!st.pending.has(p.client_id)) return;
      if (this.socket.ready) { p.timer = setTimeout(() => this._overdue(st, p), SEND_WAIT); return; }
      p.state = 'failed';
      this._emit('pending', st, p);
    }

    _settle(st, clientId) {
      const p = st.pending.get(clientId);
      if (p) clearTimeout(p.timer);
      st.pending.delete(clientId);
    }

    _store(st, msg) {
      st.messages.set(msg.seq, msg);
      while (st.messages.has(st.contig + 1)) st.contig++;
    }
  }

  // ---------------------------------------------------------------- rendering

  // Renders messages into an <ol role="log">, in seq order, unsent ones last.
  // opts: self (our sender value), who(msg) → ['key', args] or a plain name,
  //       systemText(msg) → ['key', args] or null (unknown kinds are not shown), onRetry(clientId).
  class MessageLog {
    constructor(list, opts) {
      this.list = list;
      this.opts = opts;
      this.bySeq = new Map();
      this.byClient = new Map();
      list.addEventListener('click', (e) => {
        const b = e.target.closest('button.retry');
        if (b) opts.onRetry(b.dataset.clientId);
      });
    }

    clear() {
      this.list.replaceChildren();
      this.bySeq.clear();
      this.byClient.clear();
    }

    showAll(st) {
      this.clear();
      Array.from(st.messages.keys()).sort((a, b) => a - b).forEach((seq) => this.upsertMessage(st.messages.get(seq), true));
      st.pending.forEach((p) => this.upsertPending(p, true));
      this.list.scrollTop = this.list.scrollHeight;
    }

    upsertMessage(msg, quiet) {
      if (!['seeker', 'counselor', 'system'].includes(msg.sender)) return; // not a sender this protocol knows
      const stick = this._nearBottom();
      let li = this.bySeq.get(msg.seq) || (msg.client_id && this.byClient.get(msg.client_id));
      if (msg.sender === 'system') {
        const label = this.opts.systemText(msg);
        if (!label) return;
        li = li || this._shell('system');
        setText(li.querySelector('.msg-body'), label[0], label[1]);
      } else {
        li = li || this._shell(msg.sender);
        this._fill(li, msg);
        if (msg.sender === this.opts.self) this._state(li, 'delivered', msg.client_id);
      }
      li.dataset.seq = String(msg.seq);
      this.bySeq.set(msg.seq, li);
      if (msg.client_id) this.byClient.set(msg.client_id, li);
      this._place(li, msg.seq);
      if (!quiet && stick) this.list.scrollTop = this.list.scrollHeight;
    }

    upsertPending(p, quiet) {
      let li = this.byClient.get(p.client_id);
      if (li && li.dataset.seq) return; // already stored and shown in its place
      if (!li) {
        li = this._shell(this.opts.self);
        this._fill(li, { sender: this.opts.self, body: p.body });
        this.byClient.set(p.client_id, li);
        this.list.append(li);
      }
      this._state(li, p.state, p.client_id);
      if (!quiet) this.list.scrollTop = this.list.scrollHeight; // we just wrote it: show it
    }

    _shell(sender) {
      // role="none": inside role="log" the li is a plain container, not a list item.
      const li = el('li', { class: 'msg from-' + sender + (sender === this.opts.self ? ' own' : ''), role: 'none' });
      if (sender !== 'system') li.append(el('div', { class: 'msg-meta' }, [el('span', { class: 'msg-who' }), el('time', { class: 'msg-time' })]));
      li.append(el('p', { class: 'msg-body' }));
      return li;
    }

    _fill(li, msg) {
      const who = li.querySelector('.msg-who');
      const label = this.opts.who(msg);
      if (Array.isArray(label)) setText(who, label[0], label[1]); else { clearText(who); who.textContent = label; }
      const time = li.querySelector('.msg-time');
      if (msg.sent_at) { time.dateTime = msg.sent_at; time.textContent = fmtTime(msg.sent_at); }
      li.querySelector('.msg-body').textContent = msg.body;
    }

    // Visible delivery state of our own messages. Not a live region itself: a failure is
    // announced once by the page, not every "Sending…/Delivered" flip.
    _state(li, state, clientId) {
      li.dataset.state = state;
      let box = li.querySelector('.msg-state');
      if (!box) {
        box = el('div', { class: 'msg-state', 'aria-live': 'off' }, [el('span', { class: 'msg-state-text' })]);
        li.append(box);
      }
      setText(box.firstChild, 'state.' + state);
      let retry = box.querySelector('button.retry');
      if (state === 'failed' && !retry) {
        retry = el('button', { type: 'button', class: 'retry', i18n: ['common.retry'], dataset: { clientId } });
        box.append(retry);
      } else if (state !== 'failed' && retry) {
        retry.remove();
      }
    }

    // Keep seq order; messages without a seq (still sending) stay at the end.
    _place(li, seq) {
      let before = null;
      for (const other of this.list.children) {
        if (other === li) continue;
        const s = other.dataset.seq ? Number(other.dataset.seq) : Infinity;
        if (s > seq) { before = other; break; }
      }
      if (li.parentNode === this.list && li.nextElementSibling === before) return; // already there
      this.list.insertBefore(li, before);
    }

    _nearBottom() {
      return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 60;
    }
  }

  // Outgoing typing: `true` when typing starts (refreshed every 5 s at most), `false` after 3 s idle or on send.
  class TypingNotifier {
    constructor(client) { this.client = client; this.convs = new Map(); }

    input(convId) {
      const s = this.convs.get(convId) || { on: false, last: 0, timer: 0 };
      this.convs.set(convId, s);
      if ((!s.on || Date.now() - s.last > 5000) && this.client.setTyping(convId, true)) {
        s.on = true;
        s.last = Date.now();
      }
      clearTimeout(s.timer);
      s.timer = setTimeout(() => this.stop(convId), 3000);
    }

    stop(convId) {
      const s = this.convs.get(convId);
      if (!s) return;
      clearTimeout(s.timer);
      if (s.on) this.client.setTyping(convId, false);
      s.on = false;
    }

    // The conversation is no longer ours to write in: drop its state without telling anyone.
    forget(convId) {
      const s = this.convs.get(convId);
      if (s) clearTimeout(s.timer);
      this.convs.delete(convId);
    }
  }

  // Incoming typing: shows the text, and hides it by itself if the `false` never comes (lost connection).
  class TypingIndicator {
    constructor(node, key) { this.node = node; this.key = key; this.timer = 0; }

    set(on) {
      clearTimeout(this.timer);
      if (on) {
        setText(this.node, this.key);
        this.timer = setTimeout(() => this.set(false), 8000);
      } else {
        clearText(this.node);
      }
    }
  }

  window.Helpline = {
    store, el, setText, clearText, syncList,
    init, t, fmtTime, fmtWhen, api, retrying, errorKey,
    get lang() { return i18n.lang; },
    get config() { return i18n.config; },
    onLanguage(fn) { i18n.listeners.push(fn); },
    languageName(code) {
      const l = i18n.config && i18n.config.languages.find((x) => x.code === code);
      return l ? l.name : code;
    },
    ChatClient, MessageLog, TypingNotifier, TypingIndicator,
  };
})();
