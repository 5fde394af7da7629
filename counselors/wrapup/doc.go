// Package wrapup owns the wrap-up form a counsellor fills in at the end of a
// conversation, and the anonymous daily counts made from it.
//
// The form is per deployment (a JSON file, HELPLINE_WRAPUP_FORM; form.json is
// the default shipped) and versioned: each wrap-up keeps the version it was
// filled in with (a draft the one it was started with), so that counts
// survive form changes. With UseVersions the versions live in a FormStore
// (memory, or PostgreSQL's wrapup_forms): the file is the first, an admin's
// SaveForm adds one, and each instance checks for a newer one at most every
// interval, so that a version saved elsewhere takes effect without a
// restart. A new version may not ask who someone is, nor change whether an
// answer already counted has a second level. Every field is a
// choice among the form's own codes (a category taxonomy is two levels
// deep): there is no free-text field, so no wrap-up can hold a name, an
// address, a phone number or an IP address.
//
// A wrap-up is kept per conversation, not per counsellor: the draft follows
// a transfer to whoever holds the conversation, and the counsellor can
// finish it after the seeker has left. Completing it writes, in the same
// transaction, one count per (day, form version, field, value): rows with
// no conversation and no counsellor in them, which stay when the seeker
// erases the conversation (the wrap-up itself goes with it: ON DELETE
// CASCADE, or OnForget in memory). A transparency report reads them with
// Service.DailyCounts.
//
// Who may call it: web (the staff HTTP API), the report (DailyCounts);
// cmd/internal/server builds it. Only the staff member a conversation is
// assigned to (chat's take-part rule) reads or writes its wrap-up; every
// write is audited first and refused when the audit row cannot be written.
//
// Concurrency: Service and both stores are safe for concurrent use; both
// stores pass the same contract (store_test.go).
package wrapup
