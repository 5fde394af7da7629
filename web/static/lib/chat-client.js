/* chat-client.js — conversations, their messages and our unacknowledged sends (client_id, ack,
 * retry, resync after reconnect), on top of Socket. */
import { Socket, MAX_BACKOFF, SEND_WAIT } from './socket.js';
import { newClientId } from './api.js';

// Conversations, their messages (by seq) and our unacknowledged sends, on top of Socket.
// Handlers in `on`: ready(frame), conversation(state), message(state, msg), pending(state, p),
// synced(state), error(frame), connection(status), fatal(code); any other server frame
// (typing, queue, position, offer, status, team, notes …) goes to the handler of its type.
// A state is {id, conv, messages: Map seq→msg, pending: Map client_id→p, contig, synced}.
// opts.admit(conv), if given, decides whether a `conversation` frame about a conversation we
// don't follow yet is taken up (and synced); without it every one is. Messages about
// conversations we don't follow are then dropped too.
export class ChatClient {
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
      observe: !!opts.observe, // the supervisor page: pushed frames only, not on shift
      streams: opts.streams, // a console: the broadcasts it wants (PROTOCOL.md §3.1)
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
