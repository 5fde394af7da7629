package escalation

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"helpline/chat"
)

// MemoryStore keeps escalations in memory, for one instance, beside the
// chat memory store whose conversations they belong to: it refuses one for
// a conversation that store does not have, and forgets a conversation's
// escalations when that store does (OnForget), as the foreign key and ON
// DELETE CASCADE do on PostgreSQL.
type MemoryStore struct {
	chat     *chat.MemoryStore
	mu       sync.Mutex
	byID     map[string]*Escalation
	order    []string          // ids, oldest first
	requests map[string]string // staff id + request id → escalation id
	watchers map[int64]watcher
	counts   memoryCounts // the transparency report's (counts_memory.go)
}

type watcher struct {
	role chat.Role
	at   time.Time
}

// NewMemoryStore returns an empty store beside conversations (nil: no
// check, nothing forgotten), registering Forget with it.
func NewMemoryStore(conversations *chat.MemoryStore) *MemoryStore {
	s := &MemoryStore{chat: conversations, byID: map[string]*Escalation{}, requests: map[string]string{}, watchers: map[int64]watcher{}}
	if conversations != nil {
		conversations.OnForget(s.Forget)
	}
	return s
}

var _ Store = (*MemoryStore)(nil)

func requestKey(staffID int64, requestID string) string {
	return strconv.FormatInt(staffID, 10) + "\x00" + requestID
}

// Forget deletes a conversation's escalations and their notes.
func (s *MemoryStore) Forget(conversationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = slices.DeleteFunc(s.order, func(id string) bool {
		if e := s.byID[id]; e.ConversationID == conversationID {
			delete(s.byID, id)
			return true
		}
		return false
	})
	for k, id := range s.requests {
		if s.byID[id] == nil {
			delete(s.requests, k)
		}
	}
}

func (s *MemoryStore) Raise(ctx context.Context, r Raise) (Escalation, Raised, error) {
	if s.chat != nil && r.ConversationID != "" {
		if _, err := s.chat.Conversation(ctx, r.ConversationID); err != nil {
			return Escalation{}, 0, errNotFound
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := requestKey(r.StaffID, r.RequestID)
	if id, ok := s.requests[key]; ok && r.RequestID != "" {
		return s.copyOf(s.byID[id], true), Repeated, nil
	}
	note := Note{ID: r.NoteID, StaffID: r.StaffID, StaffName: r.StaffName, Kind: NoteRaise, Body: r.Note, At: r.At}
	for _, id := range s.order {
		e := s.byID[id]
		if e.Status == StatusResolved || e.Reason != r.Reason || e.ConversationID != r.ConversationID ||
			(r.ConversationID == "" && e.RaisedBy != r.StaffID) {
			continue
		}
		e.Urgency = moreUrgent(e.Urgency, r.Urgency)
		if r.DueAt.Before(e.DueAt) {
			e.DueAt = r.DueAt
		}
		e.Notes = append(e.Notes, note)
		if r.RequestID != "" {
			s.requests[key] = e.ID
		}
		return s.copyOf(e, true), Added, nil
	}
	e := &Escalation{ID: r.ID, ConversationID: r.ConversationID, RaisedBy: r.StaffID, RaisedByName: r.StaffName,
		Reason: r.Reason, Urgency: r.Urgency, Status: StatusOpen, RaisedAt: r.At, DueAt: r.DueAt,
		NobodyOnShift: r.NobodyOnShift, Notes: []Note{note}}
	s.byID[e.ID] = e
	s.order = append(s.order, e.ID)
	s.counts.add(raisedCounts(*e))
	if r.RequestID != "" {
		s.requests[key] = e.ID
	}
	return s.copyOf(e, true), Created, nil
}

func (s *MemoryStore) copyOf(e *Escalation, notes bool) Escalation {
	c := *e
	c.Notes = nil
	if notes {
		c.Notes = slices.Clone(e.Notes)
	}
	return c
}

func (s *MemoryStore) Get(_ context.Context, id string) (Escalation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return Escalation{}, errNotFound
	}
	return s.copyOf(e, true), nil
}

func (s *MemoryStore) Acknowledge(_ context.Context, id string, staffID int64, name string, at time.Time) (Escalation, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return Escalation{}, false, errNotFound
	}
	if e.Status != StatusOpen {
		return s.copyOf(e, false), false, nil
	}
	e.Status, e.AckBy, e.AckByName, e.AckAt = StatusAcknowledged, staffID, name, at
	s.counts.add(acknowledgedCounts(*e))
	return s.copyOf(e, false), true, nil
}

func (s *MemoryStore) Resolve(_ context.Context, id string, staffID int64, name string, outcome Outcome, note Note, at time.Time) (Escalation, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return Escalation{}, false, errNotFound
	}
	if e.Status == StatusResolved {
		return s.copyOf(e, false), false, nil
	}
	wasOpen := e.AckAt.IsZero()
	if wasOpen { // resolving answers it too
		e.AckBy, e.AckByName, e.AckAt = staffID, name, at
	}
	e.Status, e.ResolvedBy, e.ResolvedByName, e.ResolvedAt, e.Outcome = StatusResolved, staffID, name, at, outcome
	s.counts.add(resolvedCounts(*e, wasOpen))
	e.Notes = append(e.Notes, note)
	return s.copyOf(e, false), true, nil
}

func (s *MemoryStore) list(match func(*Escalation) bool, notes bool) []Escalation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Escalation{}
	for _, id := range s.order {
		if e := s.byID[id]; match(e) {
			out = append(out, s.copyOf(e, notes))
		}
	}
	return out
}

func (s *MemoryStore) Unresolved(context.Context) ([]Escalation, error) {
	return s.list(func(e *Escalation) bool { return e.Status != StatusResolved }, false), nil
}

func (s *MemoryStore) ForConversation(_ context.Context, conversationID string) ([]Escalation, error) {
	return s.list(func(e *Escalation) bool { return conversationID != "" && e.ConversationID == conversationID }, true), nil
}

func (s *MemoryStore) RaisedBy(_ context.Context, staffID int64, since time.Time) ([]Escalation, error) {
	return s.list(func(e *Escalation) bool {
		return e.RaisedBy == staffID && (e.Status != StatusResolved || !e.RaisedAt.Before(since))
	}, false), nil
}

func (s *MemoryStore) ClaimLate(_ context.Context, now time.Time) ([]Escalation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Escalation{}
	for _, id := range s.order {
		e := s.byID[id]
		if e.Status == StatusOpen && e.LateAlertedAt.IsZero() && !e.DueAt.After(now) {
			e.LateAlertedAt = now
			s.counts.add(lateCounts(*e))
			out = append(out, s.copyOf(e, false))
		}
	}
	return out, nil
}

func (s *MemoryStore) Watching(_ context.Context, staffID int64, role chat.Role, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchers[staffID] = watcher{role, at}
	return nil
}

func (s *MemoryStore) Watchers(_ context.Context, since time.Time) (map[int64]chat.Role, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]chat.Role{}
	for id, w := range s.watchers {
		if !w.at.Before(since) {
			out[id] = w.role
		}
	}
	return out, nil
}

func (s *MemoryStore) Expire(_ context.Context, cutoff time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	s.order = slices.DeleteFunc(s.order, func(id string) bool {
		e := s.byID[id]
		if e.ConversationID == "" && e.Status == StatusResolved && e.ResolvedAt.Before(cutoff) {
			delete(s.byID, id)
			n++
			return true
		}
		return false
	})
	for k, id := range s.requests {
		if s.byID[id] == nil {
			delete(s.requests, k)
		}
	}
	return n, nil
}
