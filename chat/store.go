package chat

import (
	"context"
	"time"
)

// Store is the store of record for conversations and messages. Two
// implementations exist, MemoryStore and PostgresStore; both pass the same
// suite (store_test.go).
type Store interface {
	// CreateConversation opens a new waiting conversation.
	CreateConversation(ctx context.Context, n NewConversation) (Conversation, error)
	// Conversation returns one conversation or ErrNotFound.
	Conversation(ctx context.Context, id string) (Conversation, error)
	// AppendBatch stores many messages at once, in order, and returns one result
	// per request. Each stored message gets the next gap-free sequence number of
	// its conversation. A request whose (conversation, sender, client id) is
	// already stored is not stored again: its result is the earlier message with
	// Duplicate set. A seeker may write while the conversation is not ended; a
	// counsellor only while it is assigned to them or they joined it
	// (JoinStaff; else ErrNotFound).
	AppendBatch(ctx context.Context, batch []Append) []AppendResult
	// Messages returns up to limit messages with seq > afterSeq, in order.
	Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error)
	// Assign gives a waiting conversation to a counsellor whose number of
	// active conversations is below capacity, and stores the "joined" event.
	// It fails with CodeConflict if the conversation is no longer waiting or
	// the counsellor is full; concurrent calls assign a conversation once.
	Assign(ctx context.Context, conversationID string, counselorID int64, name string, capacity int) (Conversation, Message, error)
	// End ends a conversation and stores the "ended" event. Ending an ended
	// conversation is a CodeConflict error.
	End(ctx context.Context, conversationID, endedBy string) (Conversation, Message, error)
	// Requeue puts an active conversation back in the queue with a priority
	// (or the higher one it already had, such as PriorityRisk, and its reason),
	// an optional required skill, and pass added to the counsellors not to
	// offer it to again; it stores the "requeued" event.
	Requeue(ctx context.Context, conversationID, reason string, priority int, skill Audience, pass int64) (Conversation, Message, error)
	// Reassign moves an active conversation from one counsellor to another
	// with free capacity and stores the "transferred" event. Requeue and
	// Reassign both end a JoinStaff: the colleague who joined is out.
	Reassign(ctx context.Context, conversationID string, from, to int64, toName string, capacity int) (Conversation, Message, error)
	// Prioritize raises a waiting conversation's priority to priority, with
	// the reason staff see for it, when that is higher than the priority it
	// has; it reports whether it did. A conversation not waiting is left
	// as it is (false, nil); an unknown one is ErrNotFound.
	Prioritize(ctx context.Context, conversationID string, priority int, reason string) (bool, error)
	// JoinStaff makes a staff member the second participant of an active
	// conversation (Conversation.JoinedID) and stores the "staff_joined"
	// event. Joining again is no change (a zero Message); joining one that
	// another colleague joined, or one's own, is a CodeConflict error.
	JoinStaff(ctx context.Context, conversationID string, staffID int64, name string) (Conversation, Message, error)
	// LeaveStaff ends that and stores the "staff_left" event; a staff
	// member who has not joined it, or a conversation no longer active,
	// leaves nothing (a zero Message).
	LeaveStaff(ctx context.Context, conversationID string, staffID int64) (Conversation, Message, error)
	// TouchSeekers records that these conversations' seekers are connected.
	// Only waiting conversations keep it (Requeue restarts it); it may skip
	// a conversation that is busy at that moment.
	TouchSeekers(ctx context.Context, ids []string, at time.Time) error
	// AddNote stores a private handover note; Notes lists them oldest first.
	AddNote(ctx context.Context, n Note) error
	Notes(ctx context.Context, conversationID string) ([]Note, error)
	// Waiting lists waiting conversations in queue order: higher priority
	// first, then longest waiting.
	Waiting(ctx context.Context) ([]Conversation, error)
	// ActiveCounts returns how many active conversations each counsellor holds.
	ActiveCounts(ctx context.Context) (map[int64]int, error)
	// ActiveFor lists the conversations assigned to a counsellor and not ended.
	ActiveFor(ctx context.Context, counselorID int64) ([]Conversation, error)
}

// Clock tells the time; tests inject a fake one.
type Clock func() time.Time
