/* riskflags.js — risk flags: what a help-seeker wrote that matched a phrase list (chat/riskflag).
 * A `risk_flag` frame says a message was flagged (ids and codes only); the words come over HTTP,
 * a read the server audits. Flags are loaded again whenever a conversation is synced (so after
 * every reconnect), and the queue marks a seeker moved ahead for risk. A flag is a prompt for the
 * counsellor, never a decision. */
import H from '../common.js';
import { S } from './state.js';
import { $, setPlain, flash } from './util.js';

const flags = new Map(); // conversation id → [flag] as the server listed them
const loading = new Map(); // conversation id → a load in flight, and whether another is wanted

function categoryKey(category) {
  return 'riskflag.category.' + (/^[a-z0-9_]+$/.test(category) ? category : 'other');
}

// The label of a category, falling back to its id for a list's own category.
function setCategory(node, category) {
  const key = categoryKey(category);
  if (H.t(key) === key) setPlain(node, category); else H.setText(node, key);
}

async function load(id) {
  const state = loading.get(id);
  if (state) { state.again = true; return; }
  loading.set(id, { again: false });
  try {
    const token = S.session && S.session.token;
    if (!token) return;
    const res = await H.api('GET', '/api/staff/conversations/' + encodeURIComponent(id) + '/risk-flags', undefined, token);
    flags.set(id, Array.isArray(res.flags) ? res.flags.filter((f) => f && typeof f.id === 'string') : []);
    renderRiskFlags();
  } catch (e) {
    if (e.code !== 'not_found') flash('riskflag.load_failed');
  } finally {
    const again = loading.get(id).again;
    loading.delete(id);
    if (again) load(id);
  }
}

// A flag frame for a conversation we follow: load its flags (with the words).
export function onRiskFlag(f) {
  if (!f || typeof f.conversation_id !== 'string' || !S.client || !S.client.convs.get(f.conversation_id)) return;
  if (f.imminent) flash('riskflag.new_imminent'); else flash('riskflag.new');
  load(f.conversation_id);
}

// Every sync (a conversation opened, or the connection back): what was flagged meanwhile.
export function riskFlagsSynced(st) {
  if (st && st.id) load(st.id);
}

export function forgetRiskFlags(id) { flags.delete(id); }

export function renderRiskFlags() {
  const list = (S.openId && flags.get(S.openId)) || [];
  $('c-riskflags-list').replaceChildren(...list.map((f) => {
    const category = H.el('span', { class: 'riskflag-category' });
    setCategory(category, String(f.category || ''));
    const words = (Array.isArray(f.words) ? f.words : []).map((w) => '“' + String(w) + '”').join(', ');
    return H.el('li', { class: f.imminent ? 'riskflag imminent' : 'riskflag' }, [
      category,
      f.imminent ? H.el('span', { class: 'riskflag-imminent', i18n: ['riskflag.imminent'] }) : null,
      H.el('span', { class: 'riskflag-words', text: words }),
      H.el('span', { class: 'riskflag-source', i18n: ['riskflag.source', { list: String(f.list || ''), version: String(f.version || ''), seq: Number(f.seq) || 0 }] }),
    ]);
  }));
  $('c-riskflags').hidden = list.length === 0;
}

// The queue entry of a seeker moved ahead for risk says so ("risk: …").
export function riskMarker(li, q) {
  let node = li.querySelector('.q-risk');
  const reason = typeof q.priority_reason === 'string' ? q.priority_reason : '';
  if (!reason.startsWith('risk:')) { if (node) node.remove(); return; }
  if (!node) {
    node = H.el('span', { class: 'q-risk' }, [H.el('span', { class: 'q-risk-label', i18n: ['riskflag.queue_marker'] }), H.el('span', { class: 'q-risk-category' })]);
    li.querySelector('.q-info').prepend(node);
  }
  setCategory(node.querySelector('.q-risk-category'), reason.slice(5));
}
