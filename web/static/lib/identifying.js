/* identifying.js — before a message goes, a gentle question when it looks like it could identify
 * the person or someone else (an email, a phone number, a handle, an address, a school, a name).
 * The rules are the server's own file (web/identifying/rules.json), read once; matching happens
 * here, in the browser: the text goes nowhere before the person decides. */
import { getJSON } from './api.js';

let compiled = null;

async function rules() {
  if (compiled) return compiled;
  try {
    const file = await getJSON('/api/seeker/identifying-rules');
    compiled = (file.rules || []).map((r) => ({ kind: r.kind, re: new RegExp(r.pattern, 'u' + (r.ignore_case ? 'i' : '')) }));
  } catch (e) {
    return []; // not loaded now: no question this time, the next send tries again
  }
  return compiled;
}

// kinds resolves to the kinds of identifying detail text seems to hold, each once.
export async function kinds(text) {
  const out = [];
  for (const r of await rules()) if (!out.includes(r.kind) && r.re.test(text)) out.push(r.kind);
  return out;
}
