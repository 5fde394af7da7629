/* answers.js — prepared answers in the composer: search as you type (Ctrl+/ from the message
 * box), ↑↓ and Enter insert the chosen answer at the cursor, as many as wanted in one message.
 * {{placeholders}} left in the message are shown highlighted under it, and sending is refused
 * while one is unfilled (mayShip, called by the composer before it sends). */
import H from '../common.js';
import { S, current, peek } from './state.js';
import { $ } from './util.js';
import { latestOnly } from '../lib/latest.js';

const PLACEHOLDER = /\{\{\s*([^{}\s]{1,40})\s*\}\}/g;

let results = []; // the answers the list shows
let chosen = -1; // index of the highlighted one
let caret = null; // {start, end}: where the composer's cursor was when the search took focus
let searchTimer = 0;
const searches = latestOnly();

// placeholders returns [{name, start, end}] for each {{placeholder}} in text.
export function placeholders(text) {
  return Array.from(String(text).matchAll(PLACEHOLDER), (m) => ({ name: m[1], start: m.index, end: m.index + m[0].length }));
}

// mayShip is the composer's check before sending: false (and a visible, spoken reason, the first
// placeholder selected) while the message holds a placeholder.
export function mayShip(text) {
  const left = placeholders(text);
  const error = $('c-placeholder-error');
  if (!left.length) { error.hidden = true; return true; }
  H.setText(error, 'answers.unfilled', { names: uniqueNames(left).join(', ') });
  error.hidden = false;
  selectPlaceholder(left[0]);
  return false;
}

function uniqueNames(list) { return Array.from(new Set(list.map((p) => '{{' + p.name + '}}'))); }

function selectPlaceholder(p) {
  const compose = $('c-compose');
  compose.focus();
  compose.setSelectionRange(p.start, p.end);
}

// renderPlaceholders shows the unfilled placeholders of the message, highlighted; each one,
// clicked, selects it in the message so typing replaces it.
export function renderPlaceholders() {
  const compose = $('c-compose');
  const left = placeholders(compose.value);
  const line = $('c-placeholders');
  line.hidden = left.length === 0;
  if (!left.length) { line.replaceChildren(); $('c-placeholder-error').hidden = true; return; }
  line.replaceChildren(H.el('span', { i18n: ['answers.to_fill'] }), ' ',
    ...left.map((p, i) => H.el('button', { type: 'button', class: 'placeholder-chip', dataset: { index: String(i) } }, [
      H.el('mark', { text: '{{' + p.name + '}}' }),
    ])));
}

function language() {
  const st = current();
  return (st && st.conv.language) || H.lang;
}

function search() {
  // What the list shows no longer matches what is typed: Enter inserts nothing until it does.
  results = [];
  chosen = -1;
  renderList();
  clearTimeout(searchTimer);
  searchTimer = setTimeout(load, 120);
}

async function load() {
  if (!S.session) return;
  const isLatest = searches.begin();
  const q = $('answers-search').value.trim();
  try {
    const res = await H.api('GET', '/api/answers?lang=' + encodeURIComponent(language()) + '&q=' + encodeURIComponent(q), undefined, S.session.token);
    if (!isLatest()) return; // a newer search is on its way
    results = (res && Array.isArray(res.answers)) ? res.answers.slice(0, 20) : [];
    chosen = results.length ? 0 : -1;
    renderList();
  } catch (err) {
    if (isLatest()) { results = []; chosen = -1; renderList(); }
  }
}

// The body with its placeholders marked, as text nodes and <mark>s.
function markedBody(body) {
  const parts = [];
  let at = 0;
  for (const p of placeholders(body)) {
    if (p.start > at) parts.push(document.createTextNode(body.slice(at, p.start)));
    parts.push(H.el('mark', { text: body.slice(p.start, p.end) }));
    at = p.end;
  }
  if (at < body.length) parts.push(document.createTextNode(body.slice(at)));
  return parts;
}

function renderList() {
  const list = $('answers-list');
  const input = $('answers-search');
  list.replaceChildren(...results.map((a, i) => H.el('li', {
    id: 'answer-option-' + i, role: 'option', class: 'answer-option', 'aria-selected': i === chosen ? 'true' : 'false', dataset: { index: String(i) },
  }, [
    H.el('span', { class: 'answer-title', text: a.title }),
    H.el('span', { class: 'answer-body' }, markedBody(String(a.body || ''))),
  ])));
  $('answers-empty').hidden = results.length > 0 || !input.value.trim();
  input.setAttribute('aria-expanded', results.length ? 'true' : 'false');
  if (chosen >= 0) input.setAttribute('aria-activedescendant', 'answer-option-' + chosen); else input.removeAttribute('aria-activedescendant');
  const node = chosen >= 0 && document.getElementById('answer-option-' + chosen);
  if (node && node.scrollIntoView) node.scrollIntoView({ block: 'nearest' });
}

// insert puts answer a at the composer's cursor (or in place of its selection), and leaves the
// cursor on its first placeholder, selected, or just after it.
function insert(a) {
  const compose = $('c-compose');
  const text = String(a.body || '');
  const at = caret || { start: compose.value.length, end: compose.value.length };
  const before = compose.value.slice(0, at.start);
  const after = compose.value.slice(at.end);
  const pad = before && !/\s$/.test(before) ? ' ' : '';
  const tail = after && !/^\s/.test(after) ? ' ' : '';
  compose.value = before + pad + text + tail + after;
  const start = before.length + pad.length;
  const first = placeholders(text)[0];
  compose.focus();
  if (first) compose.setSelectionRange(start + first.start, start + first.end);
  else compose.setSelectionRange(start + text.length, start + text.length);
  caret = null;
  compose.dispatchEvent(new Event('input', { bubbles: true }));
}

function openSearch() {
  const compose = $('c-compose');
  caret = { start: compose.selectionStart, end: compose.selectionEnd };
  $('answers-search').focus();
  $('answers-search').select();
  load();
}

function onSearchKey(e) {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    if (!results.length) return;
    chosen = (chosen + (e.key === 'ArrowDown' ? 1 : results.length - 1)) % results.length;
    renderList();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    if (chosen >= 0 && results[chosen]) insert(results[chosen]);
  } else if (e.key === 'Escape') {
    e.preventDefault();
    $('c-compose').focus();
  }
}

// renderAnswers shows the picker with the composer: only in a conversation we write in.
export function renderAnswers() {
  const st = current();
  const show = !!st && st.conv.status === 'active' && !peek(st.id).watched;
  $('answers-panel').hidden = !show;
  renderPlaceholders();
}

// saveOwn keeps the message being written as one of the counsellor's own prepared answers,
// in the conversation's language; placeholders may stay in it, to be filled each time.
async function saveOwn(e) {
  e.preventDefault();
  const status = $('answers-own-status');
  const body = $('c-compose').value.trim();
  const title = $('answers-own-title').value.trim();
  if (!body || !title) { H.setText(status, body ? 'answers.own_need_title' : 'answers.own_need_text'); return; }
  const id = 'own-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
  try {
    await H.api('PUT', '/api/answers/' + id, { language: language(), scope: 'own', title, body, tags: [] }, S.session.token);
    $('answers-own-title').value = '';
    H.setText(status, 'answers.own_saved');
  } catch (err) {
    H.setText(status, H.errorKey(err.code));
  }
}

export function wireAnswers() {
  $('answers-own-form').addEventListener('submit', saveOwn);
  const compose = $('c-compose');
  compose.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === '/') { e.preventDefault(); openSearch(); }
  });
  compose.addEventListener('input', renderPlaceholders);
  compose.addEventListener('blur', () => { caret = { start: compose.selectionStart, end: compose.selectionEnd }; });
  const input = $('answers-search');
  input.addEventListener('input', search);
  input.addEventListener('focus', () => { if (!results.length) load(); });
  input.addEventListener('keydown', onSearchKey);
  $('answers-list').addEventListener('mousedown', (e) => e.preventDefault()); // keep the search focused
  $('answers-list').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-index]');
    if (li && results[Number(li.dataset.index)]) insert(results[Number(li.dataset.index)]);
  });
  $('c-placeholders').addEventListener('click', (e) => {
    const chip = e.target.closest('button.placeholder-chip');
    const p = chip && placeholders(compose.value)[Number(chip.dataset.index)];
    if (p) selectPlaceholder(p);
  });
  H.onLanguage(() => { renderPlaceholders(); if (results.length) renderList(); });
}
