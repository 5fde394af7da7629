/* state.js — everything the console knows, in one place: the signed-in session, the
 * queue and team as the server last sent them, and one entry per conversation (ui(id)) with
 * all its screen state. The messages themselves live in the ChatClient (S.client.convs). */

export const S = {
  config: null,
  session: null, // {token, staff}, also in sessionStorage "helpline.staff"
  member: null, // our own TeamMember (status, capacity) once the server sends it
  client: null,
  log: null,
  typingOut: null,
  typingIn: null,
  openId: null,
  queue: [],
  queueTotal: 0,
  queuePageSize: 0, // the most entries a queue frame holds (the server's page_size)
  team: [], // TeamMember list: the last `team` frame with the `team_changes` since
  teamTotal: 0, // how many are on shift in all: the server lists only the first 50
  teamVersion: null, // the version of that list (team_changes), null before the first
  queueVersion: null, // the version of the queue list (queue_changes), null before the first
  queueCounted: false, // at capacity: the server sends only how many wait (queue_total), no list
  snapshotAsked: false, // a new `queue` and `team` were asked for and have not come
};

export const ACCEPT_WAIT = 10000; // an accept without an answer this long no longer blocks its button
export const TRANSFER_WAIT = 10000; // likewise for a transfer

// One conversation's screen state. Every field is here, so what the console can know about a
// conversation is read in one place.
function blank() {
  return {
    offer: null, // {conv, expires (ms), reason, missingSince}: offered to us
    unread: 0, // seeker messages not yet seen
    draft: '', // unsent text, kept while switching
    notes: null, // handover notes
    acceptingAt: 0, // when we sent accept
    caughtUp: false, // its first history replay is done (replays are not "new")
    mine: false, // assigned to us (or it was, until it ended)
    watched: false, // we follow it silently (supervisors, admins)
    watchPendingAt: 0, // when we asked to watch it
    transferring: null, // {at, name}: a transfer we sent, not yet answered
    incoming: false, // newly given to us without our accept (a transfer): say so once synced
    handedBackAt: 0, // when it left us for the queue
    targets: null, // colleagues it can be transferred to, as the server last said
  };
}

const convs = new Map(); // conversation id → blank()
const NONE = Object.freeze(blank());

// ui returns the state of conversation id, making it if need be; peek only reads.
export function ui(id) {
  let u = convs.get(id);
  if (!u) { u = blank(); convs.set(id, u); }
  return u;
}

export function peek(id) { return convs.get(id) || NONE; }

// Every [id, state] pair; a copy, so callers may change states while they go.
export function allStates() { return Array.from(convs.entries()); }

export function offerCount() { return allStates().filter(([, u]) => u.offer).length; }

export function unreadTotal() { return allStates().reduce((n, [, u]) => n + u.unread, 0); }

// The conversation left this screen: drop what was about it, keeping what is about the
// queue (an offer, an accept or a watch in flight, having handed it back).
export function leave(id) {
  const u = convs.get(id);
  if (!u) return;
  Object.assign(u, { unread: 0, draft: '', notes: null, transferring: null, mine: false, watched: false, caughtUp: false, incoming: false, targets: null });
  if (!u.offer && !u.acceptingAt && !u.watchPendingAt && !u.handedBackAt) convs.delete(id);
}

export function resetState() {
  convs.clear();
  Object.assign(S, { openId: null, member: null, queue: [], queueTotal: 0, queuePageSize: 0, team: [], teamTotal: 0, teamVersion: null, queueVersion: null, queueCounted: false, snapshotAsked: false });
}

export function me() { return (S.session && S.session.staff) || {}; }
export function isMyName(name) { return !!name && name === me().display_name; }
// Admins administer: they are offered nothing and accept nothing (the router would refuse).
export function takesConversations() { return me().role !== 'admin'; }
export function canWatch() { return me().role === 'supervisor' || me().role === 'admin'; }

// The conversations in our list (ours, or watched), oldest first.
export function conversations() {
  if (!S.client) return [];
  return Array.from(S.client.convs.values())
    .filter((st) => st.conv && (peek(st.id).mine || peek(st.id).watched))
    .sort((a, b) => (Date.parse(a.conv.created_at) || 0) - (Date.parse(b.conv.created_at) || 0));
}

export function activeCount() { return conversations().filter((st) => peek(st.id).mine && st.conv.status === 'active').length; }

export function capacity() {
  if (S.member && S.member.capacity > 0) return S.member.capacity;
  return (S.session && S.session.staff && S.session.staff.capacity) || 0;
}

export function atCapacity() { return capacity() > 0 && activeCount() >= capacity(); }

export function isAccepting(id) { return Date.now() - peek(id).acceptingAt < ACCEPT_WAIT; }

export function isTransferring(id) {
  const t = peek(id).transferring;
  return !!t && Date.now() - t.at < TRANSFER_WAIT;
}

export function current() {
  const st = S.client && S.openId && S.client.convs.get(S.openId);
  return st && st.conv ? st : null;
}

// A conversation we hold that is now someone else's, or back in the queue, has left us.
export function movedAway(st) {
  const c = st.conv;
  if (c.status === 'waiting') return true;
  if (c.status !== 'active' || !c.counselor_name) return false;
  if (!isMyName(c.counselor_name)) return true;
  const t = peek(st.id).transferring; // a colleague with the very same display name as ours
  return !!t && t.name === c.counselor_name && isTransferring(st.id);
}
