package oversight

import (
	"context"
	"time"
)

// Whisper is a supervisor's note to a conversation's counsellor(s).
type Whisper struct {
	ID             string
	ConversationID string
	StaffID        int64
	StaffName      string
	ClientID       string // chosen by the writer: a retry stores nothing new
	Body           string
	CreatedAt      time.Time
}

// StaffRef names a staff member on a list (who is watching).
type StaffRef struct {
	ID   string `json:"id"` // as in the team list
	Name string `json:"name"`
	Role string `json:"role"` // supervisor or admin
}

// Watch is one staff member watching one conversation from one instance.
type Watch struct {
	ConversationID string
	StaffID        int64
	Name           string
	Role           string
	Since          time.Time
}

// Store keeps whispers and the watcher rows. MemoryStore and PostgresStore
// pass the same suite (store_test.go).
type Store interface {
	// AddWhisper stores w (ID and CreatedAt set by the caller), unless a
	// whisper with its conversation, staff member and client id is stored
	// already: then it returns that one and true. A conversation that does
	// not exist is chat.ErrNotFound.
	AddWhisper(ctx context.Context, w Whisper) (Whisper, bool, error)
	// Whispers lists a conversation's whispers, oldest first.
	Whispers(ctx context.Context, conversationID string) ([]Whisper, error)
	// SyncWatches makes the rows of instance exactly watches (for
	// conversations that still exist), all seen at now.
	SyncWatches(ctx context.Context, instance string, watches []Watch, now time.Time) error
	// Watches lists the rows seen since then, of the conversations named
	// (every conversation when ids is nil), by conversation, then since.
	Watches(ctx context.Context, ids []string, since time.Time) ([]Watch, error)
}
