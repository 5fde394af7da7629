// Package care looks after the people who do this work: for each staff
// member who takes conversations it keeps how long they spent in them, how
// many there were, how many were high-risk (a risk flag, or an escalation)
// or escalated, and the breaks they took; it tells them calmly when they
// near or pass a daily exposure cap (Config.Cap, 5 hours by default, as the
// UK Internet Watch Foundation sets for its analysts), and after a
// high-risk conversation it suggests a break (Config.BreakAfterHighRisk):
// a suggestion, never a rule; nothing here changes anyone's status.
//
// # What it owns
//
//   - Spells (Store): one staff member taking part in one conversation,
//     from when they took it (or joined it) until it ended or left them,
//     marked high-risk or escalated; marks of a conversation seen before
//     anyone held it, which a later spell starts with; and breaks.
//     PostgreSQL: care_spells, care_marks, care_breaks (migration 00015).
//     A deleted conversation (retention, the seeker's erasure) takes its
//     marks and its link with it; the spell stays as a bare duration.
//   - Figures: computed from spells and breaks for the current shift
//     (activity with no gap of Config.ShiftGap or more, up to now) and the
//     last 7 days. Time in conversations is the time with at least one
//     conversation open (three at once for an hour is an hour).
//   - The "care" frame, pushed to one staff member: ids of nothing, only an
//     event name ("break_suggested", "updated").
//
// Who may see the figures: the staff member themselves (counsellors and
// supervisors; admins take no conversations) and supervisors. Never
// admins, never reports or metrics. Everything is deleted after
// Config.Retention (HELPLINE_CARE_DAYS, 14 days by default) by Run.
//
// # Who calls it
//
//   - chat, through chat.ConversationObserver (ConversationChanged), after
//     each state change it stored;
//   - the server: Flagged for each new risk flag (chat/riskflag), Escalated
//     for each escalation (routing/escalation's OnRaised), OnStatus for
//     each status change (routing.Config.OnStatus);
//   - web: Mine, Of and Team, with the caller's principal.
//   - the server: Run, which on the routing leader checks the open spells
//     against the conversations every minute (Reconcile: a change whose
//     hook failed is recorded late rather than never) and deletes expired
//     figures hourly.
//
// Time is read only through Config.Now, so that tests drive the cap with a
// fake clock. Service methods and both stores are safe for concurrent use.
package care
