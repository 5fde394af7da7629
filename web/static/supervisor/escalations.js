/* escalations.js — the supervisor page's first panel: every escalation not yet resolved, with
 * reason, urgency, counsellor, age and the countdown to its acknowledgement deadline; a visual
 * and audible alert (WebAudio, no audio file), the page title and a desktop notification where
 * the browser allows it when one arrives or is late; acknowledge and resolve. Asking for the list
 * every 30 seconds also tells the server this page is open: its reader counts as on shift. */
import H from '../common.js';
import { latestOnly } from '../lib/latest.js';

const OUTCOMES = ['advice_given', 'safety_plan_agreed', 'referral_made', 'emergency_services_contacted', 'no_action_needed', 'other'];
const REFRESH_MS = 30000;
const $ = (id) => document.getElementById(id);

const P = { token: null, items: [], timers: [], audio: null, notes: new Map() };

function reasonText(v) { return H.t('escalation.reason_' + v.reason); }
function urgencyText(v) { return H.t('escalation.urgency_' + v.urgency); }
function whoText(v) { return v.automatic ? H.t('escalation.automatic') : v.raised_by_name; }

// 0:42, 12:05, 1:02:10
function span(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, '0');
  return h ? h + ':' + String(m).padStart(2, '0') + ':' + r : m + ':' + r;
}

// The refresh and an action's own reload can cross: only the latest answer draws.
const loads = latestOnly();

async function load() {
  if (!P.token || !P.token()) return;
  const isLatest = loads.begin();
  try {
    const res = await H.api('GET', '/api/escalations', undefined, P.token());
    if (!isLatest()) return;
    P.items = (res && res.escalations) || [];
    render();
  } catch (e) { /* the next refresh tries again */ }
}

function setStatus(key) { H.setText($('sup-status'), key); }

async function act(v, action, body) {
  try {
    await H.retrying(() => H.api('POST', '/api/escalations/' + encodeURIComponent(v.id) + '/' + action, body, P.token()), () => {});
    setStatus(action === 'acknowledge' ? 'supervisor.acknowledged' : 'supervisor.resolved');
    await load();
  } catch (e) { setStatus(H.errorKey(e.code)); }
}

async function showNotes(v, list, button) {
  try {
    const res = await H.api('GET', '/api/escalations/' + encodeURIComponent(v.id), undefined, P.token());
    const notes = ((res && res.escalation && res.escalation.notes) || []).filter((n) => n.body);
    P.notes.set(v.id, notes);
    list.replaceChildren(...(notes.length ? notes.map((n) => H.el('li', {}, [
      H.el('span', { class: 'note-meta', text: [n.staff_name || H.t('escalation.automatic'), H.fmtTime(n.at)].join(' · ') }),
      H.el('p', { class: 'note-body', text: n.body }),
    ])) : [H.el('li', { class: 'muted', i18n: ['supervisor.notes_empty'] })]));
    list.hidden = false;
    button.setAttribute('aria-expanded', 'true');
  } catch (e) { setStatus(H.errorKey(e.code)); }
}

function resolveForm(v) {
  const sel = 'esc-outcome-' + v.id, note = 'esc-note-' + v.id, hint = 'esc-hint-' + v.id;
  const select = H.el('select', { id: sel, name: sel }, OUTCOMES.map((o) => H.el('option', { value: o, i18n: ['escalation.outcome_' + o] })));
  const text = H.el('textarea', { id: note, name: note, rows: '2', maxlength: '1000', 'aria-describedby': hint });
  const form = H.el('form', { class: 'esc-resolve', novalidate: true, 'aria-label': H.t('supervisor.resolve_heading') }, [
    H.el('div', { class: 'field' }, [H.el('label', { for: sel, i18n: ['supervisor.outcome_label'] }), select]),
    H.el('div', { class: 'field' }, [H.el('label', { for: note, i18n: ['supervisor.resolve_note_label'] }),
      H.el('p', { id: hint, class: 'hint', i18n: ['supervisor.resolve_hint'] }), text]),
    H.el('div', { class: 'actions' }, [H.el('button', { class: 'primary esc-resolve-submit', type: 'submit', i18n: ['supervisor.resolve_submit'] })]),
  ]);
  form.addEventListener('submit', (e) => { e.preventDefault(); act(v, 'resolve', { outcome: select.value, note: text.value }); });
  return form;
}

function createItem(v) {
  const notes = H.el('ul', { class: 'esc-notes', id: 'esc-notes-' + v.id, hidden: true });
  const show = H.el('button', { class: 'secondary', type: 'button', 'aria-controls': notes.id, 'aria-expanded': 'false', i18n: ['supervisor.notes_show'] });
  show.addEventListener('click', () => showNotes(v, notes, show));
  const ack = H.el('button', { class: 'primary esc-ack', type: 'button', i18n: ['supervisor.acknowledge'] });
  ack.addEventListener('click', () => act(v, 'acknowledge', {}));
  return H.el('li', { class: 'esc-item', 'aria-labelledby': 'esc-title-' + v.id }, [
    H.el('h3', { id: 'esc-title-' + v.id, class: 'esc-title' }),
    H.el('p', { class: 'esc-meta' }),
    H.el('p', { class: 'esc-timing' }),
    H.el('p', { class: 'esc-ack-line' }),
    H.el('div', { class: 'actions' }, [ack, show]),
    notes,
    resolveForm(v),
  ]);
}

function updateItem(node, v) {
  node.className = 'esc-item esc-' + v.status + ' esc-urgency-' + v.urgency + (v.late ? ' esc-late' : '');
  node.querySelector('.esc-title').textContent = reasonText(v) + ' · ' + urgencyText(v) + (v.late ? ' · ' + H.t('supervisor.item_late') : '');
  const meta = [H.t('supervisor.item_from', { name: whoText(v) }),
    v.conversation_id ? H.t('supervisor.item_conversation', { id: v.conversation_id }) : H.t('supervisor.item_debrief_alone')];
  if (v.nobody_on_shift) meta.push(H.t('supervisor.item_nobody'));
  node.querySelector('.esc-meta').textContent = meta.join(' · ');
  const ackLine = node.querySelector('.esc-ack-line');
  ackLine.textContent = v.acknowledged_by_name ? H.t('supervisor.item_acknowledged', { name: v.acknowledged_by_name, time: H.fmtTime(v.acknowledged_at) }) : '';
  ackLine.hidden = !v.acknowledged_by_name;
  node.querySelector('.esc-ack').hidden = v.status !== 'open';
  timing(node, v);
}

function timing(node, v) {
  const now = Date.now();
  const age = H.t('supervisor.item_age', { age: span(now - Date.parse(v.raised_at)) });
  let due = '';
  if (v.status === 'open') {
    const left = Date.parse(v.due_at) - now;
    due = left >= 0 ? H.t('supervisor.item_due_in', { left: span(left) }) : H.t('supervisor.item_overdue', { left: span(-left) });
  }
  node.querySelector('.esc-timing').textContent = [age, due].filter(Boolean).join(' · ');
}

function render() {
  const list = $('esc-list');
  H.syncList(list, P.items, (v) => v.id, createItem, updateItem);
  $('esc-empty').hidden = P.items.length > 0;
  const waiting = P.items.filter((v) => v.status === 'open').length;
  document.title = waiting ? H.t('supervisor.alert_title', { count: waiting }) : H.t('supervisor.page_title');
}

function tick() {
  for (const node of document.querySelectorAll('#esc-list > li')) {
    const v = P.items.find((x) => x.id === node.dataset.key);
    if (v) timing(node, v);
  }
}

function beep() {
  if (!P.audio) return;
  const t0 = P.audio.currentTime;
  for (const at of [0, 0.3]) {
    const osc = P.audio.createOscillator(), gain = P.audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, t0 + at);
    gain.gain.exponentialRampToValueAtTime(0.001, t0 + at + 0.25);
    osc.connect(gain).connect(P.audio.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + 0.25);
  }
}

function alertFor(f) {
  const args = { reason: H.t('escalation.reason_' + f.reason), urgency: H.t('escalation.urgency_' + f.urgency), name: f.raised_by_name || H.t('escalation.automatic') };
  const key = f.event === 'late' ? 'supervisor.alert_late' : 'supervisor.alert_new';
  const banner = $('esc-alert');
  H.setText(banner, key, args);
  banner.classList.remove('esc-flash');
  void banner.offsetWidth; // restart the flash
  banner.classList.add('esc-flash');
  beep();
  if (window.Notification && Notification.permission === 'granted' && document.hidden) {
    try { new Notification(H.t('supervisor.page_title'), { body: H.t(key, args), tag: 'escalation-' + f.escalation_id }); } catch (e) { /* not allowed here */ }
  }
}

export function onEscalation(f) {
  if (f.event === 'raised' || f.event === 'late' || (f.event === 'updated' && f.status === 'open')) alertFor(f);
  load();
}

export function startEscalations(token) {
  P.token = token;
  stopTimers();
  load();
  P.timers.push(setInterval(load, REFRESH_MS), setInterval(tick, 1000));
}

function stopTimers() { P.timers.forEach(clearInterval); P.timers = []; }

export function stopEscalations() {
  stopTimers();
  loads.cancel();
  P.items = [];
  P.token = null;
  render();
  H.clearText($('esc-alert'));
}

// Browsers let a page play sound and show notifications only after the person asks for it.
function enableAlerts() {
  try { P.audio = P.audio || new (window.AudioContext || window.webkitAudioContext)(); P.audio.resume(); } catch (e) { P.audio = null; }
  if (window.Notification && Notification.permission === 'default') { try { Notification.requestPermission(); } catch (e) { /* unsupported */ } }
  H.setText($('esc-alerts-enable'), 'supervisor.alerts_on');
  beep();
}

export function wireEscalations() {
  $('esc-alerts-enable').addEventListener('click', enableAlerts);
  H.onLanguage(render);
}
