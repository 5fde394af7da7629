/* wrapup.js — the wrap-up form of the open conversation. The form is the deployment's, in
 * the version the wrap-up is written with (GET /api/wrapup/form?version=, labels in every
 * language: an admin's new version applies to new wrap-ups); the draft is saved as it is filled in and
 * belongs to the conversation, so it follows a transfer. It can be completed once the
 * conversation has ended, also after the help-seeker has left; the console reminds, never
 * forces: closing the conversation stays possible. */
import H from '../common.js';
import { S, current, peek, conversations } from './state.js';
import { $ } from './util.js';

const forms = new Map(); // version → the form (versions never change)
const wrapups = new Map(); // conversation id → {answers, done, version}
let shownFor = null;
let saveTimer = 0;

function label(l) { return (l && (l[H.lang] || l.en || l.es)) || ''; }
function path(id) { return '/api/conversations/' + encodeURIComponent(id) + '/wrapup'; }

async function loadForm(version) {
  if (!forms.has(version)) forms.set(version, await H.api('GET', '/api/wrapup/form?version=' + encodeURIComponent(version), undefined, S.session.token));
  return forms.get(version);
}

function formOf(w) { return (w && forms.get(w.version)) || null; }

async function load(id) {
  try {
    const w = await H.api('GET', path(id), undefined, S.session.token);
    const version = (w && w.form_version) || '';
    await loadForm(version);
    wrapups.set(id, { answers: (w && w.answers) || {}, done: !!(w && w.done), version });
    $('wrapup-error').hidden = true;
  } catch (err) {
    wrapups.delete(id);
    showError(err);
  }
  if (current() && current().id === id) { renderFields(); renderState(); }
}

function showError(err) {
  H.setText($('wrapup-error'), err.code === 'not_found' ? 'wrapup.gone' : err.code === 'invalid' ? 'wrapup.incomplete' : H.errorKey(err.code));
  $('wrapup-error').hidden = false;
}

// One select per field; a taxonomy's second level as option groups ("parent/child").
function fieldNode(f, value, disabled) {
  const id = 'wrapup-f-' + f.id;
  const select = H.el('select', { id, name: f.id, disabled, 'aria-required': f.required ? 'true' : null });
  select.append(H.el('option', { value: '', i18n: ['wrapup.choose'] }));
  for (const o of f.options || []) {
    if (Array.isArray(o.children) && o.children.length) {
      const group = H.el('optgroup', { label: label(o.label) });
      for (const c of o.children) group.append(H.el('option', { value: o.id + '/' + c.id, text: label(c.label) }));
      select.append(group);
    } else {
      select.append(H.el('option', { value: o.id, text: label(o.label) }));
    }
  }
  select.value = value || '';
  return H.el('div', { class: 'field' }, [H.el('label', { for: id, text: label(f.label) }), select]);
}

function renderFields() {
  const st = current();
  const w = st && wrapups.get(st.id);
  const form = formOf(w);
  if (!form || !w) { $('wrapup-fields').replaceChildren(); return; }
  $('wrapup-fields').replaceChildren(...(form.fields || []).map((f) => fieldNode(f, w.answers[f.id], w.done)));
}

function answersOnScreen() {
  const out = {};
  for (const select of $('wrapup-fields').querySelectorAll('select')) if (select.value) out[select.name] = select.value;
  return out;
}

function renderState() {
  const st = current();
  const w = st && wrapups.get(st.id);
  const ended = !!st && st.conv.status === 'ended';
  const done = !!w && w.done;
  $('wrapup-reminder').hidden = !ended || done || !w;
  $('wrapup-done').hidden = !done;
  $('wrapup-complete').hidden = done;
  $('wrapup-complete').disabled = !ended;
  $('wrapup-when').hidden = ended || done;
}

// The reminder beside the list: our ended conversations whose wrap-up is not completed.
function renderPending() {
  const n = conversations().filter((st) => peek(st.id).mine && st.conv.status === 'ended' && !(wrapups.get(st.id) || {}).done).length;
  const node = $('wrapup-pending');
  node.hidden = n === 0;
  if (n) H.setText(node, n === 1 ? 'wrapup.pending_one' : 'wrapup.pending_many', { n });
}

// renderWrapup shows the wrap-up of the open conversation we hold (not one we only watch).
export function renderWrapup() {
  renderPending();
  const st = current();
  const show = !!st && peek(st.id).mine && !peek(st.id).watched && (st.conv.status === 'active' || st.conv.status === 'ended');
  $('wrapup').hidden = !show;
  if (!show) { shownFor = null; return; }
  if (shownFor !== st.id) {
    shownFor = st.id;
    $('wrapup-error').hidden = true;
    H.clearText($('wrapup-saved'));
    if (!wrapups.has(st.id)) { $('wrapup-fields').replaceChildren(); load(st.id); } else renderFields();
  }
  renderState();
}

// A draft is saved shortly after each change.
function onChange() {
  const st = current();
  const w = st && wrapups.get(st.id);
  if (!w || w.done) return;
  w.answers = answersOnScreen();
  clearTimeout(saveTimer);
  const id = st.id;
  const answers = w.answers;
  saveTimer = setTimeout(async () => {
    try {
      await H.api('PUT', path(id), { answers }, S.session.token);
      if (current() && current().id === id) H.setText($('wrapup-saved'), 'wrapup.draft_saved');
    } catch (err) {
      if (current() && current().id === id) showError(err);
    }
  }, 300);
}

async function complete(e) {
  e.preventDefault();
  const st = current();
  const w = st && wrapups.get(st.id);
  if (!w || w.done) return;
  const answers = answersOnScreen();
  const missing = (formOf(w).fields || []).find((f) => f.required && !answers[f.id]);
  if (missing) {
    H.setText($('wrapup-error'), 'wrapup.incomplete');
    $('wrapup-error').hidden = false;
    $('wrapup-f-' + missing.id).focus();
    return;
  }
  clearTimeout(saveTimer);
  $('wrapup-complete').disabled = true;
  try {
    await H.api('POST', path(st.id) + '/complete', { answers }, S.session.token);
    Object.assign(w, { answers, done: true });
    $('wrapup-error').hidden = true;
    renderPending();
    if (current() && current().id === st.id) { renderFields(); renderState(); $('wrapup-heading').focus(); }
  } catch (err) {
    showError(err);
    renderState();
  }
}

export function wireWrapup() {
  $('wrapup-fields').addEventListener('change', onChange);
  $('wrapup-form').addEventListener('submit', complete);
  H.onLanguage(() => { if (current()) renderFields(); });
}
