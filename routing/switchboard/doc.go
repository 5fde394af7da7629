// Package switchboard lets a supervisor pause offers for a skill (an
// audience, or an audience in one language): while paused, the routing
// leader offers none of that skill's waiting conversations, and staff pick
// them from the queue by hand. Every console shows who paused it and since
// when.
//
// # What it owns
//
//   - The pauses (Store: MemoryStore, PostgresStore on the
//     switchboard_pauses table), one per skill, with who paused it and
//     when. They survive a restart on PostgreSQL and are shared by every
//     instance, which is how the leader, wherever it runs, sees a pause set
//     on another instance: it reads them once a round (PausedSkills,
//     routing.Pauses).
//   - The `switchboard` frame (Frame): the whole list of pauses, pushed to
//     every connected staff member through chat.Service.Push (so it
//     crosses instances on the broker) whenever a pause starts or ends.
//
// # Who calls it
//
//   - web: Pause, Resume (supervisors and admins) and List (any staff, for
//     a console's banner on loading). Both actions are idempotent and
//     audited ("switchboard.pause", "switchboard.resume"); the audit row is
//     written first, and an action whose row cannot be written does not
//     happen.
//   - routing.Router, through routing.Config.Paused.
//   - routing/supervision, for the summary it sends supervisors.
//
// # Concurrency
//
// Service and both stores are safe for concurrent use. Two supervisors
// pausing one skill at once store it once: the first one's pause stands and
// both are answered with it.
package switchboard
