/* casenotes.js — private case notes of the open conversation: seen by whoever may read the
 * conversation (its counsellor, supervisors, admins), never by the help-seeker. Every read and
 * write is audited by the server, which refuses both when it cannot record them. */
import H from '../common.js';
import { S, current } from './state.js';
import { $, nextId } from './util.js';

const notes = new Map(); // conversation id → [{author_name, body, created_at}]
let shownFor = null;

async function load(id) {
  try {
    const res = await H.api('GET', '/api/conversations/' + encodeURIComponent(id) + '/casenotes', undefined, S.session.token);
    notes.set(id, (res && Array.isArray(res.notes)) ? res.notes : []);
    $('casenotes-error').hidden = true;
  } catch (err) {
    notes.delete(id);
    showError(err);
  }
  if (current() && current().id === id) renderList();
}

function showError(err) {
  H.setText($('casenotes-error'), err.code === 'not_found' ? 'casenotes.gone' : H.errorKey(err.code));
  $('casenotes-error').hidden = false;
}

function renderList() {
  const st = current();
  const list = (st && notes.get(st.id)) || [];
  $('casenotes-list').replaceChildren(...list.map((n) => H.el('li', {}, [
    H.el('span', { class: 'note-meta', text: [n.author_name, H.fmtTime(n.created_at)].filter(Boolean).join(' · ') }),
    H.el('p', { class: 'note-body', text: String(n.body || '') }),
  ])));
  $('casenotes-empty').hidden = list.length > 0;
}

// renderCaseNotes shows the notes of the open conversation, fetching them once per opening.
export function renderCaseNotes() {
  const st = current();
  const show = !!st && st.conv.status !== 'deleted';
  $('casenotes').hidden = !show;
  if (!show) { shownFor = null; if (st) notes.delete(st.id); return; }
  if (shownFor !== st.id) {
    shownFor = st.id;
    $('casenotes-body').value = '';
    $('casenotes-error').hidden = true;
    load(st.id);
  }
  renderList();
}

async function save(e) {
  e.preventDefault();
  const st = current();
  const body = $('casenotes-body').value.trim();
  if (!st || !body) return;
  const button = $('casenotes-save');
  button.disabled = true;
  const clientId = nextId('note') + '-' + Date.now();
  try {
    await H.retrying(() => H.api('POST', '/api/conversations/' + encodeURIComponent(st.id) + '/casenotes', { client_id: clientId, body }, S.session.token),
      () => {}, () => !S.session);
    $('casenotes-body').value = '';
    await load(st.id);
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

export function wireCaseNotes() {
  $('casenotes-form').addEventListener('submit', save);
  H.onLanguage(renderList);
}
