/* admin/accounts.js — staff accounts: list, create, edit (name, role, languages, audiences,
 * capacity and its maximum), disable and enable, reset the password, enrol a second factor. */
import H from '../common.js';

const $ = (id) => document.getElementById(id);
let ctx = null;
let list = [];
let editing = null;

export function mount(c) {
  if (ctx) return;
  ctx = c;
  $('account-add').addEventListener('submit', add);
  $('account-edit').addEventListener('submit', save);
  $('edit-cancel').addEventListener('click', closeEdit);
  $('edit-toggle').addEventListener('click', toggleDisabled);
  $('edit-reset').addEventListener('click', resetPassword);
  $('edit-totp').addEventListener('click', enrol);
  $('accounts').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-id]');
    if (b) openEdit(b.dataset.id);
  });
  H.onLanguage(render);
}

export async function show() { await load(); }

// accounts is the last list loaded, for other panels (the audit log's actor filter).
export function accounts() { return list; }

async function load() {
  try {
    const res = await ctx.api('GET', '/api/admin/accounts');
    list = Array.isArray(res.accounts) ? res.accounts : [];
    render();
  } catch (err) { failed(err); }
}

function failed(err, node) {
  if (err.code === 'unauthorized') { ctx.signedOut(); return; }
  if (node) { H.setText(node, H.errorKey(err.code)); node.hidden = false; } else ctx.flash(H.errorKey(err.code));
}

function render() {
  $('accounts').replaceChildren(...list.map((a) => H.el('tr', { 'data-account': a.username }, [
    H.el('td', { text: a.username }),
    H.el('td', { text: a.display_name }),
    H.el('td', { text: H.t('console.role_' + a.role) }),
    H.el('td', { text: (a.languages || []).join(', ') }),
    H.el('td', { text: (a.audiences || []).map((x) => H.t('audience.' + x)).join(', ') }),
    H.el('td', { text: a.capacity + ' / ' + a.max_capacity }),
    H.el('td', { text: H.t(a.disabled ? 'admin.disabled' : 'admin.enabled') }),
    H.el('td', {}, [H.el('button', { type: 'button', class: 'secondary', 'data-id': a.id, text: H.t('admin.edit') })]),
  ])));
}

function splitList(s) { return s.split(',').map((x) => x.trim()).filter(Boolean); }

async function add(e) {
  e.preventDefault();
  const error = $('add-error');
  error.hidden = true;
  try {
    await ctx.api('POST', '/api/admin/accounts', {
      username: $('add-username').value.trim(), display_name: $('add-name').value.trim(), role: $('add-role').value,
      password: $('add-password').value, languages: splitList($('add-languages').value), audiences: [],
    });
    $('account-add').reset();
    ctx.flash('admin.added');
    await load();
  } catch (err) { failed(err, error); }
}

function openEdit(id) {
  editing = list.find((a) => a.id === id);
  if (!editing) return;
  const form = $('account-edit');
  H.setText($('account-edit-heading'), 'admin.edit_heading', { username: editing.username });
  $('edit-name').value = editing.display_name;
  $('edit-role').value = editing.role;
  $('edit-languages').value = (editing.languages || []).join(', ');
  for (const box of $('edit-audiences').querySelectorAll('input')) box.checked = (editing.audiences || []).includes(box.value);
  $('edit-max').value = editing.max_capacity;
  $('edit-capacity').value = editing.capacity;
  $('edit-password').value = '';
  H.setText($('edit-toggle'), editing.disabled ? 'admin.enable' : 'admin.disable');
  $('edit-totp-url').hidden = true;
  $('edit-error').hidden = true;
  form.hidden = false;
  $('edit-name').focus();
}

function closeEdit() {
  $('account-edit').hidden = true;
  editing = null;
}

async function save(e) {
  e.preventDefault();
  if (!editing) return;
  try {
    await ctx.api('PATCH', '/api/admin/accounts/' + editing.id, {
      display_name: $('edit-name').value.trim(), role: $('edit-role').value,
      languages: splitList($('edit-languages').value),
      audiences: [...$('edit-audiences').querySelectorAll('input:checked')].map((b) => b.value),
      max_capacity: Number($('edit-max').value), capacity: Number($('edit-capacity').value),
    });
    closeEdit();
    await load();
    ctx.flash('admin.saved');
  } catch (err) { failed(err, $('edit-error')); }
}

async function toggleDisabled() {
  if (!editing) return;
  try {
    await ctx.api('POST', '/api/admin/accounts/' + editing.id + (editing.disabled ? '/enable' : '/disable'));
    ctx.flash(editing.disabled ? 'admin.enabled_done' : 'admin.disabled_done');
    closeEdit();
    await load();
  } catch (err) { failed(err, $('edit-error')); }
}

async function resetPassword() {
  if (!editing) return;
  try {
    await ctx.api('POST', '/api/admin/accounts/' + editing.id + '/password', { password: $('edit-password').value });
    $('edit-password').value = '';
    ctx.flash('admin.password_done');
  } catch (err) { failed(err, $('edit-error')); }
}

async function enrol() {
  if (!editing) return;
  try {
    const res = await ctx.api('POST', '/api/admin/accounts/' + editing.id + '/second-factor');
    const node = $('edit-totp-url');
    H.setText(node, 'admin.totp_url', { url: String(res.otpauth_url || '') });
    node.hidden = false;
  } catch (err) { failed(err, $('edit-error')); }
}
