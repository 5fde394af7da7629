/* seeker.js — the help-seeker page: intro → pre-chat questions → chat → closing.
 * The screens are sections shown one at a time, all in one history entry, so that
 * quick exit's location.replace leaves nothing of this site to go "back" to. */
import H from './common.js';
import { wireConfirm } from './lib/confirm.js';
import { handOver, forgetHandover, resumeFromCookie } from './lib/handover.js'; // the page without JavaScript can take over

// What the first screen does not need loads when first needed, so that the first visit stays
// small (over a slow line, or Tor): the referral cards and offers, the feedback form, the
// identifying-details check. Each loads once; later calls reuse it.
const later = (path, init) => {
  let loading = null;
  return () => (loading = loading || import(path).then((m) => { if (init) init(m); return m; }));
};
const referrals = later('./seeker/referral.js', (m) => m.initReferrals(() => cred && cred.token));
const feedback = later('./seeker/feedback.js', (m) => m.setupFeedback());
const identifying = later('./lib/identifying.js');
const waitingStep = later('./seeker/flood.js'); // the flood waiting step, only when a start is refused
const identifyingKinds = (text) => identifying().then((m) => m.kinds(text)).catch(() => []);
const refreshReferrals = () => { referrals().then((m) => m.refreshReferrals()).catch(() => {}); };

const $ = (id) => document.getElementById(id);
const DEFAULT_EXIT = 'https://www.google.com/';
const CONNECTION_KEYS = {
  connecting: 'common.connection_connecting',
  connected: 'common.connection_connected',
  reconnecting: 'common.connection_reconnecting',
  stopped: 'common.connection_offline',
};

let config = null;
let cred = null; // {conversation_id, token, expires_at}, also in localStorage "helpline.seeker"
let client = null;
let log = null;
let typingOut = null;
let typingIn = null;
let endedShown = false;
let lastWait = null; // the last place the server told us; it only says again when it changes

// ------------------------------------------------------------ quick exit

// Wired before anything else loads, so it works even while the page is still starting.
function exitUrl() {
  const u = config && config.exit_url;
  return u && /^https?:\/\//i.test(u) ? u : DEFAULT_EXIT;
}

function quickExit() {
  document.documentElement.classList.add('exiting'); // blank the screen at once
  const c = cred || H.store.get('local', 'seeker');
  if (c && c.token) tellServerWeLeft(c.token);
  forgetHandover(true);
  if (client) {
    // Also over the socket, in case something blocks the beacon; ending twice is harmless.
    if (c && c.conversation_id) client.control({ type: 'end', conversation_id: c.conversation_id, reason: 'left' });
    client.stop();
  }
  H.store.clearAll();
  location.replace(exitUrl());
}

// The beacon survives the page going away; keepalive fetch is the fallback if it is refused.
function tellServerWeLeft(token) {
  const body = JSON.stringify({ token });
  let queued = false;
  try { queued = navigator.sendBeacon('/api/seeker/leave', new Blob([body], { type: 'application/json' })); } catch (e) { queued = false; }
  if (!queued) {
    try { fetch('/api/seeker/leave', { method: 'POST', keepalive: true, headers: { 'Content-Type': 'application/json' }, body }); } catch (e) { /* leaving anyway */ }
  }
}

function wireQuickExit() {
  $('quick-exit').addEventListener('click', quickExit);
  let lastEscape = 0;
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return; // an Escape that closed a dialog is not a step toward leaving
    const now = Date.now();
    if (now - lastEscape < 1000) { e.preventDefault(); quickExit(); }
    lastEscape = now;
  });
}

// ------------------------------------------------------------ screens

function show(screen, focusId) {
  for (const id of ['intro', 'closed', 'prechat', 'chat']) $(id).hidden = id !== screen;
  if (focusId) {
    // Focus alone may leave the field off-screen (the composer sits below the log): bring it in view.
    $(focusId).focus({ preventScroll: true });
    $(focusId).scrollIntoView({ block: 'nearest' });
  }
}

// notice: '' (none), 'expired' or 'deleted' — a gentle word on why we are back here.
function showIntro(notice) {
  const node = $('intro-notice');
  if (notice) H.setText(node, 'intro.' + notice); else H.clearText(node);
  node.hidden = !notice;
  show('intro', 'intro-heading');
  window.scrollTo(0, 0);
}

function setupIntro() {
  const days = config.retention_days;
  if (days === null) H.setText($('intro-kept'), 'intro.kept_unknown');
  else H.setText($('intro-kept'), 'intro.kept', { days });
  $('start-prechat').addEventListener('click', continueIfOpen);
  $('closed-retry').addEventListener('click', continueIfOpen);
}

// Ask before the questions whether a conversation can start now, so that a closed
// service shows its alternatives at once instead of after the form.
async function continueIfOpen() {
  let status = { open: true };
  try { status = await H.api('GET', '/api/status'); } catch (e) { /* unknown: let the start itself tell */ }
  if (status && status.open === false) showClosed(status.reason, status.next_open);
  else show('prechat', 'prechat-heading');
}

function showClosed(reason, nextOpen) {
  const known = ['hours', 'queue_full', 'no_counselor', 'paused'].includes(reason) ? reason : 'no_counselor';
  H.setText($('closed-reason'), 'closed.' + known);
  const next = $('closed-next');
  const when = (known === 'hours' || known === 'paused') && nextOpen ? H.fmtWhen(nextOpen) : '';
  if (when) H.setText(next, known === 'paused' ? 'closed.paused_until' : 'closed.hours_next', { when }); else H.clearText(next);
  next.hidden = !when;
  renderAlternatives();
  fillSelfHelp($('closed-selfhelp'), $('closed-selfhelp-articles'));
  show('closed', 'closed-heading');
  window.scrollTo(0, 0);
}

// ------------------------------------------------------------ pre-chat

// Audience choices and languages come from /api/config; "prefer not to say" is preselected.
function setupPrechat() {
  const box = $('audience-options');
  for (const a of config.audiences.concat([''])) {
    const id = 'audience-' + (a || 'none');
    box.append(H.el('div', { class: 'choice' }, [
      H.el('input', { type: 'radio', name: 'audience', id, value: a, checked: a === '' }),
      H.el('label', { for: id, i18n: [a ? 'prechat.audience_' + a : 'prechat.prefer_not'] }),
    ]));
  }
  box.addEventListener('change', () => { $('young-note').hidden = audienceValue() !== 'young'; });

  const select = $('language');
  // The language the page is read in is the likeliest answer: chosen already, still changeable.
  select.append(H.el('option', { value: '', i18n: ['prechat.prefer_not'] }));
  for (const l of config.languages) select.append(H.el('option', { value: l.code, lang: l.code, text: l.name }));
  const preselect = () => { if (!select.dataset.touched) select.value = config.languages.some((l) => l.code === H.lang) ? H.lang : ''; };
  select.addEventListener('change', () => { select.dataset.touched = '1'; });
  preselect();
  H.onLanguage(preselect);

  $('prechat-back').addEventListener('click', () => show('intro', 'intro-heading'));
  $('prechat-form').addEventListener('submit', startConversation);
}

function audienceValue() {
  const checked = document.querySelector('input[name="audience"]:checked');
  return checked ? checked.value : '';
}

async function startConversation(e) {
  e.preventDefault();
  const button = $('start-chat');
  const error = $('prechat-error');
  const body = {
    audience: audienceValue(),
    language: $('language').value,
    region: Array.from($('region').value.trim()).slice(0, 64).join(''), // 64 characters, not UTF-16 units
    pause: pauseMarker(),
  };
  const waiting = $('prechat-waiting');
  button.disabled = true;
  H.setText(button, 'prechat.starting');
  error.hidden = true;
  try {
    // While we can't connect, say so calmly and keep trying; leaving this screen stops it.
    const res = await H.retrying(() => H.api('POST', '/api/seeker/conversations', body).catch((err) => (err.code === 'rate_limited' ? waitingStep().then((m) => m.startWithWaitingStep(body, err)) : Promise.reject(err))),
      () => { waiting.hidden = false; }, () => $('prechat').hidden);
    cred = { conversation_id: res.conversation_id, token: res.token, expires_at: res.expires_at || '' };
    H.store.set('local', 'seeker', cred);
    handOver(cred.token);
    openChat('compose');
  } catch (err) {
    if (err.code === 'stopped') return;
    if (err.code === 'closed') { showClosed(err.detail.reason, err.detail.next_open); return; }
    H.setText(error, H.errorKey(err.code));
    error.hidden = false; // role="alert": announced without moving focus
  } finally {
    waiting.hidden = true;
    button.disabled = false;
    H.setText(button, 'prechat.start');
  }
}

// ------------------------------------------------------------ chat

function setupChat() {
  // What appears above the composer (the place in the queue, the reading while waiting, new
  // messages) pushes it down: while it has focus, keep it in view, so a phone's keyboard user
  // is never typing into a field they cannot see.
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      if (document.activeElement === $('compose')) $('compose').scrollIntoView({ block: 'nearest' });
    }).observe($('chat'));
  }
  typingIn = new H.TypingIndicator($('typing'), 'chat.typing');
  log = new H.MessageLog($('messages'), {
    self: 'seeker',
    who: (m) => (m.sender === 'seeker' ? ['chat.you'] : (m.name || ['chat.counselor'])),
    systemText: (m) => {
      if (m.kind === 'joined') return m.name ? ['chat.system_joined', { name: m.name }] : ['chat.system_joined_unnamed'];
      if (m.kind === 'transferred') return m.name ? ['chat.system_transferred', { name: m.name }] : ['chat.system_transferred_unnamed'];
      if (m.kind === 'requeued') return ['chat.system_requeued_' + (m.body === 'transferred' ? 'transferred' : 'counselor_left')];
      if (m.kind === 'ended') return ['chat.system_ended_' + endedKey(m.body)];
      if (m.kind === 'staff_joined') return ['supervision.seeker_joined'];
      if (m.kind === 'staff_left') return ['supervision.seeker_left'];
      return null;
    },
    onRetry: (clientId) => { client.retry(cred.conversation_id, clientId); $('compose').focus(); },
  });

  const compose = $('compose');
  compose.maxLength = config.max_message_chars;
  compose.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; never while an input method is composing.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  compose.addEventListener('input', () => {
    if (!client) return;
    if (compose.value) typingOut.input(cred.conversation_id); else typingOut.stop(cred.conversation_id);
  });
  const send = (text) => {
    typingOut.stop(cred.conversation_id);
    client.send(cred.conversation_id, text);
    compose.value = '';
    compose.focus();
  };
  $('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = compose.value.trim();
    if (!text || !client) return;
    const found = await identifyingKinds(text);
    if (found.length && compose.value.trim() === text) { askBeforeSending(found); return; }
    send(text);
  });
  $('identify-send').addEventListener('click', () => {
    $('identify-warning').hidden = true;
    const text = compose.value.trim();
    if (text && client) send(text);
  });
  $('identify-edit').addEventListener('click', () => { $('identify-warning').hidden = true; compose.focus(); });
  compose.addEventListener('input', () => { $('identify-warning').hidden = true; });

  const endConfirm = wireConfirm($('end-confirm'), $('end-chat'), $('end-confirm-no'));
  $('end-confirm-yes').addEventListener('click', () => {
    endConfirm.close(false);
    $('end-chat').disabled = true;
    // Queued if offline: it goes out as soon as we are connected again.
    client.control({ type: 'end', conversation_id: cred.conversation_id, reason: '' }, true);
  });
  $('new-chat').addEventListener('click', () => {
    forgetConversation();
    showIntro('');
  });
  wireConfirm($('delete-confirm'), $('delete-chat'), $('delete-confirm-no'));
  $('delete-confirm-yes').addEventListener('click', deleteConversation);
  H.onLanguage(() => { if (!$('waiting-help').hidden) loadSelfHelp(); });
}

// "This might identify you or someone else": the person decides, nothing is blocked or kept.
function askBeforeSending(kinds) {
  const list = kinds.map((k) => H.t('identify.kind_' + k)).join(', ');
  H.setText($('identify-text'), 'identify.warning', { what: list });
  $('identify-warning').hidden = false;
  // The harmless answer has focus, as in the confirm dialogs: a second Enter edits, it does not send.
  $('identify-edit').focus();
}

function endedKey(by) {
  return ['seeker', 'counselor', 'left', 'abandoned', 'blocked', 'system'].includes(by) ? by : 'system';
}

// A conversation the team ended as blocked pauses new ones from this browser: the server signs a
// marker that names nothing but its expiry, we keep it and present it when starting (chat/blocking.go).
async function keepPauseMarker() {
  try {
    const res = await H.api('POST', '/api/seeker/pause', { token: cred.token });
    H.store.set('local', 'pause', { marker: res.marker, until: res.until });
  } catch (err) { /* nothing to keep */ }
}

function pauseMarker() {
  const p = H.store.get('local', 'pause');
  if (p && p.until && new Date(p.until) > new Date()) return p.marker;
  H.store.remove('local', 'pause');
  return '';
}

// "Delete this conversation": the server erases it and every message; then we forget it too.
async function deleteConversation() {
  const error = $('delete-error');
  error.hidden = true;
  try {
    await H.api('POST', '/api/seeker/delete', { token: cred.token });
  } catch (err) {
    // Already gone (expired or deleted before) is what was asked for; anything else, say so.
    if (err.code !== 'unauthorized' && err.code !== 'not_found') {
      H.setText(error, H.errorKey(err.code));
      error.hidden = false;
      return;
    }
  }
  forgetConversation();
  showIntro('deleted');
}

// ------------------------------------------------------------ while waiting

// Place in the queue and an honest estimate (PROTOCOL.md `position`).
function renderPosition(wait) {
  const box = $('queue-position');
  box.hidden = !wait;
  if (!wait) return;
  if (wait.position > 1) H.setText($('position-place'), 'chat.position', { position: wait.position });
  else H.setText($('position-place'), 'chat.position_next');
  const low = wait.estimate_low_minutes || 0;
  const high = wait.estimate_high_minutes || 0;
  const estimate = $('position-estimate');
  if (!wait.estimate_known) H.setText(estimate, 'chat.estimate_unknown');
  else if (high <= 1) H.setText(estimate, 'chat.estimate_soon');
  else if (low === high) H.setText(estimate, 'chat.estimate_about', { minutes: high });
  else H.setText(estimate, 'chat.estimate_range', { low: Math.max(low, 1), high });
  const note = $('position-note');
  // "No one is online" only when no one is; when people are on shift but none
  // of them could take this conversation, say that instead.
  const noteKey = wait.none_on_shift ? 'chat.none_on_shift'
    : wait.none_suitable ? 'chat.none_suitable'
    : wait.language_fallback ? 'chat.language_fallback' : '';
  if (noteKey) H.setText(note, noteKey); else H.clearText(note);
  note.hidden = !noteKey;
}

// Reading for people who wait, in the page's language (or the service's default).
let selfHelpLang = '';
async function loadSelfHelp() {
  if (selfHelpLang === H.lang) return;
  selfHelpLang = H.lang;
  await fillSelfHelp($('selfhelp'), $('selfhelp-articles'));
}

// fillSelfHelp puts the self-help reading, in the page's language (else the default), in list,
// showing box only when there is some.
async function fillSelfHelp(box, list) {
  let data = null;
  for (const lang of [H.lang, config.default_language]) {
    try { data = await H.api('GET', '/api/selfhelp/' + encodeURIComponent(lang)); break; } catch (e) { /* try the next */ }
  }
  const articles = data && Array.isArray(data.articles) ? data.articles : [];
  list.replaceChildren(...articles.map((a) => H.el('details', { class: 'article' }, [
    H.el('summary', { text: String(a.title || '') }),
    ...(Array.isArray(a.body) ? a.body : []).map((p) => H.el('p', { text: String(p) })),
  ])));
  box.hidden = articles.length === 0;
}

// The closed page's other places to turn to (HELPLINE_ALTERNATIVES_FILE), in the page's language.
function renderAlternatives() {
  const list = Array.isArray(config.alternatives) ? config.alternatives : [];
  const inLang = (m) => (m && (m[H.lang] || m[config.default_language])) || '';
  $('closed-alternatives').replaceChildren(...list.map((a) => H.el('li', { class: 'alternative' }, [
    a.url ? H.el('a', { href: a.url, rel: 'noreferrer noopener', text: inLang(a.name) }) : H.el('strong', { text: inLang(a.name) }),
    inLang(a.description) ? H.el('p', { text: inLang(a.description) }) : null,
    a.phone ? H.el('p', {}, [H.el('a', { href: a.tel, text: a.phone })]) : null,
    inLang(a.hours) ? H.el('p', { class: 'muted', text: inLang(a.hours) }) : null,
  ])));
  $('closed-elsewhere').hidden = list.length === 0;
}

function resetChat() {
  log.clear();
  referrals().then((m) => m.resetReferrals()).catch(() => {});
  endedShown = false;
  $('composer').hidden = false;
  $('end-chat').hidden = false;
  $('end-chat').disabled = false;
  $('end-confirm').hidden = true;
  $('closing').hidden = true;
  feedback().then((m) => m.hideFeedback()).catch(() => {});
  $('delete-confirm').hidden = true;
  $('delete-error').hidden = true;
  $('waiting-help').hidden = true;
  lastWait = null;
  renderPosition(null);
  $('compose').value = '';
  H.clearText($('chat-notice'));
  typingIn.set(false);
}

function openChat(focusId) {
  resetChat();
  H.setText($('chat-status'), 'chat.status_connecting');
  show('chat', focusId);
  client = new H.ChatClient({
    self: 'seeker',
    token: () => cred.token,
    reconnectOnNormalClose: () => !endedShown,
    on: {
      ready: onReady,
      conversation: (st) => { if (st.id === cred.conversation_id) renderStatus(st.conv); },
      message: (st, msg) => {
        log.upsertMessage(msg);
        if (msg.kind === 'referral') referrals().then((m) => m.referralMessage(msg)).catch(() => {});
        if (msg.sender === 'counselor') typingIn.set(false);
      },
      pending: (st, p) => {
        log.upsertPending(p);
        if (p.state === 'failed') H.setText($('chat-notice'), 'common.send_failed');
      },
      typing: (f) => { if (f.sender !== 'seeker') typingIn.set(!!f.typing); },
      referral_offer: refreshReferrals,
      referral_status: refreshReferrals,
      position: (f) => {
        if (f.conversation_id !== cred.conversation_id || !f.wait || typeof f.wait !== 'object') return;
        lastWait = f.wait;
        const st = client.convs.get(cred.conversation_id);
        if (!endedShown && (!st || !st.conv || st.conv.status === 'waiting')) renderPosition(f.wait);
      },
      error: (f) => { if (f.code === 'rate_limited') H.setText($('chat-notice'), 'error.rate_limited'); },
      connection: renderConnection,
      fatal: () => { forgetConversation(); showIntro('expired'); }, // 4401: credential expired or invalid
    },
  });
  typingOut = new H.TypingNotifier(client);
  client.start();
}

function onReady(f) {
  const convs = Array.isArray(f.conversations) ? f.conversations : [];
  const conv = convs.find((c) => c && c.id === cred.conversation_id) || convs[0];
  if (!conv) { forgetConversation(); showIntro('expired'); return; }
  if (conv.id !== cred.conversation_id) { cred.conversation_id = conv.id; H.store.set('local', 'seeker', cred); }
  H.clearText($('chat-notice'));
  renderStatus(conv);
  refreshReferrals();
}

function renderStatus(conv) {
  const status = $('chat-status');
  $('waiting-help').hidden = conv.status !== 'waiting';
  // Back in the queue (transfer, counsellor gone): the server repeats a place only when it
  // changes, so the last one it told us still holds until a new one comes.
  if (conv.status === 'waiting') { loadSelfHelp(); renderPosition(lastWait); } else renderPosition(null);
  if (conv.status === 'waiting') H.setText(status, 'chat.status_waiting');
  else if (conv.status === 'active' && conv.counselor_name) H.setText(status, 'chat.status_active', { name: conv.counselor_name });
  else if (conv.status === 'active') H.setText(status, 'chat.status_active_unnamed');
  else if (conv.status === 'ended') showClosing(conv.ended_by);
}

// The transcript stays; writing stops; a kind word that depends on who ended it.
function showClosing(endedBy) {
  H.setText($('chat-status'), 'chat.status_ended');
  const by = endedKey(endedBy);
  H.setText($('closing-text'), ['seeker', 'counselor', 'blocked'].includes(by) ? 'chat.closing_' + by : 'chat.closing_other');
  if (endedShown) return;
  endedShown = true;
  if (by === 'blocked') keepPauseMarker();
  typingOut.stop(cred.conversation_id);
  typingIn.set(false);
  $('composer').hidden = true;
  $('end-chat').hidden = true;
  $('end-confirm').hidden = true;
  $('waiting-help').hidden = true;
  renderPosition(null);
  $('closing').hidden = false;
  const shown = cred;
  feedback().then((m) => m.showFeedback(shown, config && config.retention_days)).catch(() => {});
  $('closing-heading').focus();
}

function renderConnection(s) {
  const node = $('connection');
  node.dataset.state = s;
  H.setText(node, CONNECTION_KEYS[s] || CONNECTION_KEYS.stopped);
  if (s === 'connected') H.clearText($('chat-notice'));
}

// Drops the stored credential and the connection; the next conversation starts fresh.
function forgetConversation() {
  if (client) client.stop();
  client = null;
  if (cred) forgetHandover(false);
  cred = null;
  H.store.remove('local', 'seeker');
  H.clearText($('connection'));
  delete $('connection').dataset.state;
  resetChat();
}

// A stored credential that has plainly expired is not worth a connection attempt.
function storedCredential() {
  const c = H.store.get('local', 'seeker');
  if (!c || typeof c.token !== 'string' || typeof c.conversation_id !== 'string') return null;
  if (c.expires_at && Date.parse(c.expires_at) < Date.now()) { H.store.remove('local', 'seeker'); return 'expired'; }
  return c;
}

// ------------------------------------------------------------ start

wireQuickExit();
H.init().then((cfg) => {
  config = cfg;
  setupIntro();
  setupPrechat();
  setupChat();
  const c = storedCredential();
  if (c && c !== 'expired') { cred = c; handOver(c.token); openChat('chat-heading'); return; }
  showIntro(c === 'expired' ? 'expired' : '');
  // A conversation started in this browser without JavaScript goes on here.
  resumeFromCookie().then((r) => {
    if (!r || cred || $('intro').hidden) return;
    cred = r;
    H.store.set('local', 'seeker', cred);
    openChat('chat-heading');
  });
});
