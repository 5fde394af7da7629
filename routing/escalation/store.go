package escalation

import (
	"context"
	"time"

	"helpline/chat"
)

// Store keeps escalations and their notes where every instance sees them.
// MemoryStore and PostgresStore both pass the contract in store_test.go.
type Store interface {
	// Raise stores a new escalation, or adds r's note to the open one of the
	// same conversation and reason (for a debrief outside a conversation:
	// of the same counsellor), raising its urgency and bringing its deadline
	// forward if r is more urgent. A request id already stored for that
	// staff member stores nothing and returns the escalation it went to.
	Raise(ctx context.Context, r Raise) (Escalation, Raised, error)
	// Get reads one escalation with its notes; chat.ErrNotFound if none.
	Get(ctx context.Context, id string) (Escalation, error)
	// Acknowledge marks an open escalation acknowledged; changed is false
	// (and nothing is written) if it was already acknowledged or resolved.
	Acknowledge(ctx context.Context, id string, staffID int64, name string, at time.Time) (e Escalation, changed bool, err error)
	// Resolve records the outcome and note of an escalation not resolved
	// yet; changed is false if it was resolved already.
	Resolve(ctx context.Context, id string, staffID int64, name string, outcome Outcome, note Note, at time.Time) (e Escalation, changed bool, err error)
	// Unresolved lists the escalations not resolved, oldest first, without notes.
	Unresolved(ctx context.Context) ([]Escalation, error)
	// ForConversation lists a conversation's escalations with their notes, oldest first.
	ForConversation(ctx context.Context, conversationID string) ([]Escalation, error)
	// RaisedBy lists, without notes, what a staff member raised that is
	// unresolved or was raised since the given time, oldest first.
	RaisedBy(ctx context.Context, staffID int64, since time.Time) ([]Escalation, error)
	// ClaimLate marks every open (unacknowledged) escalation whose deadline
	// is at or before now and that was not re-alerted yet as re-alerted at
	// now, and returns them: each escalation is returned once, ever, by one
	// call of one instance.
	ClaimLate(ctx context.Context, now time.Time) ([]Escalation, error)
	// Expire deletes, with their notes, the escalations that belong to no
	// conversation (debriefs asked at any time) resolved before the cutoff:
	// the others go with their conversation. It returns how many went.
	Expire(ctx context.Context, cutoff time.Time) (int, error)
	// Watching records that a supervisor or admin has the supervisor page
	// open; Watchers lists those seen since the given time.
	Watching(ctx context.Context, staffID int64, role chat.Role, at time.Time) error
	Watchers(ctx context.Context, since time.Time) (map[int64]chat.Role, error)
}

// errNotFound is every refusal and every missing thing: what a caller may
// not see looks exactly like what does not exist.
var errNotFound = chat.Errorf(chat.CodeNotFound, "not found")
