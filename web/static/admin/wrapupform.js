/* admin/wrapupform.js — the wrap-up form, for admins: its questions (contact types, the
 * two-level category taxonomy, yes/no/not-discussed questions), every label in Spanish and
 * English, and its versions. Saving makes a new version: wrap-ups keep the version they were
 * written with, so reports survive the change. Only choices, never free text: a wrap-up
 * cannot hold a name, an address or a phone number. The codes of questions and answers
 * already saved stay as they are (reports count them); new ones get a code once.
 * Endpoints: GET and POST /api/admin/wrapup/forms (chat/PROTOCOL.md "Admin pages"). */
import H from '../common.js';
import { renderVersions, showRefusal } from './versions.js';

const $ = (id) => document.getElementById(id);
const LANGS = ['es', 'en'];
const CODE = /^[a-z0-9_]{1,40}$/;
// Words in a question that would ask who someone is or how to reach them (the server refuses them too).
const IDENTIFYING = /\b(names?|surnames?|address(es)?|phones?|telephone|e-?mails?|ip|nombres?|apellidos?|direcci[oó]n|tel[eé]fonos?|correos?|domicilio)\b/i;
let ctx = null;
let current = null; // the current version {version, fields}
let draft = []; // the fields being edited; new items carry isNew
let versions = [];

export function mount(c) {
  if (ctx) return;
  ctx = c;
  $('wf-fields').addEventListener('input', onInput);
  $('wf-fields').addEventListener('change', onInput);
  $('wf-fields').addEventListener('click', onClick);
  $('wf-add-choice').addEventListener('click', () => addField(false));
  $('wf-add-yesno').addEventListener('click', () => addField(true));
  $('wf-form').addEventListener('submit', save);
  $('wf-reset').addEventListener('click', () => { startDraft(); render(); $('wf-heading').focus(); });
  H.onLanguage(() => { render(); renderHead(); });
}

export function show() { load(); }

async function load() {
  try {
    const res = await ctx.api('GET', '/api/admin/wrapup/forms');
    current = res.current;
    versions = Array.isArray(res.versions) ? res.versions : [];
    startDraft();
    render();
    renderHead();
  } catch (err) {
    if (err.code === 'unauthorized') ctx.signedOut(); else ctx.flash(H.errorKey(err.code));
  }
}

function startDraft() {
  draft = JSON.parse(JSON.stringify((current && current.fields) || []));
  $('wf-error').hidden = true;
}

function renderHead() {
  if (!current) return;
  H.setText($('wf-current'), 'admin.wrapup.current', { version: current.version });
  renderVersions($('wf-versions'), versions, current.version);
}

// ------------------------------------------------------------------ the editor

// A path names an item of the draft: "3" a question, "3.1" its second answer, "3.1.0" the
// first answer under that one.
function itemAt(path) {
  const [f, o, c] = path.split('.').map(Number);
  const field = draft[f];
  if (o === undefined || Number.isNaN(o)) return { item: field, siblings: draft, index: f };
  const option = field.options[o];
  if (c === undefined || Number.isNaN(c)) return { item: option, siblings: field.options, index: o };
  return { item: option.children[c], siblings: option.children, index: c };
}

function idOf(path, what) { return 'wf-' + path.replace(/\./g, '-') + '-' + what; }

function input(path, what, value, labelKey, extra) {
  const id = idOf(path, what);
  return H.el('div', { class: 'field wf-input' }, [
    H.el('label', { for: id, i18n: [labelKey] }),
    H.el('input', Object.assign({ id, value: value || '', 'data-path': path, 'data-prop': what, autocomplete: 'off', maxlength: what === 'id' ? 40 : 120 }, extra || {})),
  ]);
}

// The code of a saved item is shown, not editable; a new item's is typed once.
function codeNode(path, item) {
  if (item.isNew) return input(path, 'id', item.id, 'admin.wrapup.code', { spellcheck: 'false', 'aria-describedby': 'wf-code-hint' });
  return H.el('p', { class: 'wf-code' }, [H.el('span', { i18n: ['admin.wrapup.code'] }), ' ', H.el('code', { text: item.id })]);
}

function labels(path, item) { return LANGS.map((l) => input(path, l, (item.label || {})[l], 'admin.wrapup.label_' + l)); }

function button(action, path, key, args, cls) {
  return H.el('button', { type: 'button', class: cls || 'secondary', 'data-action': action, 'data-path': path, i18n: [key, args] });
}

function optionNode(path, o, n, level) {
  const node = H.el('fieldset', { class: 'wf-option', 'data-path': path }, [
    H.el('legend', { i18n: [level === 1 ? 'admin.wrapup.answer_n' : 'admin.wrapup.sub_answer_n', { n }] }),
    codeNode(path, o), ...labels(path, o),
  ]);
  if (level === 1) {
    const children = o.children || [];
    if (children.length) {
      node.append(H.el('div', { class: 'wf-children' }, children.map((c, i) => optionNode(path + '.' + i, c, i + 1, 2))));
    }
    node.append(button('add-child', path, children.length ? 'admin.wrapup.add_sub_answer' : 'admin.wrapup.add_second_level'));
  }
  node.append(button('remove', path, level === 1 ? 'admin.wrapup.remove_answer' : 'admin.wrapup.remove_sub_answer', { n }));
  return node;
}

function fieldNode(fd, i) {
  const path = String(i);
  const req = idOf(path, 'required');
  return H.el('fieldset', { class: 'wf-field admin-form', 'data-path': path }, [
    H.el('legend', { i18n: ['admin.wrapup.question_n', { n: i + 1, code: fd.id || '…' }] }),
    codeNode(path, fd), ...labels(path, fd),
    H.el('div', { class: 'field' }, [H.el('label', { for: req }, [
      H.el('input', { id: req, type: 'checkbox', checked: fd.required ? true : null, 'data-path': path, 'data-prop': 'required' }), ' ',
      H.el('span', { i18n: ['admin.wrapup.required'] })])]),
    H.el('div', { class: 'wf-options' }, (fd.options || []).map((o, j) => optionNode(path + '.' + j, o, j + 1, 1))),
    button('add-option', path, 'admin.wrapup.add_answer'),
    button('remove', path, 'admin.wrapup.remove_question', { n: i + 1 }),
  ]);
}

function render() {
  $('wf-fields').replaceChildren(H.el('p', { id: 'wf-code-hint', class: 'hint', i18n: ['admin.wrapup.code_hint'] }), ...draft.map(fieldNode));
}

// slug is a code made from an English label: "Fear of acting" → "fear_of_acting".
function slug(text) {
  return (text || '').normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
}

function onInput(e) {
  const t = e.target;
  if (!t.dataset || !t.dataset.path || !t.dataset.prop) return;
  const { item } = itemAt(t.dataset.path);
  const prop = t.dataset.prop;
  if (prop === 'required') item.required = t.checked;
  else if (prop === 'id') { item.id = t.value.trim(); item.codeTyped = true; }
  else {
    item.label = Object.assign({}, item.label, { [prop]: t.value });
    // A new item's code follows its English label until the admin types one.
    if (prop === 'en' && item.isNew && !item.codeTyped) {
      item.id = slug(t.value);
      const code = $(idOf(t.dataset.path, 'id'));
      if (code) code.value = item.id;
    }
  }
}

function newItem() { return { id: '', label: { es: '', en: '' }, isNew: true }; }

function addField(yesno) {
  const fd = Object.assign(newItem(), { required: true, options: [newItem(), newItem()] });
  if (yesno) {
    fd.options = [['yes', 'Sí', 'Yes'], ['no', 'No', 'No'], ['not_discussed', 'No se habló de ello', 'Not discussed']]
      .map(([id, es, en]) => ({ id, label: { es, en }, isNew: true, codeTyped: true }));
  }
  draft.push(fd);
  render();
  $(idOf(String(draft.length - 1), 'es')).focus();
}

function onClick(e) {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  const path = b.dataset.path;
  const { item, siblings, index } = itemAt(path);
  let focus = null;
  if (b.dataset.action === 'add-option') {
    item.options.push(newItem());
    focus = idOf(path + '.' + (item.options.length - 1), 'es');
  } else if (b.dataset.action === 'add-child') {
    item.children = item.children || [];
    // A first second level needs two answers, as every choice does.
    const add = item.children.length ? 1 : 2;
    for (let k = 0; k < add; k++) item.children.push(newItem());
    focus = idOf(path + '.' + (item.children.length - add), 'es');
  } else if (b.dataset.action === 'remove') {
    siblings.splice(index, 1);
    const parent = path.split('.').slice(0, -1).join('.');
    focus = parent ? null : 'wf-add-choice';
    render();
    const next = parent && document.querySelector(`#wf-fields button[data-action="${parent.includes('.') ? 'add-child' : 'add-option'}"][data-path="${parent}"]`);
    (next || $(focus) || $('wf-heading')).focus();
    ctx.flash('admin.wrapup.removed');
    return;
  }
  render();
  if (focus && $(focus)) $(focus).focus();
}

// ------------------------------------------------------------------ checking and saving

// problem is the first thing the server would refuse, said in the page's language, with the
// input to fix.
function problem() {
  if (!draft.length) return { key: 'admin.wrapup.err_no_questions', focus: 'wf-add-choice' };
  const check = (items, path, level, where) => {
    const seen = new Set();
    if (items.length < 2) return { key: 'admin.wrapup.err_two_answers', args: { where }, focus: null, path };
    for (let i = 0; i < items.length; i++) {
      const p = path ? path + '.' + i : String(i);
      const found = checkItem(items[i], p, seen, level, where);
      if (found) return found;
    }
    return null;
  };
  for (let i = 0; i < draft.length; i++) {
    const fd = draft[i];
    const where = H.t('admin.wrapup.question_n', { n: i + 1, code: fd.id || '…' });
    const bad = checkItem(fd, String(i), new Set(draft.slice(0, i).map((x) => x.id)), 0, where);
    if (bad) return bad;
    for (const l of LANGS) {
      const w = IDENTIFYING.exec((fd.label || {})[l] || '');
      if (w) return { key: 'admin.wrapup.err_identifying', args: { where, word: w[0] }, focus: idOf(String(i), l) };
    }
    const bad2 = check(fd.options || [], String(i), 1, where);
    if (bad2) return bad2.focus === null ? Object.assign(bad2, { focus: null, button: ['add-option', String(i)] }) : bad2;
    for (let j = 0; j < (fd.options || []).length; j++) {
      const kids = fd.options[j].children || [];
      if (kids.length) {
        const bad3 = check(kids, i + '.' + j, 2, where);
        if (bad3) return bad3.focus === null ? Object.assign(bad3, { button: ['add-child', i + '.' + j] }) : bad3;
      }
    }
  }
  return null;
}

function checkItem(item, path, seen, level, where) {
  if (!CODE.test(item.id || '') || (level === 0 && item.id.startsWith('_'))) {
    return { key: 'admin.wrapup.err_code', args: { where, code: item.id || '' }, focus: idOf(path, 'id') };
  }
  if (seen.has(item.id)) return { key: 'admin.wrapup.err_code_twice', args: { where, code: item.id }, focus: idOf(path, 'id') };
  seen.add(item.id);
  for (const l of LANGS) {
    if (!((item.label || {})[l] || '').trim()) return { key: 'admin.wrapup.err_label', args: { where, code: item.id, language: H.languageName(l) }, focus: idOf(path, l) };
  }
  return null;
}

// clean is the draft as the server takes it: codes and labels only.
function clean(items) {
  return items.map((x) => {
    const out = { id: x.id, label: { es: x.label.es.trim(), en: x.label.en.trim() } };
    if ('required' in x || x.options) out.required = !!x.required;
    if (x.options) out.options = clean(x.options);
    if (x.children && x.children.length) out.children = clean(x.children);
    return out;
  });
}

async function save(e) {
  e.preventDefault();
  const error = $('wf-error');
  error.hidden = true;
  const bad = problem();
  if (bad) {
    H.setText(error, bad.key, bad.args);
    error.hidden = false;
    const target = bad.focus ? $(bad.focus) : bad.button && document.querySelector(`#wf-fields button[data-action="${bad.button[0]}"][data-path="${bad.button[1]}"]`);
    if (target) target.focus();
    return;
  }
  try {
    const res = await ctx.api('POST', '/api/admin/wrapup/forms', { based_on: current.version, fields: clean(draft) });
    ctx.flash(res.created ? 'admin.wrapup.saved' : 'admin.wrapup.unchanged', { version: res.form.version });
    await load();
    $('wf-current').focus();
  } catch (err) {
    if (err.code === 'unauthorized') { ctx.signedOut(); return; }
    showRefusal(error, err);
  }
}
