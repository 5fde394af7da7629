/* supervisor/flood.js — the flood waiting step (chat/PROTOCOL.md "Waiting step"): a banner at
 * the top of the page that says whether it is on, who switched it on and since when, and the
 * switch. Every open supervisor page asks again every 10 s, so a switch made on one shows on all.
 * Switching is audited on the server; it is refused (and nothing changes) when it cannot be. */
import H from '../common.js';
import { $, P } from './util.js';

let timer = null;
let state = null;

export function startFlood() {
  stopFlood();
  load();
  timer = setInterval(load, 10000);
}

export function stopFlood() {
  if (timer) clearInterval(timer);
  timer = null;
  state = null;
  const box = $('flood-panel');
  if (box) box.hidden = true;
}

export function wireFlood() {
  const b = $('flood-switch');
  if (b) b.addEventListener('click', toggle);
  H.onLanguage(render);
}

async function load() {
  if (!P.session) return;
  try {
    state = await H.api('GET', '/api/staff/flood', undefined, P.session.token);
  } catch (e) { return; }
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
