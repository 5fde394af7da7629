/* store.js — localStorage/sessionStorage under the "helpline." prefix, so quick exit can wipe it all. */

const PREFIX = 'helpline.';


// Reading window.localStorage itself can throw (storage disabled), so every access is guarded:
// the app must still work, it just won't remember anything.
function area(name) {
  try { return name === 'session' ? window.sessionStorage : window.localStorage; } catch (e) { return null; }
}

export const store = {
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
