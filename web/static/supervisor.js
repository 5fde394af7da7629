/* supervisor.js — the supervisor page: sign in (the console's account), then one observing
 * socket that brings the `supervisor_summary` frame (pushed at most every 2 s, only when
 * something changed), the team and live conversations fetched a page at a time over HTTP,
 * and the chart. Each panel is its own module in supervisor/. */
import H from './common.js';
import { $, P, learnClock, tickAges, call, say } from './supervisor/util.js';
import { renderQueue, renderPaused, wireQueue } from './supervisor/queue.js';
import { loadTeam, teamChanged, resetTeam } from './supervisor/team.js';
import { loadLive, liveChanged, resetLive } from './supervisor/live.js';
import { loadChart, stopChart, drawChart } from './supervisor/chart.js';
import { onEscalation, startEscalations, stopEscalations, wireEscalations } from './supervisor/escalations.js';
import { wireFlood } from './supervisor/flood.js'; // feature: flood

const CONNECTION_KEYS = {
  connecting: 'common.connection_connecting', connected: 'common.connection_connected',
  reconnecting: 'common.connection_reconnecting', stopped: 'common.connection_offline',
};
const OVERSEERS = ['supervisor', 'admin'];

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
  }
}

function end(noticeKey) {
  if (P.client) P.client.stop();
  P.client = null;
  P.session = null;
  P.summary = null;
  resetTeam();
  resetLive();
  stopChart();
  stopEscalations();
  showLogin(noticeKey);
}

async function logout() {
  const token = P.session && P.session.token;
  if (P.client) P.client.stop();
  if (token) { try { await H.api('POST', '/api/staff/logout', undefined, token); } catch (e) { /* signed out here anyway */ } }
  H.store.remove('session', 'staff');
  end(null);
}

function onSummary(sum) {
  P.summary = sum;
  renderQueue(sum);
  teamChanged(sum);
  liveChanged(sum);
}

async function loadSummary() {
  try {
    const sum = await call('GET', '/api/supervisor/summary');
    learnClock(sum.now);
    onSummary(sum);
  } catch (err) {
    if (err.code === 'unauthorized') { H.store.remove('session', 'staff'); end('console.session_ended'); return; }
    say(H.errorKey(err.code));
  }
}

function start(sess) {
  const role = sess.staff && sess.staff.role;
  if (!OVERSEERS.includes(role)) { end('supervisor.not_for_role'); return; }
  P.session = sess;
  $('staff-name').textContent = sess.staff.display_name || '';
  H.setText($('staff-role'), 'console.role_' + role);
  P.client = new H.ChatClient({
    self: 'counselor',
    observe: true, // pushed frames only: this page is not on shift and gets no queue or team frames
    token: () => P.session.token,
    reconnectOnNormalClose: () => true,
    admit: () => false,
    on: {
      ready: () => { loadSummary(); startEscalations(() => P.session && P.session.token); }, // after a reconnect too: what changed while away
      supervisor_summary: onSummary,
      escalation: onEscalation,
      switchboard: (f) => { renderPaused(Array.isArray(f.paused) ? f.paused : []); },
      connection: (s) => { const n = $('connection'); n.dataset.state = s; H.setText(n, CONNECTION_KEYS[s] || CONNECTION_KEYS.stopped); },
      fatal: () => { H.store.remove('session', 'staff'); end('console.session_ended'); },
    },
  });
  $('login').hidden = true;
  $('workspace').hidden = false;
  P.client.start();
  loadTeam();
  loadLive();
  loadChart();
  $('workspace-heading').focus();
}

H.init().then(() => {
  $('login').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  wireQueue();
  wireEscalations();
  wireFlood();
  H.onLanguage(() => { tickAges(); drawChart(); if (P.session) { loadTeam(); loadLive(); } });
  setInterval(tickAges, 1000);
  const sess = H.store.get('session', 'staff');
  if (sess && typeof sess.token === 'string') start(sess); else showLogin(null);
});
