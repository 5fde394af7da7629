/* care.js — the care panel: what this shift and the last 7 days have asked of us (time in
 * conversations, how many, how many were high-risk or escalated, breaks), a calm word near or
 * past the daily exposure cap, and after a high-risk conversation a suggested break: one click
 * takes it (the usual status change), or "not now". Nothing here is ever forced. The figures come
 * from GET /api/care/me; a "care" frame says they changed (chat/PROTOCOL.md "Care for counsellors"). */
import H from '../common.js';
import { S, me } from './state.js';
import { $, flash } from './util.js';

const REFRESH_MS = 60000; // the cap can be reached mid-conversation: look again every minute
const TICK_MS = 5000;
const care = { figures: null, loadedAt: 0, token: '', loading: false };

function token() { return S.session && S.session.token; }

function dismissedAt() { return H.store.get('session', 'care_dismissed') || ''; }

// "1 h 05 min", "45 min".
function duration(seconds) {
  const m = Math.floor(Math.max(0, seconds || 0) / 60);
  if (m < 60) return H.t('care.duration_m', { m });
  return H.t('care.duration_hm', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

function row(labelKey, shift, week) {
  return H.el('tr', {}, [H.el('th', { scope: 'row', i18n: [labelKey] }), H.el('td', { text: shift }), H.el('td', { text: week })]);
}

function breaksText(p) {
  return p.breaks ? H.t('care.breaks_value', { n: p.breaks, time: duration(p.break_seconds) }) : H.t('care.breaks_none');
}

function renderCare() {
  const f = care.figures;
  const role = me().role;
  $('care-panel').hidden = !f || !(role === 'counselor' || role === 'supervisor');
  if (!f) return;
  const { shift, week } = f;
  $('care-rows').replaceChildren(
    row('care.row_time', duration(shift.conversation_seconds), duration(week.conversation_seconds)),
    row('care.row_conversations', String(shift.conversations), String(week.conversations)),
    row('care.row_high_risk', String(shift.high_risk), String(week.high_risk)),
    row('care.row_escalated', String(shift.escalated), String(week.escalated)),
    row('care.row_breaks', breaksText(shift), breaksText(week)));
  const cap = $('care-cap');
  if (f.cap_state === 'near' || f.cap_state === 'past') {
    H.setText(cap, 'care.cap_' + f.cap_state, { time: duration(shift.conversation_seconds), cap: duration(f.cap_seconds) });
    cap.hidden = false;
  } else {
    H.clearText(cap);
    cap.hidden = true;
  }
  cap.dataset.state = f.cap_state;
  const suggested = f.break_suggested_at && !f.on_break && f.break_suggested_at !== dismissedAt();
  $('care-suggestion').hidden = !suggested;
}

export async function loadCare() {
  const t = token();
  if (!t || care.loading) return;
  care.loading = true;
  try {
    const f = await H.api('GET', '/api/care/me', undefined, t);
    if (t !== token()) return; // signed out (or in as someone else) meanwhile
    const before = care.figures;
    care.figures = f;
    care.loadedAt = Date.now();
    renderCare();
    // Say it once, in the status line too, when the cap state changes.
    if (before && before.cap_state !== f.cap_state && f.cap_state !== 'ok') flash('care.cap_' + f.cap_state + '_short');
  } catch (e) {
    if (e.code === 'not_found') { care.figures = null; care.loadedAt = Date.now(); renderCare(); } // admins keep no figures
  } finally {
    care.loading = false;
  }
}

// The server's "care" frame: our figures changed; after a high-risk conversation, a break is offered.
export async function onCare(f) {
  await loadCare();
  if (f && f.event === 'break_suggested' && !$('care-suggestion').hidden) flash('care.break_suggestion_short');
}

function takeBreak() {
  if (!S.client || !S.client.control({ type: 'status', status: 'break' })) {
    flash('console.not_connected');
    return;
  }
  $('care-suggestion').hidden = true;
  flash('care.break_taken');
  $('care-heading').focus();
  setTimeout(loadCare, 1000);
}

function dismiss() {
  if (care.figures && care.figures.break_suggested_at) H.store.set('session', 'care_dismissed', care.figures.break_suggested_at);
  $('care-suggestion').hidden = true;
  $('care-heading').focus();
}

// The debrief form is the escalation panel's: take the counsellor there.
function toDebrief() {
  const note = $('debrief-note');
  if (!note) return;
  note.scrollIntoView({ block: 'center' });
  note.focus();
}

function tick() {
  const t = token() || '';
  if (t !== care.token) { // a new sign-in, or signed out: start again
    care.token = t;
    care.figures = null;
    care.loadedAt = 0;
    renderCare();
  }
  if (t && Date.now() - care.loadedAt >= (care.figures ? REFRESH_MS : TICK_MS)) loadCare();
}

export function wireCare() {
  $('care-heading').tabIndex = -1;
  $('care-take-break').addEventListener('click', takeBreak);
  $('care-dismiss').addEventListener('click', dismiss);
  $('care-debrief').addEventListener('click', toDebrief);
  $('care-suggestion').addEventListener('keydown', (e) => { if (e.key === 'Escape') dismiss(); });
  H.onLanguage(renderCare);
  setInterval(tick, TICK_MS);
  setTimeout(tick, 0);
}
