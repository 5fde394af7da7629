/* switchboard.js — the banner every console shows while a supervisor has paused offers for a
 * skill: "Offers paused for … by Sam since 14:05". Read over HTTP when the console connects,
 * then kept current by the `switchboard` frame. */
import H from '../common.js';
import { S } from './state.js';
import { $ } from './util.js';

let paused = [];

function skillText(p) {
  const who = H.t(p.audience ? 'audience.' + p.audience : 'audience.none');
  return who + ' · ' + (p.language ? H.languageName(p.language) : H.t('supervisor.any_language'));
}

function render() {
  const box = $('switchboard-banner');
  if (!box) return;
  box.hidden = paused.length === 0;
  $('switchboard-list').replaceChildren(...paused.map((p) => H.el('li', {
    i18n: ['switchboard.banner_line', { skill: skillText(p), name: p.by, time: H.fmtTime(p.since) }] })));
}

export function onSwitchboard(f) {
  paused = Array.isArray(f.paused) ? f.paused : [];
  render();
}

// On every (re)connection: what is paused now (a frame sent while away is not repeated).
export async function loadSwitchboard() {
  try {
    onSwitchboard(await H.api('GET', '/api/switchboard', undefined, S.session && S.session.token));
  } catch (e) { /* the next frame or connection tells */ }
}

export function wireSwitchboard() { H.onLanguage(render); }
