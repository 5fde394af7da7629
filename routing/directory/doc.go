// Package directory keeps the referral directory: the local intervention
// services a counsellor can refer a person to, the organisations that run
// them, where each is offered, to whom, in which languages, how to reach it
// and when it is open.
//
// It owns the Service and Organization records and their validation
// (service.go), the Store behind them with a memory and a PostgreSQL
// implementation that pass one contract suite (store*.go), the ranking of
// services by fit for one person (search.go), import and export of the Open
// Referral HSDS 3.0 subset as JSON and CSV (hsds*.go), and the fictional
// sample directory used in demo mode (sample.go, sample/*.json).
//
// Callers: the server wiring (cmd/internal/server), the command line
// (cmd/helpline: `helpline directory import|export`) and, later, the admin
// pages and the counsellor's search in a conversation. directory imports
// nothing of chat, counselors or web: it is a leaf under routing, and routing
// itself does not import it.
//
// Auditing: every change goes through Directory, which writes one audit entry
// per change to an Auditor the caller passes in (counselors.Service satisfies
// it), after the change is stored. The audit log lives in counselors/, and
// this package does not import it; a change whose audit entry cannot be
// written is still made, and the error is returned so the caller can say so.
//
// Concurrency: Directory, MemoryStore and PostgresStore are safe for use by
// many goroutines at once. Search and the HSDS readers and writers are pure
// functions over the values passed in; they start no goroutine and read the
// time only from their arguments. An import is all or nothing: the store
// applies it in one transaction (one lock for the memory store).
package directory
