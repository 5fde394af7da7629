/* streams.js — which broadcasts the console asks for: the queue as changes, and the team. */
import { S } from './state.js';

// Sent with auth, and again to start over: the server then sends a new `queue` and `team`.
export const STREAMS = ['queue_changes', 'team'];

// A change went missing (a version skipped): ask for both lists again, once until one comes.
export function askForSnapshots() {
  if (S.snapshotAsked || !S.client) return;
  S.snapshotAsked = !!S.client.control({ type: 'streams', streams: STREAMS });
}
