/* transfer.js — handing the open conversation on, to a colleague or back to the queue.
 * Who may take it is the server's answer to `transfer_targets` (the rule transfers are
 * checked with); the console asks again whenever the team changes under the open form. */
import H from '../common.js';
import { S, ui, peek, current, isTransferring, TRANSFER_WAIT } from './state.js';
import { $, flash } from './util.js';

let kindTouched = false; // the counsellor chose colleague or queue themselves since opening
let refreshQueued = false;

function transferKind() {
  const checked = document.querySelector('input[name="c-transfer-kind"]:checked');
  return checked ? checked.value : 'queue';
}

function setTransferKind(kind) {
  $('c-transfer-kind-colleague').checked = kind === 'colleague';
  $('c-transfer-kind-queue').checked = kind !== 'colleague';
}

function isOpen() { return !$('c-transfer-form').hidden; }

function targetsOf(id) { return peek(id).targets || []; }

function requestTargets(id) {
  if (S.client) S.client.control({ type: 'transfer_targets', conversation_id: id });
}

export function openTransferForm() {
  const st = current();
  if (!st || st.conv.status !== 'active' || peek(st.id).watched) return;
  $('c-end-confirm').hidden = true;
  $('c-transfer-note').value = '';
  transferProblem('');
  kindTouched = false;
  setTransferKind(targetsOf(st.id).length ? 'colleague' : 'queue');
  $('c-transfer-skill').value = ['young', 'self', 'other'].includes(st.conv.audience) ? st.conv.audience : 'any';
  $('c-transfer-form').hidden = false;
  $('c-transfer').setAttribute('aria-expanded', 'true');
  requestTargets(st.id);
  renderTransferForm();
  $('c-transfer-heading').focus();
}

export function closeTransferForm(refocus) {
  const form = $('c-transfer-form');
  if (form.hidden) return;
  form.hidden = true;
  $('c-transfer').setAttribute('aria-expanded', 'false');
  transferProblem('');
  if (refocus && !$('c-transfer').closest('[hidden]')) $('c-transfer').focus();
}

// The team changed (or our own status did): who may take the open conversation may too.
// Several changes in one turn ask once.
export function teamChangedUnderTransfer() {
  if (refreshQueued) return;
  refreshQueued = true;
  setTimeout(() => {
    refreshQueued = false;
    const st = current();
    if (st && isOpen()) requestTargets(st.id);
  }, 0);
}

// The server's list of colleagues who may take a conversation now.
export function onTransferTargets(f) {
  if (typeof f.conversation_id !== 'string' || !S.client || !S.client.convs.has(f.conversation_id)) return;
  const targets = Array.isArray(f.targets) ? f.targets.filter((m) => m && typeof m.id === 'string') : [];
  ui(f.conversation_id).targets = targets;
  if (f.conversation_id !== S.openId || !isOpen()) return;
  if (!kindTouched && targets.length) setTransferKind('colleague');
  renderTransferForm();
}

// Keeps the colleague list current while the form is open.
export function renderTransferForm() {
  const st = current();
  if (!isOpen() || !st) return;
  const list = targetsOf(st.id);
  H.syncList($('c-transfer-to'), list, (m) => m.id,
    (m) => H.el('option', { value: m.id }),
    (o, m) => H.setText(o, 'console.transfer_colleague_option', { name: String(m.display_name || ''), active: m.active || 0, capacity: m.capacity || 0 }));
  const nobody = list.length === 0;
  $('c-transfer-kind-colleague').disabled = nobody;
  if (nobody && transferKind() === 'colleague') setTransferKind('queue');
  $('c-transfer-nobody').hidden = !nobody;
  const kind = transferKind();
  $('c-transfer-to-field').hidden = kind !== 'colleague';
  $('c-transfer-skill-field').hidden = kind !== 'queue';
  $('c-transfer-submit').disabled = isTransferring(st.id);
}

// Said in the console's status line (announced) and shown by the form (not announced twice).
function transferProblem(key) {
  const node = $('c-transfer-error');
  if (!key) { H.clearText(node); node.hidden = true; return; }
  H.setText(node, key);
  node.hidden = !isOpen();
  flash(key);
}

// A transfer that was refused; true if f was about one.
export function onTransferError(f) {
  if (!f.ref || !isTransferring(f.ref)) return false;
  ui(f.ref).transferring = null;
  transferProblem(f.code === 'conflict' ? 'console.transfer_conflict' : f.code === 'invalid' ? 'console.transfer_failed' : H.errorKey(f.code));
  renderTransferForm();
  return true;
}

function submitTransfer(e) {
  e.preventDefault();
  const st = current();
  if (!st || st.conv.status !== 'active' || isTransferring(st.id)) return;
  const frame = { type: 'transfer', conversation_id: st.id };
  let name = '';
  if (transferKind() === 'colleague') {
    const to = $('c-transfer-to').value;
    const target = targetsOf(st.id).find((m) => m.id === to);
    if (!to || !target) { transferProblem('console.transfer_choose'); $('c-transfer-to').focus(); return; }
    frame.to = to;
    name = String(target.display_name || '');
  } else {
    frame.skill = $('c-transfer-skill').value || 'any';
  }
  const note = $('c-transfer-note').value.trim();
  if (note) frame.note = Array.from(note).slice(0, 2000).join('');
  if (!S.client || !S.client.control(frame)) { transferProblem('console.not_connected'); return; }
  transferProblem('');
  S.typingOut.stop(st.id);
  ui(st.id).transferring = { at: Date.now(), name };
  flash('console.transfer_sending');
  renderTransferForm();
  setTimeout(renderTransferForm, TRANSFER_WAIT + 100); // no answer: let them try again
}

export function wireTransfer() {
  $('c-transfer').addEventListener('click', () => {
    if (isOpen()) closeTransferForm(true); else openTransferForm();
  });
  $('c-transfer-form').addEventListener('change', (e) => {
    if (e.target.name === 'c-transfer-kind') { kindTouched = true; renderTransferForm(); }
  });
  $('c-transfer-form').addEventListener('submit', submitTransfer);
  $('c-transfer-form').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); closeTransferForm(true); }
  });
  $('c-transfer-cancel').addEventListener('click', () => closeTransferForm(true));
}
