// Package supervision is what a supervisor does with a live conversation
// besides reading it: being seen to watch it, whispering to its counsellor,
// joining it as a second participant, and taking it over.
//
// It owns:
//   - whispers (whisper.go): a supervisor's words to the conversation's
//     counsellor(s) only. They are a staff-only stream beside the
//     conversation, never a message: they have no sequence number, never
//     reach the seeker's socket and never appear in a sync. Sealed at rest
//     (chat.SealedColumns "whispers"), deleted with their conversation
//     (ON DELETE CASCADE; the memory store through (*chat.MemoryStore).OnForget
//     calling MemoryStore.Forget);
//   - the watcher list (watchers.go): who is watching each conversation now,
//     on every instance. Each instance's Registry hears its own connections'
//     watches from chat (it is the chat.WatchTracker) and keeps its rows in
//     the store, refreshed every Interval; rows not refreshed for TTL (an
//     instance that stopped without tidying up) no longer count;
//   - the frames it pushes (frames.go): whisper, watchers, taken_over;
//   - the use cases (service.go), each the whole rule for its action: role,
//     conversation (chat.Service.MayRead, the same rule as the socket's),
//     audit (written before the action; the action is refused when it cannot
//     be), then the action and its push.
//
// Join, leave and take-over change the conversation itself, so their state
// and their messages are chat's (chat.Service.Join, LeaveJoined, TakeOver);
// this package adds the audit-first HTTP use case and the taken_over push.
//
// Callers: web (the HTTP endpoints), cmd/internal/server (wiring: the
// Registry is handed to chat.Service.SetWatchTracker and its Run started),
// and any page that shows who watches a conversation (Service.Watchers,
// Service.AllWatchers). It reaches chat only through the Chat interface it
// defines, which *chat.Service satisfies, and imports chat for its types.
//
// Concurrency: Service, Registry and both stores are safe for concurrent
// use. Registry.WatchStarted and WatchStopped never block on the store:
// they change the instance's own counts and wake Registry.Run, which writes
// the rows and pushes the watchers frame.
package oversight
