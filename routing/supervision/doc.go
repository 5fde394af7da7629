// Package supervision produces what the supervisor page shows: the queue by
// skill, the team with load and breaks, the live conversations page by
// page, and the history of the queue, within a small, fixed cost.
//
// # What it owns
//
//   - The summary (Summary): per skill (audience, language) how many wait,
//     since when the longest has waited and how many are risk-prioritised;
//     the team's counts; how many conversations are live; the switchboard's
//     pauses. Only the routing leader builds it (Config.Leading), at most
//     every Config.Every (2 s), and pushes it as one `supervisor_summary`
//     frame to the supervisor pages (chat.Recipients Observing), only
//     when it differs from the last: one encode per change for every
//     supervisor on every instance. Times are instants, not ages, so an
//     unchanged service sends nothing; pages count the seconds themselves.
//   - The samples for the chart (History): every Config.SampleEvery (one
//     minute) each instance reads the shared queue and keeps the waiting
//     count and the longest wait in a ring of Config.Samples (360: six
//     hours). The ring is per instance, in memory: every instance samples
//     the same shared queue, so any instance answers alike, but one
//     started recently has a shorter history.
//   - Breaks (BreakStore: MemoryStore, PostgresStore on staff_breaks):
//     each member's status since when and when their last break ended, fed
//     by routing.Config.OnStatus (OnStatus here).
//   - The lists (Team, Live), read page by page over HTTP.
//
// # Who calls it
//
// web (the /api/supervisor/* endpoints, supervisors and admins only; this
// package does not check roles, web does), cmd/internal/server (New, Run,
// and OnStatus handed to the router). The "who is watching" column comes
// from Config.Watchers, which whoever keeps the watcher list provides.
//
// # Concurrency
//
// Service is safe for concurrent use; Run runs once per instance.
package supervision
