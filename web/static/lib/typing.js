/* typing.js — throttled "typing" out, self-clearing "typing" in. */
import { setText, clearText } from './i18n.js';

export class TypingNotifier {
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
export class TypingIndicator {
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
