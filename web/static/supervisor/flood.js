/* supervisor/flood.js — the flood waiting step (chat/PROTOCOL.md "Waiting step"): a banner at
 * the top of the page that says whether it is on, who switched it on and since when, and the
 * switch. Every open supervisor page asks again every 10 s, so a switch made on one shows on all.
 * Switching is audited on the server; it is refused (and nothing changes) when it cannot be. */
import H from '../common.js';
import { $, P } from './util.js';

let state = null;
let loadedFor = null; // the session token the banner was last read with
let loadedAt = 0;

// wireFlood is the page's one call: a 1 s tick reads the switch as soon as someone signs in,
// then every 10 s, and hides the banner once they sign out.
export function wireFlood() {
  const b = $('flood-switch');
  if (b) b.addEventListener('click', toggle);
  H.onLanguage(render);
  setInterval(tick, 1000);
}

function tick() {
  const token = P.session && P.session.token;
  if (!token) {
    if (loadedFor) { loadedFor = null; state = null; $('flood-panel').hidden = true; }
    return;
  }
  if (token !== loadedFor || Date.now() - loadedAt >= 10000) {
    loadedFor = token;
    loadedAt = Date.now();
    load();
  }
}

async function load() {
  const token = P.session && P.session.token;
  if (!token) return;
  let got;
  try {
    got = await H.api('GET', '/api/staff/flood', undefined, token);
  } catch (e) { return; }
  if (!P.session || P.session.token !== token) return; // signed out meanwhile
  state = got;
  render();
}

function render() {
  const box = $('flood-panel');
  if (!box || !state) return;
  box.hidden = false;
  box.dataset.state = state.on ? 'on' : 'off';
  if (state.on) H.setText($('flood-state'), 'flood.banner_on', { by: state.by || '', since: H.fmtWhen(state.since) });
  else H.setText($('flood-state'), 'flood.banner_off');
  H.setText($('flood-switch'), state.on ? 'flood.switch_off' : 'flood.switch_on');
}

async function toggle() {
  if (!P.session || !state) return;
  const b = $('flood-switch');
  b.disabled = true;
  $('flood-error').hidden = true;
  try {
    state = await H.api('PUT', '/api/staff/flood', { on: !state.on }, P.session.token);
    render();
  } catch (e) {
    H.setText($('flood-error'), 'flood.switch_failed');
    $('flood-error').hidden = false;
  } finally {
    b.disabled = false;
  }
}
