/* admin.js — the admin page: sign in (an admin only), then one panel at a time: accounts,
 * the audit log, the transparency report (and the directory, web/static/admin/directory.js,
 * where present). Each panel is its own module in admin/ with mount(ctx) and show(). */
import H from './common.js';
import { wireSignIn, showSignIn, savedSession, forgetSession, signOut } from './lib/staff-session.js';
import * as accounts from './admin/accounts.js';
import * as audit from './admin/audit.js';
import * as reportPanel from './admin/report.js';
import * as comments from './admin/comments.js';
import { mountDirectory } from './admin/directory.js';
/* feature: admin-tools */
import * as sharedAnswers from './admin/answers.js';
import * as wrapupForm from './admin/wrapupform.js';
import * as phraseLists from './admin/phrases.js';
/* /feature: admin-tools */

const $ = (id) => document.getElementById(id);
// The referral directory (admin/directory.js) mounts with the staff token.
const directory = { mount: (c) => mountDirectory(c.token) };
const panels = { 'accounts-panel': accounts, 'audit-panel': audit, 'report-panel': reportPanel, 'directory-panel': directory,
  'answers-panel': sharedAnswers, 'wrapup-form-panel': wrapupForm, 'phrases-panel': phraseLists };
const alsoMounted = [comments]; // parts of a panel: mounted with the page, shown by their own form
// Each role sees the pages for its job: an admin every panel, a supervisor the shared
// prepared answers they manage (linked from /supervisor); anyone else none.
const ROLE_PANELS = { admin: null, supervisor: ['answers-panel'] };
let session = null;
let statusTimer = 0;

const ctx = {
  api: (method, path, body) => H.api(method, path, body, session && session.token),
  token: () => session && session.token,
  me: () => (session && session.staff) || {},
  flash(key, args) {
    H.setText($('admin-status'), key, args);
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => H.clearText($('admin-status')), 8000);
  },
  // A panel's request refused as unauthorized: the sign-in is over.
  signedOut() { end(); },
};

// register lets another module (the directory panel) join the tabs.
export function register(panelId, module) { panels[panelId] = module; }

function showLogin() {
  $('not-admin').hidden = true;
  showSignIn(null);
}

function end() {
  session = null;
  forgetSession();
  showLogin();
}

async function logout() {
  await signOut(session);
  end();
}

function start() {
  $('login').hidden = true;
  const role = ctx.me().role;
  if (!Object.prototype.hasOwnProperty.call(ROLE_PANELS, role)) {
    $('not-admin').hidden = false;
    return;
  }
  const allowed = ROLE_PANELS[role] || Object.keys(panels);
  for (const tab of document.querySelectorAll('.admin-tabs .tab')) tab.hidden = !allowed.includes(tab.dataset.panel);
  $('staff-name').textContent = ctx.me().display_name || ctx.me().username || '';
  $('workspace').hidden = false;
  for (const id of allowed) if (panels[id] && panels[id].mount) panels[id].mount(ctx);
  if (allowed.includes('report-panel')) for (const m of alsoMounted) m.mount(ctx);
  const asked = location.hash.slice(1);
  open(allowed.includes(asked) ? asked : allowed[0]);
}

function open(panelId) {
  for (const tab of document.querySelectorAll('.admin-tabs .tab')) {
    const on = tab.dataset.panel === panelId;
    tab.setAttribute('aria-pressed', on ? 'true' : 'false');
    const panel = $(tab.dataset.panel);
    if (panel) panel.hidden = !on;
  }
  const m = panels[panelId];
  if (m && m.show) m.show();
}

H.init().then(() => {
  wireSignIn({ signedIn: (sess) => { session = sess; start(); } });
  $('logout').addEventListener('click', logout);
  document.querySelector('.admin-tabs').addEventListener('click', (e) => {
    const tab = e.target.closest('.tab');
    if (tab) open(tab.dataset.panel);
  });
  session = savedSession();
  if (session) start(); else showLogin();
});
