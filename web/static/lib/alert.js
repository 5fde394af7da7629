/* alert.js — getting a busy person's attention without a sound file or a third party: a short
 * tone made by the page (Web Audio), and a desktop notification where the browser allows it and
 * the page is not in view. Both pages use it: offers in the console, escalations for supervisors. */
import { store } from './store.js';

let audio = null;

// soundOn / setSound: whether this browser plays the tone (remembered here only).
export function soundOn(kind) { return store.get('local', 'sound.' + kind) !== false; }
export function setSound(kind, on) { store.set('local', 'sound.' + kind, !!on); }

// tone plays a short, soft two-note chime (pitch and count set how urgent it sounds).
export function tone({ pitch = 660, notes = 2 } = {}) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
    const now = audio.currentTime;
    for (let i = 0; i < notes; i++) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = pitch * (i % 2 ? 1.25 : 1);
      gain.gain.setValueAtTime(0.0001, now + i * 0.22);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.22 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.22 + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.22);
      osc.stop(now + i * 0.22 + 0.21);
    }
    return true;
  } catch (e) { return false; /* no audio here: the title and the notice still tell */ }
}

// askToNotify asks for desktop notifications; call it from a click (browsers require a gesture).
export function askToNotify() {
  try { if (window.Notification && Notification.permission === 'default') Notification.requestPermission(); } catch (e) { /* unsupported */ }
}

// notify shows a desktop notification when allowed and the page is not in view; tag replaces an
// earlier one of the same kind instead of piling up. Text only: never conversation content.
export function notify(title, body, tag) {
  try {
    if (!window.Notification || Notification.permission !== 'granted' || document.visibilityState === 'visible') return false;
    const n = new Notification(title, { body, tag, silent: true });
    n.onclick = () => { window.focus(); n.close(); };
    return true;
  } catch (e) { return false; }
}
