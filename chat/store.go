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
	// counsellor only while it is assigned to them (else ErrNotFound).
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
	// Waiting lists waiting conversations, longest-waiting first.
	Waiting(ctx context.Context) ([]Conversation, error)
	// ActiveFor lists the conversations assigned to a counsellor and not ended.
	ActiveFor(ctx context.Context, counselorID int64) ([]Conversation, error)
}

// Clock tells the time; tests inject a fake one.
type Clock func() time.Time
