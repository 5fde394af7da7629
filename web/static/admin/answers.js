/* admin/answers.js — the shared prepared answers, for admins and supervisors: search as you
 * type, filter by language and scope (the whole service or one team), add, edit, retire (out of
 * the counsellors' search, kept) and reinstate. Counsellors keep their own in the console.
 * Endpoints: GET /api/admin/answers, PUT /api/answers/{id}, POST /api/admin/answers/{id}/retire
 * and /reinstate (chat/PROTOCOL.md "Admin pages"); every change is audited by the server. */
import H from '../common.js';

const $ = (id) => document.getElementById(id);
let ctx = null;
let list = [];
let editing = null; // the answer being edited, or {} for a new one
let searchTimer = 0;

export function mount(c) {
  if (ctx) return;
  ctx = c;
  $('answers-filter').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('af-q').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(load, 250); });
  for (const id of ['af-lang', 'af-scope', 'af-retired']) $(id).addEventListener('change', load);
  $('answers-new').addEventListener('click', () => openEdit(null));
  $('answer-form').addEventListener('submit', save);
  $('ae-cancel').addEventListener('click', closeEdit);
  $('answers-rows').addEventListener('click', onRow);
  H.onLanguage(() => { fillLanguages(); render(); });
  fillLanguages();
}

export function show() { load(); }

function languages() { return ((H.config && H.config.languages) || []).map((l) => l.code); }

// The language selects list the service's languages by their own names.
function fillLanguages() {
  const any = $('af-lang').value;
  $('af-lang').replaceChildren(H.el('option', { value: '', i18n: ['admin.answers.any'] }),
    ...languages().map((code) => H.el('option', { value: code, text: H.languageName(code) })));
  $('af-lang').value = any;
  const chosen = $('ae-lang').value;
  $('ae-lang').replaceChildren(...languages().map((code) => H.el('option', { value: code, text: H.languageName(code) })));
  if (chosen) $('ae-lang').value = chosen;
}

function scopeQuery() {
  const [scope, team] = $('af-scope').value.split(':');
  return (scope ? '&scope=' + encodeURIComponent(scope) : '') + (team ? '&team=' + encodeURIComponent(team) : '');
}

async function load() {
  try {
    const res = await ctx.api('GET', '/api/admin/answers?q=' + encodeURIComponent($('af-q').value.trim()) +
      '&lang=' + encodeURIComponent($('af-lang').value) + scopeQuery() + ($('af-retired').checked ? '&retired=true' : ''));
    list = Array.isArray(res.answers) ? res.answers : [];
    render();
  } catch (err) { failed(err); }
}

function failed(err, node) {
  if (err.code === 'unauthorized') { ctx.signedOut(); return; }
  if (node) {
    const said = err.detail && err.detail.message;
    H.setText(node, said ? 'admin.answers.refused' : H.errorKey(err.code), said ? { message: said } : undefined);
    node.hidden = false;
  } else ctx.flash(H.errorKey(err.code));
}

function scopeLabel(a) { return a.scope === 'team' ? H.t('admin.answers.scope_team', { team: H.t('audience.' + a.team) }) : H.t('admin.answers.scope_service'); }

function render() {
  H.setText($('af-count'), list.length === 1 ? 'admin.answers.count_one' : 'admin.answers.count_many', { n: list.length });
  $('answers-rows').replaceChildren(...list.map((a) => {
    const retired = !!a.retired_at;
    return H.el('tr', { dataset: { answerId: a.id }, class: retired ? 'retired' : '' }, [
      H.el('td', { class: 'answer-title', text: a.title }),
      H.el('td', { text: H.languageName(a.language) }),
      H.el('td', { text: scopeLabel(a) }),
      H.el('td', { text: (a.tags || []).join(', ') }),
      H.el('td', { i18n: [retired ? 'admin.answers.retired' : 'admin.answers.active'] }),
      H.el('td', {}, [
        H.el('button', { type: 'button', class: 'secondary edit', 'aria-label': H.t('admin.answers.edit_named', { title: a.title }), i18n: ['admin.edit'] }),
        H.el('button', { type: 'button', class: 'secondary ' + (retired ? 'reinstate' : 'retire'),
          'aria-label': H.t(retired ? 'admin.answers.reinstate_named' : 'admin.answers.retire_named', { title: a.title }),
          i18n: [retired ? 'admin.answers.reinstate' : 'admin.answers.retire'] }),
      ]),
    ]);
  }));
}

async function onRow(e) {
  const b = e.target.closest('button');
  const tr = b && b.closest('tr');
  const a = tr && list.find((x) => x.id === tr.dataset.answerId);
  if (!a) return;
  if (b.classList.contains('edit')) { openEdit(a); return; }
  const retire = b.classList.contains('retire');
  try {
    await ctx.api('POST', '/api/admin/answers/' + encodeURIComponent(a.id) + (retire ? '/retire' : '/reinstate'));
    ctx.flash(retire ? 'admin.answers.retired_done' : 'admin.answers.reinstated_done', { title: a.title });
    await load();
    const again = document.querySelector(`#answers-rows tr[data-answer-id="${CSS.escape(a.id)}"] button.${retire ? 'reinstate' : 'retire'}`);
    (again || $('af-q')).focus();
  } catch (err) { failed(err); }
}

function openEdit(a) {
  editing = a || {};
  H.setText($('answer-form-heading'), a ? 'admin.answers.edit_heading' : 'admin.answers.add_heading', a ? { title: a.title } : undefined);
  $('ae-lang').value = a ? a.language : (languages().includes(H.lang) ? H.lang : languages()[0] || 'es');
  $('ae-scope').value = a && a.scope === 'team' ? 'team:' + a.team : 'service';
  $('ae-title').value = a ? a.title : '';
  $('ae-body').value = a ? a.body : '';
  $('ae-tags').value = a ? (a.tags || []).join(', ') : '';
  $('ae-error').hidden = true;
  $('answer-form').hidden = false;
  $('ae-title').focus();
}

function closeEdit() {
  $('answer-form').hidden = true;
  editing = null;
  $('answers-new').focus();
}

// A new shared answer gets an id of its own, chosen here so that a retry saves it once.
function newID() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return 'shared-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function save(e) {
  e.preventDefault();
  if (!editing) return;
  const error = $('ae-error');
  error.hidden = true;
  const title = $('ae-title').value.trim();
  const body = $('ae-body').value.trim();
  if (!title || !body) {
    H.setText(error, title ? 'admin.answers.need_body' : 'admin.answers.need_title');
    error.hidden = false;
    (title ? $('ae-body') : $('ae-title')).focus();
    return;
  }
  if (!editing.id) editing.id = newID();
  const [scope, team] = $('ae-scope').value.split(':');
  const tags = $('ae-tags').value.split(',').map((x) => x.trim()).filter(Boolean);
  try {
    await ctx.api('PUT', '/api/answers/' + encodeURIComponent(editing.id), { language: $('ae-lang').value, scope, team: team || '', title, body, tags });
    ctx.flash('admin.answers.saved', { title });
    $('answer-form').hidden = true;
    editing = null;
    await load();
    $('answers-new').focus();
  } catch (err) { failed(err, error); }
}
