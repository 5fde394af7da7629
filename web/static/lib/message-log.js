/* message-log.js — renders one conversation's messages into a list, as text only. */
import { el } from './dom.js';
import { setText, clearText, fmtTime } from './i18n.js';

// ---------------------------------------------------------------- rendering

// Renders messages into an <ol role="log">, in seq order, unsent ones last.
// opts: self (our sender value), who(msg) → ['key', args] or a plain name,
//       systemText(msg) → ['key', args] or null (unknown kinds are not shown), onRetry(clientId).
export class MessageLog {
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
