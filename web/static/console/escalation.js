/* escalation.js — asking a supervisor for help with the open conversation (an escalation), or
 * for a debrief at any time, and the status line of each: waiting, picked up by whom and when,
 * late, resolved. The server pushes "escalation" frames (ids and short fields, never notes);
 * after a reload the list comes from GET /api/escalations/mine. */
import H from '../common.js';
import { newClientId } from '../lib/api.js';
import { S, me, peek } from './state.js';
import { $, flash } from './util.js';

const REASONS = ['child_at_risk', 'self_harm', 'acute_distress', 'abusive_or_testing', 'need_advice'];
const mine = new Map(); // escalation id → what we know of it (the API's view, or a frame's fields)
let outOfHours = null; // the server's "nobody is on shift" text per language, as last answered

function token() { return S.session && S.session.token; }

// A frame's fields in the API view's names.
function fromFrame(f) {
  return {
    id: f.escalation_id, conversation_id: f.conversation_id || '', reason: f.reason, urgency: f.urgency, status: f.status,
    raised_at: f.raised_at, due_at: f.due_at, late: !!f.late, nobody_on_shift: !!f.nobody_on_shift,
    acknowledged_by_name: f.acknowledged_by_name || '', acknowledged_at: f.acknowledged_at || '',
    resolved_by_name: f.resolved_by_name || '', outcome: f.outcome || '',
  };
}

function remember(v) {
  if (!v || !v.id) return;
  mine.set(v.id, Object.assign(mine.get(v.id) || {}, v));
}

// The server's frame: about one we raised, or about our conversation; supervisors and admins
// on the console are told one is waiting (they answer it on the supervisor page).
export function onEscalation(f) {
  const role = me().role;
  const ours = mine.has(f.escalation_id) || (f.conversation_id && S.client && S.client.convs.has(f.conversation_id));
  if (ours) remember(fromFrame(f));
  else if ((role === 'supervisor' || role === 'admin') && (f.event === 'raised' || f.event === 'late')) flash('escalation.alert_console');
  renderEscalationPane();
}

export async function loadEscalations() {
  if (!token()) return;
  try {
    const res = await H.api('GET', '/api/escalations/mine', undefined, token());
    for (const v of (res && res.escalations) || []) remember(v);
    renderEscalationPane();
  } catch (e) { /* the frames will tell */ }
}

function statusLine(v) {
  const args = { reason: H.t('escalation.reason_' + v.reason), urgency: H.t('escalation.urgency_' + v.urgency), time: H.fmtTime(v.raised_at) };
  if (v.status === 'resolved') {
    return ['escalation.status_resolved', Object.assign(args, { name: v.resolved_by_name || v.acknowledged_by_name, outcome: H.t('escalation.outcome_' + v.outcome) })];
  }
  if (v.status === 'acknowledged') return ['escalation.status_acknowledged', Object.assign(args, { name: v.acknowledged_by_name, time: H.fmtTime(v.acknowledged_at) })];
  if (v.nobody_on_shift) return ['escalation.status_nobody', args];
  return [v.late ? 'escalation.status_late' : 'escalation.status_open', args];
}

function renderList(list, items) {
  list.replaceChildren(...items.map((v) => {
    const [key, args] = statusLine(v);
    return H.el('li', { class: 'esc-line esc-' + v.status + (v.late ? ' esc-late' : ''), dataset: { escalation: v.id } }, [H.el('span', { i18n: [key, args] })]);
  }));
}

function nobodyText() {
  if (!outOfHours) return '';
  return outOfHours[H.lang] || outOfHours.en || Object.values(outOfHours)[0] || '';
}

// Draws the status lines of the open conversation's escalations and of our debriefs.
export function renderEscalationPane() {
  const all = Array.from(mine.values()).sort((a, b) => (Date.parse(a.raised_at) || 0) - (Date.parse(b.raised_at) || 0));
  const open = S.openId;
  const here = all.filter((v) => open && v.conversation_id === open);
  renderList($('c-esc-status'), here);
  $('c-esc-status').hidden = here.length === 0;
  const debriefs = all.filter((v) => v.reason === 'debrief' && !v.conversation_id);
  renderList($('debrief-status'), debriefs);
  const nobody = $('esc-nobody');
  const text = nobodyText();
  nobody.textContent = text;
  nobody.hidden = !text;
  const role = me().role;
  $('c-esc-open').hidden = !(role === 'counselor' || role === 'supervisor') || !open || peek(open).watched;
  $('debrief-panel').hidden = !(role === 'counselor' || role === 'supervisor');
}

async function raise(body, statusNode, button) {
  button.disabled = true;
  H.setText(statusNode, 'escalation.sending');
  body.request_id = newClientId(); // the same id on every retry: stored once
  try {
    const res = await H.retrying(() => H.api('POST', '/api/escalations', body, token()), () => {});
    remember(res.escalation);
    outOfHours = res.nobody_on_shift ? res.out_of_hours || null : null;
    H.setText(statusNode, res.nobody_on_shift ? 'escalation.status_nobody' : res.added ? 'escalation.added' : body.reason === 'debrief' ? 'escalation.debrief_sent' : 'escalation.sent',
      { reason: H.t('escalation.reason_' + body.reason) });
    renderEscalationPane();
    return true;
  } catch (e) {
    H.setText(statusNode, e.code === 'invalid' ? 'escalation.failed' : H.errorKey(e.code));
    return false;
  } finally {
    button.disabled = false;
  }
}

function toggleForm(open) {
  const form = $('c-esc-form');
  form.hidden = !open;
  $('c-esc-open').setAttribute('aria-expanded', String(open));
  if (open) $('c-esc-reason').focus(); else $('c-esc-open').focus();
}

async function submitEscalation(e) {
  e.preventDefault();
  if (!S.openId) return;
  const urgency = (document.querySelector('input[name="c-esc-urgency"]:checked') || {}).value || 'now';
  const body = { conversation_id: S.openId, reason: $('c-esc-reason').value, urgency, note: $('c-esc-note').value };
  if (await raise(body, $('c-esc-result'), $('c-esc-submit'))) {
    $('c-esc-note').value = '';
    $('c-esc-form').hidden = true;
    $('c-esc-open').setAttribute('aria-expanded', 'false');
    $('c-esc-result').focus();
  }
}

async function submitDebrief(e) {
  e.preventDefault();
  const body = { reason: 'debrief', note: $('debrief-note').value };
  if ($('debrief-about').checked && S.openId) body.conversation_id = S.openId;
  if (await raise(body, $('debrief-result'), $('debrief-submit'))) $('debrief-note').value = '';
}

export function clearEscalations() {
  mine.clear();
  outOfHours = null;
  ['c-esc-result', 'debrief-result'].forEach((id) => H.clearText($(id)));
}

export function wireEscalation() {
  const select = $('c-esc-reason');
  select.replaceChildren(...REASONS.map((r) => H.el('option', { value: r, i18n: ['escalation.reason_' + r] })));
  $('c-esc-open').addEventListener('click', () => toggleForm($('c-esc-form').hidden));
  $('c-esc-cancel').addEventListener('click', () => toggleForm(false));
  $('c-esc-form').addEventListener('submit', submitEscalation);
  $('c-esc-form').addEventListener('keydown', (e) => { if (e.key === 'Escape') toggleForm(false); });
  $('debrief-form').addEventListener('submit', submitDebrief);
  H.onLanguage(renderEscalationPane);
}
