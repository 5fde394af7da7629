// Package escalation lets a counsellor ask a supervisor for help with a
// conversation now (an escalation), or for a debrief, and makes sure the
// request is answered, or that it is on record that nobody was there to
// answer it.
//
// # What it owns
//
//   - Escalations (Store): reason, urgency, who raised it, its
//     acknowledgement deadline, who acknowledged and resolved it, when, and
//     with what outcome; and its notes, sealed at rest like message bodies
//     (escalation_notes.body is in chat.SealedColumns). One escalation is
//     open per conversation and reason (per counsellor and reason for a
//     debrief asked outside a conversation): raising again adds a note to
//     it, raises its urgency if the new one is higher and brings its
//     deadline forward. A raise is idempotent by the client's request id.
//   - Escalations belong to their conversation: they follow it through
//     transfers (whoever holds it reads its history) and are deleted with
//     it at retention or erasure (PostgreSQL: ON DELETE CASCADE; memory:
//     NewMemoryStore registers Forget with chat.MemoryStore.OnForget). A
//     debrief asked outside any conversation has none to go with: resolved,
//     it is deleted after Config.Retention (HELPLINE_RETENTION_DAYS).
//   - Deadlines: Config.Deadlines per urgency. A missed deadline re-alerts
//     every supervisor and admin on shift once (Service.CheckLate) and the
//     escalation counts as late; an acknowledgement stops it.
//   - The "escalation" frame (Frame), pushed through chat.Service.Push: ids
//     and short fields, never note text. Pages read notes over HTTP.
//   - Anonymous counts for the transparency report (counts.go, Counter):
//     by the day raised, a field and a value (reason, urgency, whoever was
//     on shift, deadline met or missed, time to acknowledge, resolution),
//     added by both stores in the same transaction as the change; no id of
//     anything; debriefs are not counted. They outlive the escalations.
//
// Who is on shift: the Presence the server hands in (routing's presence:
// staff connected to some instance, with their roles from the accounts)
// and, through Store.Watchers, every supervisor and admin whose supervisor
// page asked for the open escalations within Config.WatchFor. A raise is
// pushed to the supervisors on shift; with none, to the admins on shift;
// with nobody, the escalation is marked NobodyOnShift and the counsellor's
// answer says so (Result.NobodyOnShift, Service.OutOfHours).
//
// Nothing here sends anything outside the service, ever: an outcome such
// as "emergency services contacted" records what a person did.
//
// # Who calls it
//
//   - web: one endpoint per action (raise, acknowledge, resolve, list),
//     with the caller's principal; each Service method is the whole rule
//     for its action (role, conversation, audit).
//   - Other packages: Service.RaiseAutomatic(ctx, conversationID, reason,
//     note), urgency "now", actor "system" (staff id 0).
//   - The server: New once per instance, and Run in its own goroutine.
//
// # Concurrency
//
// Service methods may be called from any goroutine. Both stores are safe
// for concurrent use; PostgresStore serialises raises for one conversation
// and reason with a transaction-scoped advisory lock, and ClaimLate is one
// UPDATE … WHERE late_alerted_at IS NULL RETURNING, so every instance may
// run the deadline check (Run, every Config.CheckEvery) and each missed
// deadline re-alerts exactly once, also across restarts. Time is read only
// through Config.Now; CheckLate takes the time as an argument, so tests
// drive deadlines with a fake clock and never sleep.
package escalation
