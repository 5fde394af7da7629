/* console.js — the counsellor console: sign in, offers and the queue, several conversations at once,
 * the team on shift, status and capacity, transfers, and (supervisors, admins) silent watching.
 * Messages live in the ChatClient; everything else the console knows is in console/state.js
 * (one entry per conversation); each panel is its own module in console/, and this one signs
 * in and out and routes the socket's frames to them. */
import H from './common.js';
import { wireSignIn, showSignIn, savedSession, keepSession, forgetSession, signOut } from './lib/staff-session.js';
import { S, ui, peek, allStates, resetState, conversations, isAccepting, isMyName } from './console/state.js';
import { $, flash, updateTitle } from './console/util.js';
import { onQueue, onQueueChanges, onQueueTotal, onOffer, onAcceptError, wireQueue } from './console/queue.js';
import { STREAMS } from './console/streams.js';
import { onTeam, onTeamChanges, renderTeam } from './console/team.js';
import { onMember, wireStatus } from './console/status.js';
import { closeTransferForm, onTransferTargets, onTransferError, wireTransfer } from './console/transfer.js';
import { watchAgain, watchFromAddress, onWatchError, wireWatch } from './console/watch.js';
import { onSwitchboard, loadSwitchboard, wireSwitchboard } from './console/switchboard.js';
import {
  onConversation, onMessage, onPending, onSynced, onTyping, onNotes, onConversationGone,
  openConversation, makeLog, wireConversations,
} from './console/conversations.js';
import { renderAll } from './console/render.js';
import { onRiskFlag, riskFlagsSynced } from './console/riskflags.js';
import { wireTools } from './console/tools.js';
import { onEscalation, loadEscalations, clearEscalations, wireEscalation } from './console/escalation.js';
import { onWatchers, onWhisper, onTakenOver, supervisionAgain, wireSupervise } from './console/supervise.js';
import { onReferralFrame, wireReferral } from './console/referral.js';
import { onCare, wireCare } from './console/care.js';

const CONNECTION_KEYS = {
  connecting: 'common.connection_connecting',
  connected: 'common.connection_connected',
  reconnecting: 'common.connection_reconnecting',
  stopped: 'common.connection_offline',
};

// ------------------------------------------------------------ sign in / out

async function logout() {
  await signOut(S.session, S.client);
  endSession(null);
}

function endSession(noticeKey) {
  if (S.client) S.client.stop();
  S.client = null;
  S.session = null;
  forgetSession();
  clearScreen();
  H.clearText($('connection'));
  delete $('connection').dataset.state;
  showSignIn(noticeKey);
}

function clearScreen() {
  resetState();
  S.log.clear();
  ['offers', 'queue', 'conversations', 'team', 'capacity'].forEach((id) => $(id).replaceChildren());
  $('c-compose').value = '';
  $('watch-id').value = '';
  closeTransferForm(false);
  clearEscalations();
  S.typingIn.set(false);
  updateTitle();
}

function startSession(sess) {
  S.session = sess;
  clearScreen();
  S.client = new H.ChatClient({
    self: 'counselor',
    selfName: sess.staff && sess.staff.display_name,
    token: () => S.session.token,
    reconnectOnNormalClose: () => true, // the console always wants to be connected
    streams: STREAMS, // the queue as changes, and the team
    // Follow only what is given to us, or what we asked to watch: a conversation frame about
    // one that has just been handed on (ours no more) must not start a sync.
    admit: (c) => !!peek(c.id).watchPendingAt || (c.status === 'active' && (isAccepting(c.id) || isMyName(c.counselor_name))),
    on: {
      ready: onReady, conversation: onConversation, message: onMessage, pending: onPending,
      synced: (st) => { onSynced(st); riskFlagsSynced(st); }, risk_flag: onRiskFlag,
      typing: onTyping, queue: onQueue, queue_changes: onQueueChanges, queue_total: onQueueTotal, offer: onOffer, status: onMember, team: onTeam, team_changes: onTeamChanges,
      notes: onNotes, transfer_targets: onTransferTargets, escalation: onEscalation, switchboard: onSwitchboard,
      watchers: onWatchers, whisper: onWhisper, taken_over: onTakenOver, // supervision
      referral_status: onReferralFrame, referral_partner_disabled: onReferralFrame,
      care: onCare,
      error: onError, connection: renderConnection, fatal: () => endSession('console.session_ended'),
    },
  });
  S.typingOut = new H.TypingNotifier(S.client);
  $('login').hidden = true;
  $('workspace').hidden = false;
  renderAll();
  S.client.start();
  $('workspace-heading').focus();
}

// ------------------------------------------------------------ socket events

function onReady(f) {
  if (f.staff) {
    S.session.staff = f.staff;
    keepSession(S.session);
  }
  for (const c of Array.isArray(f.conversations) ? f.conversations : []) {
    if (c && c.id) Object.assign(ui(c.id), { mine: true, watched: false });
  }
  for (const [, u] of allStates()) u.transferring = null; // an answer lost with the old connection: the state now tells
  watchAgain();
  loadEscalations();
  watchFromAddress();
  loadSwitchboard();
  supervisionAgain();
  if (!S.openId) {
    const first = conversations().find((st) => st.conv.status === 'active');
    if (first) openConversation(first.id, false);
  }
  renderAll();
}

function onError(f) {
  if (onWatchError(f) || onTransferError(f) || onAcceptError(f) || onConversationGone(f)) return;
  flash(H.errorKey(f.code));
}

function renderConnection(s) {
  const node = $('connection');
  node.dataset.state = s;
  H.setText(node, CONNECTION_KEYS[s] || CONNECTION_KEYS.stopped);
}

function wire() {
  wireSignIn({ signedIn: startSession, keepTrying: true });
  $('logout').addEventListener('click', logout);
  wireStatus();
  wireTransfer();
  wireWatch();
  wireQueue();
  wireConversations();
  wireTools();
  wireEscalation();
  wireSwitchboard();
  wireSupervise();
  wireReferral();
  wireCare();
  H.onLanguage(() => { updateTitle(); renderTeam(); });
}

H.init().then((cfg) => {
  S.config = cfg;
  S.typingIn = new H.TypingIndicator($('c-typing'), 'console.typing');
  S.log = makeLog();
  wire();
  const sess = savedSession();
  if (sess) startSession(sess); else showSignIn(null);
});
