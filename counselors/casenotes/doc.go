// Package casenotes owns private case notes: short texts staff write beside
// a conversation, which seekers never see. Only staff who may read the
// conversation itself (chat's rule: the counsellor it is assigned to,
// supervisors and admins) read or write them; every read and write is
// written to the audit log first and refused when it cannot be (fail
// closed). On PostgreSQL they are sealed like message bodies and go with
// their conversation (ON DELETE CASCADE); in memory, through
// (*chat.MemoryStore).OnForget.
//
// Who may call it: web (the staff HTTP API); cmd/internal/server builds it.
//
// Concurrency: Service and both stores are safe for concurrent use; both
// stores pass the same contract (store_test.go).
package casenotes
