// Package answers owns prepared answers: canned responses a counsellor
// inserts into a message, per language, with tags, scoped to the whole
// service, to a team (the counsellors trained for one audience: "self",
// "young", "other") or to one counsellor. Placeholders written {{name}} mark
// what the counsellor must fill in before sending.
//
// Who may call it: web (the staff HTTP API) and cmd/internal/server (to load
// the starting set into an empty store). Supervisors and admins manage the
// shared answers (service and team: Shared, Retire, which takes one out of
// the search without deleting it, and Reinstate); every counsellor manages
// their own;
// each change is written to the audit log first and refused when it cannot
// be.
//
// Concurrency: Service and both stores are safe for concurrent use. MemoryStore
// and PostgresStore pass the same contract (store_test.go).
package answers
