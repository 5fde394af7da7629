/* admin/audit.js — the audit log, filtered by actor, action, target and dates, a page at a time. */
import H from '../common.js';
import { accounts } from './accounts.js';
import { latestOnly } from '../lib/latest.js';

const $ = (id) => document.getElementById(id);
const PAGE = 50;
let ctx = null;
let pages = []; // the "before" of each page shown so far; the last is the current
let next = null;

export function mount(c) {
  if (ctx) return;
  ctx = c;
  $('audit-filter').addEventListener('submit', (e) => { e.preventDefault(); pages = [0]; load(); });
  $('audit-older').addEventListener('click', () => { if (next) { pages.push(next); load(); } });
  $('audit-newer').addEventListener('click', () => { if (pages.length > 1) { pages.pop(); load(); } });
}

export function show() {
  const sel = $('audit-actor');
  const chosen = sel.value;
  sel.replaceChildren(sel.options[0], ...accounts().map((a) => H.el('option', { value: a.id, text: a.username })));
  sel.value = chosen;
  if (!pages.length) { pages = [0]; load(); }
}

function query() {
  const q = new URLSearchParams({ limit: String(PAGE) });
  for (const [param, id] of [['actor', 'audit-actor'], ['action', 'audit-action'], ['target', 'audit-target'], ['from', 'audit-from'], ['to', 'audit-to']]) {
    const v = $(id).value.trim();
    if (v) q.set(param, v);
  }
  const before = pages[pages.length - 1];
  if (before) q.set('before', String(before));
  return q.toString();
}

function actorName(id) {
  if (!id) return H.t('admin.system');
  const a = accounts().find((x) => x.id === String(id));
  return a ? a.username : '#' + id;
}

// An answer that comes after a newer load was asked for (the panel opening, then the
// filter at once) is dropped.
const loads = latestOnly();

async function load() {
  const isLatest = loads.begin();
  try {
    const res = await ctx.api('GET', '/api/admin/audit?' + query());
    if (!isLatest()) return; // a newer load was asked for meanwhile: its answer wins
    const entries = Array.isArray(res.entries) ? res.entries : [];
    next = res.next_before || null;
    $('audit-entries').replaceChildren(...entries.map((e) => H.el('tr', {}, [
      H.el('td', { text: H.fmtWhen(e.at) }), H.el('td', { text: actorName(e.actor_id) }),
      H.el('td', { text: e.action }), H.el('td', { text: e.target }), H.el('td', { text: e.detail }),
    ])));
    $('audit-empty').hidden = entries.length > 0;
    $('audit-older').hidden = !next;
    $('audit-newer').hidden = pages.length <= 1;
  } catch (err) {
    if (err.code === 'unauthorized') ctx.signedOut(); else ctx.flash(H.errorKey(err.code));
  }
}
