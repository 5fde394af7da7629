/* supervisor.js — the supervisor page: sign in (the console's session, if there is one in this
 * tab), one socket for what the server pushes, and the panels in supervisor/, each its own
 * module. Only supervisors and admins may use it; the API refuses everyone else. */
import H from './common.js';
import { onEscalation, startEscalations, stopEscalations, wireEscalations } from './supervisor/escalations.js';

const $ = (id) => document.getElementById(id);
const S = { session: null, client: null };

const CONNECTION_KEYS = {
  connecting: 'common.connection_connecting', connected: 'common.connection_connected',
  reconnecting: 'common.connection_reconnecting', stopped: 'common.connection_offline',
};

function showLogin(noticeKey) {
  $('workspace').hidden = true;
  $('login').hidden = false;
  const notice = $('login-notice');
  if (noticeKey) H.setText(notice, noticeKey); else H.clearText(notice);
  notice.hidden = !noticeKey;
  $('username').focus();
}

async function login(e) {
  e.preventDefault();
  const error = $('login-error');
  error.hidden = true;
  $('login-submit').disabled = true;
  try {
    const res = await H.api('POST', '/api/staff/login', { username: $('username').value, password: $('password').value, code: $('code').value.trim() });
    $('password').value = '';
    $('code').value = '';
    const sess = { token: res.token, staff: res.staff || {} };
    H.store.set('session', 'staff', sess);
    start(sess);
  } catch (err) {
    H.setText(error, ['rate_limited', 'network', 'unavailable'].includes(err.code) ? H.errorKey(err.code) : 'console.login_failed');
    error.hidden = false;
  } finally {
    $('login-submit').disabled = false;
  }
}

function stop(noticeKey) {
  if (S.client) S.client.stop();
  S.client = null;
  S.session = null;
  stopEscalations();
  H.store.remove('session', 'staff');
  showLogin(noticeKey);
}

async function logout() {
  const token = S.session && S.session.token;
  if (S.client) S.client.stop();
  if (token) { try { await H.api('POST', '/api/staff/logout', undefined, token); } catch (e) { /* signed out here anyway */ } }
  stop(null);
}

function start(sess) {
  const role = sess.staff && sess.staff.role;
  if (role !== 'supervisor' && role !== 'admin') { stop('supervisor.not_allowed'); return; }
  S.session = sess;
  $('staff-name').textContent = sess.staff.display_name || '';
  $('login').hidden = true;
  $('workspace').hidden = false;
  S.client = new H.ChatClient({
    self: 'counselor',
    selfName: sess.staff.display_name,
    token: () => S.session.token,
    reconnectOnNormalClose: () => true,
    admit: () => false, // this page follows no conversation
    on: {
      ready: () => startEscalations(() => S.session && S.session.token),
      escalation: onEscalation,
      // Supervisors on shift may be offered conversations; they take them on the console.
      offer: () => H.setText($('supervisor-status'), 'supervisor.offer_notice'),
      connection: (s) => { $('connection').dataset.state = s; H.setText($('connection'), CONNECTION_KEYS[s] || CONNECTION_KEYS.stopped); },
      fatal: () => stop('console.session_ended'),
    },
  });
  S.client.start();
  $('workspace-heading').focus();
}

H.init().then(() => {
  $('login').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  wireEscalations();
  const sess = H.store.get('session', 'staff');
  if (sess && typeof sess.token === 'string') start(sess); else showLogin(null);
});
