/* staff-session.js — signing staff in and out, the same on the console, the supervisor page and
 * the admin page: the sign-in form (name, password, and the code from an authenticator app for
 * accounts that have one), the session the tab keeps (the three pages share it), and signing
 * out. What a page shows once signed in, and clears once signed out, stays with the page. */
import { api, retrying, errorKey } from './api.js';
import { store } from './store.js';
import { setText, clearText } from './i18n.js';
import { latestOnly } from './latest.js';

const $ = (id) => document.getElementById(id);

// A failed sign-in says one generic thing for a wrong name, password or code; it says more
// only when the failure is not about them.
const SAID_AS_IS = ['rate_limited', 'network', 'unavailable'];

// savedSession is the session kept by an earlier sign-in in this tab, or null.
export function savedSession() {
  const sess = store.get('session', 'staff');
  return sess && typeof sess.token === 'string' ? sess : null;
}

export function keepSession(sess) { store.set('session', 'staff', sess); }

export function forgetSession() { store.remove('session', 'staff'); }

// showSignIn hides the workspace and shows the form, with a notice (why the last session ended)
// on a page that has a place for one.
export function showSignIn(noticeKey) {
  $('workspace').hidden = true;
  $('login').hidden = false;
  const notice = $('login-notice');
  if (notice) {
    if (noticeKey) setText(notice, noticeKey); else clearText(notice);
    notice.hidden = !noticeKey;
  }
  $('username').focus();
}

// wireSignIn makes the form (#login) sign in and then calls signedIn(session), the session kept.
// With keepTrying, while the service cannot be reached or is briefly unavailable (a database
// away, every password-hashing slot busy) the page says so calmly in #login-waiting and keeps
// trying, the form free to use again; without it, the form says so in #login-error.
// A new sign-in stops an earlier one still under way: only the latest attempt goes on.
export function wireSignIn({ signedIn, keepTrying = false }) {
  const attempts = latestOnly();
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $('login-submit');
    const error = $('login-error');
    const waiting = keepTrying ? $('login-waiting') : null;
    const isLatest = attempts.begin();
    const creds = { username: $('username').value, password: $('password').value, code: $('code').value.trim() };
    const ask = () => api('POST', '/api/staff/login', creds);
    error.hidden = true;
    button.disabled = true;
    try {
      const res = await (keepTrying
        ? retrying(ask, () => { waiting.hidden = false; button.disabled = false; }, () => !isLatest())
        : ask());
      if (!isLatest()) return; // a newer sign-in, with what was typed since, goes on
      $('password').value = '';
      $('code').value = '';
      const sess = { token: res.token, staff: res.staff || {} };
      keepSession(sess);
      signedIn(sess);
    } catch (err) {
      if (err.code === 'stopped' || !isLatest()) return;
      setText(error, SAID_AS_IS.includes(err.code) ? errorKey(err.code) : 'console.login_failed');
      error.hidden = false;
    } finally {
      if (isLatest()) {
        if (waiting) waiting.hidden = true;
        button.disabled = false;
      }
    }
  });
}

// signOut ends the session at the server and forgets it here, whatever the server answers
// (signed out here anyway). The page's socket, if it has one, stops first: the server closes
// the session's sockets with 4403, which must not read as "the session ended".
export async function signOut(sess, client) {
  if (client) client.stop();
  const token = sess && sess.token;
  if (token) { try { await api('POST', '/api/staff/logout', undefined, token); } catch (e) { /* signed out here anyway */ } }
  forgetSession();
}
