/* admin/phrases.js — the risk phrase lists, for admins: per list (one per language) and
 * category, the phrases that raise a flag, the longer phrases that cancel one ("kill myself
 * laughing"), and whether the category is imminent (it opens an escalation by itself). Saving
 * makes a new version of the list: every instance matches with it shortly, and each flag
 * names the list and version that matched. Endpoints: GET /api/admin/phrases,
 * GET /api/admin/phrases/{name}/versions, PUT /api/admin/phrases/{name}
 * (chat/PROTOCOL.md "Admin pages"). */
import H from '../common.js';
import { renderVersions, showRefusal } from './versions.js';

const $ = (id) => document.getElementById(id);
const MIN_LETTERS = 6; // as the server: a shorter phrase matches ordinary messages
let ctx = null;
let lists = []; // as saved: [{name, language, version, categories}]
let drafts = new Map(); // list name → its categories being edited
let chosen = { list: '', category: '' };

export function mount(c) {
  if (ctx) return;
  ctx = c;
  $('ph-list').addEventListener('change', () => { chosen.list = $('ph-list').value; chosen.category = ''; render(); loadVersions(); });
  $('ph-category').addEventListener('change', () => { chosen.category = $('ph-category').value; render(); });
  $('ph-imminent').addEventListener('change', () => { category().imminent = $('ph-imminent').checked; changed(); });
  $('ph-add').addEventListener('click', () => add('phrases', 'ph-new'));
  $('ph-add-except').addEventListener('click', () => add('except', 'ph-new-except'));
  for (const [input, which] of [['ph-new', 'phrases'], ['ph-new-except', 'except']]) {
    $(input).addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); add(which, input); } });
  }
  for (const ul of ['ph-phrases', 'ph-except']) $(ul).addEventListener('click', remove);
  $('ph-form').addEventListener('submit', save);
  $('ph-discard').addEventListener('click', () => { drafts.delete(chosen.list); render(); $('ph-list').focus(); });
  H.onLanguage(render);
}

export function show() { load(); }

async function load() {
  try {
    const res = await ctx.api('GET', '/api/admin/phrases');
    lists = Array.isArray(res.lists) ? res.lists : [];
    drafts = new Map();
    if (!lists.some((l) => l.name === chosen.list)) chosen = { list: lists.length ? pickList() : '', category: '' };
    render();
    loadVersions();
  } catch (err) {
    if (err.code === 'unauthorized') ctx.signedOut(); else ctx.flash(H.errorKey(err.code));
  }
}

function pickList() { return (lists.find((l) => l.language === H.lang) || lists[0]).name; }

function list() { return lists.find((l) => l.name === chosen.list); }

// draft is the list's categories being edited (a copy of the saved ones until changed).
function draft() {
  if (!drafts.has(chosen.list)) drafts.set(chosen.list, JSON.parse(JSON.stringify(list().categories)));
  return drafts.get(chosen.list);
}

function category() { return draft().find((c) => c.id === chosen.category); }

function categoryName(id) {
  const key = 'riskflag.category.' + id;
  const name = H.t(key);
  return name === key ? id : name + ' (' + id + ')';
}

function isChanged() {
  return drafts.has(chosen.list) && JSON.stringify(drafts.get(chosen.list)) !== JSON.stringify(list().categories);
}

function render() {
  if (!lists.length) return;
  $('ph-list').replaceChildren(...lists.map((l) => H.el('option', { value: l.name, text: H.languageName(l.language) + ' (' + l.name + ')' })));
  $('ph-list').value = chosen.list;
  const cats = draft();
  if (!cats.some((c) => c.id === chosen.category)) chosen.category = cats.length ? cats[0].id : '';
  $('ph-category').replaceChildren(...cats.map((c) => H.el('option', { value: c.id, text: categoryName(c.id) })));
  $('ph-category').value = chosen.category;
  H.setText($('ph-version'), 'admin.phrases.version', { version: list().version });
  const c = category();
  if (!c) return;
  H.setText($('ph-category-heading'), 'admin.phrases.category_heading', { category: categoryName(c.id) });
  $('ph-imminent').checked = !!c.imminent;
  renderPhrases('ph-phrases', c.phrases || [], 'phrases');
  renderPhrases('ph-except', c.except || [], 'except');
  showChanged();
}

function renderPhrases(ul, phrases, which) {
  $(ul).replaceChildren(...phrases.map((p, i) => H.el('li', { dataset: { index: String(i), which } }, [
    H.el('span', { class: 'phrase', text: p }), ' ',
    H.el('button', { type: 'button', class: 'secondary remove', 'aria-label': H.t('admin.phrases.remove_named', { phrase: p }), i18n: ['admin.phrases.remove'] }),
  ])));
}

function showChanged() {
  if (isChanged()) H.setText($('ph-changed'), 'admin.phrases.unsaved'); else H.clearText($('ph-changed'));
}

function changed() { $('ph-error').hidden = true; showChanged(); }

// fold and words are the matcher's view of a phrase: accents, capitals and punctuation do not count.
function fold(s) { return s.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase(); }
function words(s) { return s.split(/\s+/).filter(Boolean).map((w) => (fold(w).match(/[\p{L}\p{N}]+/gu) || []).join(' ') + (w.endsWith('*') ? '*' : '')).join(' '); }
function letters(s) { return (fold(s).match(/[\p{L}\p{N}]/gu) || []).length; }

function add(which, inputId) {
  const input = $(inputId);
  const error = $('ph-add-error');
  error.hidden = true;
  const text = input.value.trim().replace(/\s+/g, ' ');
  const c = category();
  const have = c[which] || [];
  let problem = null;
  if (!text) problem = ['admin.phrases.err_empty'];
  else if (letters(text) < MIN_LETTERS) problem = ['admin.phrases.err_short', { phrase: text, n: MIN_LETTERS }];
  else {
    const same = have.find((p) => words(p) === words(text));
    if (same) problem = ['admin.phrases.err_twice', { phrase: text, same }];
  }
  if (problem) {
    H.setText(error, problem[0], problem[1]);
    error.hidden = false;
    input.focus();
    return;
  }
  c[which] = [...have, text];
  input.value = '';
  render();
  ctx.flash('admin.phrases.added', { phrase: text });
  input.focus();
}

function remove(e) {
  const b = e.target.closest('button.remove');
  const li = b && b.closest('li');
  if (!li) return;
  const c = category();
  const which = li.dataset.which;
  const i = Number(li.dataset.index);
  const [gone] = c[which].splice(i, 1);
  render();
  ctx.flash('admin.phrases.removed', { phrase: gone });
  const rest = $(which === 'phrases' ? 'ph-phrases' : 'ph-except').querySelectorAll('button.remove');
  (rest[Math.min(i, rest.length - 1)] || $(which === 'phrases' ? 'ph-new' : 'ph-new-except')).focus();
}

async function save(e) {
  e.preventDefault();
  const error = $('ph-error');
  error.hidden = true;
  const l = list();
  const empty = draft().find((c) => !(c.phrases || []).length);
  if (empty) {
    H.setText(error, 'admin.phrases.err_none', { category: categoryName(empty.id) });
    error.hidden = false;
    return;
  }
  try {
    const res = await ctx.api('PUT', '/api/admin/phrases/' + encodeURIComponent(l.name), { based_on: l.version, language: l.language, categories: draft() });
    ctx.flash(res.created ? 'admin.phrases.saved' : 'admin.phrases.unchanged', { version: res.list.version });
    await load();
    $('ph-version').focus();
  } catch (err) {
    if (err.code === 'unauthorized') { ctx.signedOut(); return; }
    showRefusal(error, err);
  }
}

async function loadVersions() {
  const l = list();
  if (!l) return;
  try {
    const res = await ctx.api('GET', '/api/admin/phrases/' + encodeURIComponent(l.name) + '/versions');
    renderVersions($('ph-versions'), Array.isArray(res.versions) ? res.versions : [], l.version);
  } catch (err) { ctx.flash(H.errorKey(err.code)); }
}
