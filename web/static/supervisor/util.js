/* util.js — what the supervisor page's panels share: the page state, ages by the server's clock,
 * skill names, and fetching with the signed-in token. */
import H from '../common.js';

export const $ = (id) => document.getElementById(id);

// The page's state: the session, the socket, the last summary, and the server clock's offset.
export const P = { session: null, client: null, summary: null, skew: 0 };

// Learns how far the server's clock is from ours, from an answer's `now`.
export function learnClock(nowIso) {
  const t = Date.parse(nowIso);
  if (!isNaN(t)) P.skew = t - Date.now();
}

export function serverNow() { return Date.now() + P.skew; }

// "45 s", "3 min", "1 h 5 min": how long since iso, by the server's clock ('' when not known).
export function age(iso) {
  const t = Date.parse(iso);
  if (!iso || isNaN(t)) return '';
  const s = Math.max(0, Math.floor((serverNow() - t) / 1000));
  if (s < 60) return H.t('supervisor.age_seconds', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return H.t('supervisor.age_minutes', { n: m });
  return H.t('supervisor.age_hours', { h: Math.floor(m / 60), m: m % 60 });
}

// A cell whose age the page's ticker keeps current; emptyKey when there is no time.
export function ageCell(iso, emptyKey) {
  const td = H.el('td', {});
  setAge(td, iso, emptyKey);
  return td;
}

export function setAge(node, iso, emptyKey) {
  node.dataset.since = iso || '';
  node.dataset.empty = emptyKey || '';
  node.textContent = iso ? age(iso) : (emptyKey ? H.t(emptyKey) : '');
}

// Every second: ages move on without any data being fetched.
export function tickAges() {
  for (const node of document.querySelectorAll('[data-since]')) {
    const iso = node.dataset.since;
    node.textContent = iso ? age(iso) : (node.dataset.empty ? H.t(node.dataset.empty) : '');
  }
}

export function audienceKey(a) { return a ? 'audience.' + a : 'audience.none'; }

// "Under 18 · Español", or "Under 18 · every language".
export function skillText(audience, language) {
  const lang = language ? H.languageName(language) : H.t('supervisor.any_language');
  return H.t(audienceKey(audience)) + ' · ' + lang;
}

// GET or POST with the session's token.
export function call(method, path, body) {
  return H.api(method, path, body, P.session && P.session.token);
}

export function say(key, args) { H.setText($('sup-status'), key, args); }
