/* socket.js — one WebSocket that keeps itself alive: auth first, app-level ping, reconnect
 * with backoff (chat/PROTOCOL.md §3). */

// ---------------------------------------------------------------- WebSocket

const PING_EVERY = 20000; // app-level ping: browsers can't see WebSocket pings
const PONG_WAIT = 10000;
const OPEN_WAIT = 15000; // from new WebSocket() until `ready`
export const MAX_BACKOFF = 30000;
export const SEND_WAIT = 15000; // unacked and offline this long: show "failed"

// One connection that keeps itself alive: auth first, app-level ping, reconnect with backoff.
// status: connecting → connected → reconnecting → connected …, or stopped.
export class Socket {
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
    ws.onopen = () => ws.send(JSON.stringify(this.opts.observe ? { type: 'auth', token: this.opts.token(), observe: true }
      : this.opts.streams ? { type: 'auth', token: this.opts.token(), streams: this.opts.streams } : { type: 'auth', token: this.opts.token() }));
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
