/* admin.js — the administrator's pages: sign in, then each panel (admin/*.js) mounts itself
 * with the staff token. */
import H from './common.js';
import { mountDirectory } from './admin/directory.js';

const $ = (id) => document.getElementById(id);

function start(sess) {
  $('admin-login').hidden = true;
  $('admin-panels').hidden = false;
  mountDirectory(() => sess.token);
}

async function login(e) {
  e.preventDefault();
  $('admin-login-error').hidden = true;
  try {
    const res = await H.api('POST', '/api/staff/login', { username: $('admin-username').value, password: $('admin-password').value, code: $('admin-code').value.trim() });
    $('admin-password').value = '';
    const sess = { token: res.token, staff: res.staff || {} };
    H.store.set('session', 'staff', sess);
    start(sess);
  } catch (err) {
    H.setText($('admin-login-error'), ['rate_limited', 'network'].includes(err.code) ? H.errorKey(err.code) : 'console.login_failed');
    $('admin-login-error').hidden = false;
  }
}

H.init().then(() => {
  $('admin-login').addEventListener('submit', login);
  const sess = H.store.get('session', 'staff');
  if (sess && typeof sess.token === 'string') start(sess); else $('admin-login').hidden = false;
});
