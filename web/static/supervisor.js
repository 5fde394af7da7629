/* supervisor.js — the supervisor page: sign in (the console's account), then one observing
 * socket that brings the `supervisor_summary` frame (pushed at most every 2 s, only when
 * something changed), the team and live conversations fetched a page at a time over HTTP,
 * and the chart. Each panel is its own module in supervisor/. */
import H from './common.js';
import { wireSignIn, showSignIn, savedSession, forgetSession, signOut } from './lib/staff-session.js';
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

function end(noticeKey) {
  if (P.client) P.client.stop();
  P.client = null;
  P.session = null;
  P.summary = null;
  resetTeam();
  resetLive();
  stopChart();
  stopEscalations();
  showSignIn(noticeKey);
}

async function logout() {
  await signOut(P.session, P.client);
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
    if (err.code === 'unauthorized') { forgetSession(); end('console.session_ended'); return; }
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
      fatal: () => { forgetSession(); end('console.session_ended'); },
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
  wireSignIn({ signedIn: start });
  $('logout').addEventListener('click', logout);
  wireQueue();
  wireEscalations();
  wireFlood();
  H.onLanguage(() => { tickAges(); drawChart(); if (P.session) { loadTeam(); loadLive(); } });
  setInterval(tickAges, 1000);
  const sess = savedSession();
  if (sess) start(sess); else showSignIn(null);
});
