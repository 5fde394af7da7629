package oversight

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"helpline/chat"
)

var _ Store = (*MemoryStore)(nil)

// MemoryStore keeps everything in process memory, for one instance with
// chat's MemoryStore. Register Forget with (*chat.MemoryStore).OnForget so
// that a conversation's whispers go with it.
type MemoryStore struct {
	mu       sync.Mutex
	exists   func(conversationID string) bool
	whispers map[string][]Whisper         // by conversation
	watches  map[string]map[string]memRow // instance → conversation/staff → row
}

type memRow struct {
	w    Watch
	seen time.Time
}

// NewMemoryStore returns an empty store; exists tells whether a
// conversation exists (chat's store; nil: every one does).
func NewMemoryStore(exists func(conversationID string) bool) *MemoryStore {
	if exists == nil {
		exists = func(string) bool { return true }
	}
	return &MemoryStore{exists: exists, whispers: map[string][]Whisper{}, watches: map[string]map[string]memRow{}}
}

// Forget deletes everything kept about a conversation.
func (s *MemoryStore) Forget(conversationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.whispers, conversationID)
	for _, rows := range s.watches {
		for k, r := range rows {
			if r.w.ConversationID == conversationID {
				delete(rows, k)
			}
		}
	}
}

func (s *MemoryStore) AddWhisper(_ context.Context, w Whisper) (Whisper, bool, error) {
	if !s.exists(w.ConversationID) {
		return Whisper{}, false, chat.ErrNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.whispers[w.ConversationID] {
		if old.StaffID == w.StaffID && old.ClientID == w.ClientID {
			return old, true, nil
		}
	}
	s.whispers[w.ConversationID] = append(s.whispers[w.ConversationID], w)
	return w, false, nil
}

func (s *MemoryStore) Whispers(_ context.Context, conversationID string) ([]Whisper, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.whispers[conversationID]), nil
}

func (s *MemoryStore) SyncWatches(_ context.Context, instance string, watches []Watch, now time.Time) error {
	rows := map[string]memRow{}
	for _, w := range watches {
		if s.exists(w.ConversationID) {
			rows[fmt.Sprint(w.ConversationID, "/", w.StaffID)] = memRow{w: w, seen: now}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watches[instance] = rows
	return nil
}

func (s *MemoryStore) Watches(_ context.Context, ids []string, since time.Time) ([]Watch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Watch
	for _, rows := range s.watches {
		for _, r := range rows {
			if !r.seen.Before(since) && (ids == nil || slices.Contains(ids, r.w.ConversationID)) {
				out = append(out, r.w)
			}
		}
	}
	sortWatches(out)
	return out, nil
}

func sortWatches(ws []Watch) {
	sort.Slice(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if a.ConversationID != b.ConversationID {
			return a.ConversationID < b.ConversationID
		}
		if !a.Since.Equal(b.Since) {
			return a.Since.Before(b.Since)
		}
		return a.StaffID < b.StaffID
	})
}
