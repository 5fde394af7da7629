package care

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Spell is one staff member taking part in one conversation. End is zero
// while it goes on.
type Spell struct {
	StaffID    int64
	Start, End time.Time
	HighRisk   bool // a risk flag was raised in the conversation
	Escalated  bool // an escalation (not a debrief) was raised about it
}

// OpenSpell is a spell still going on, and its conversation.
type OpenSpell struct {
	StaffID        int64
	ConversationID string
}

// Interval is a break; End is zero while it goes on.
type Interval struct{ Start, End time.Time }

// Activity is what a store knows of one staff member since a time.
type Activity struct {
	Spells []Spell
	Breaks []Interval
}

// Mark is what is known of a conversation.
type Mark int

// The marks.
const (
	MarkRiskFlag Mark = iota + 1
	MarkEscalation
)

// Store keeps spells, marks and breaks where every instance sees them.
// MemoryStore and PostgresStore pass the same contract (store_test.go).
type Store interface {
	// Changed records that, from at, exactly holders take part in the
	// conversation: the open spells of everyone else end at at, and a spell
	// begins for each holder without one (marked as the conversation is).
	// It returns the spells it ended.
	Changed(ctx context.Context, conversationID string, holders []int64, at time.Time) ([]Spell, error)
	// Mark marks the conversation's open spells and any spell that begins
	// in it later.
	Mark(ctx context.Context, conversationID string, m Mark, at time.Time) error
	// Break begins a break for the staff member (onBreak; nothing if one is
	// open) or ends the open one.
	Break(ctx context.Context, staffID int64, onBreak bool, at time.Time) error
	// Activity lists, per staff member asked for, the spells and breaks
	// open at or since the given time, oldest first.
	Activity(ctx context.Context, staffIDs []int64, since time.Time) (map[int64]Activity, error)
	// Open lists the spells still open that began before the given time,
	// with their conversation ("" when it was deleted meanwhile).
	Open(ctx context.Context, startedBefore time.Time) ([]OpenSpell, error)
	// EndUnlinked ends, at at, the open spells whose conversation was
	// deleted (one whose end was missed); it returns how many.
	EndUnlinked(ctx context.Context, at time.Time) (int, error)
	// Expire deletes the spells and breaks that ended (or, still open,
	// began) before cutoff, and marks older than it; it returns how many
	// spells and breaks went.
	Expire(ctx context.Context, cutoff time.Time) (int, error)
}

// MemoryStore keeps everything in memory, for one instance. Forget (which
// NewMemoryStore's caller registers with chat.MemoryStore.OnForget) does
// what PostgreSQL's foreign keys do when a conversation is deleted.
type MemoryStore struct {
	mu     sync.Mutex
	spells []memSpell
	marks  map[string]memMark
	breaks map[int64][]Interval
}

type memSpell struct {
	Spell
	conversationID string
}

type memMark struct {
	highRisk, escalated bool
	at                  time.Time
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{marks: map[string]memMark{}, breaks: map[int64][]Interval{}}
}

var (
	_ Store = (*MemoryStore)(nil)
	_ Store = (*PostgresStore)(nil)
)

// Forget drops a deleted conversation's marks and its spells' link to it.
func (s *MemoryStore) Forget(conversationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.marks, conversationID)
	for i := range s.spells {
		if s.spells[i].conversationID == conversationID {
			s.spells[i].conversationID = ""
		}
	}
}

func (s *MemoryStore) Changed(_ context.Context, conversationID string, holders []int64, at time.Time) ([]Spell, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ended []Spell
	open := map[int64]bool{}
	for i := range s.spells {
		sp := &s.spells[i]
		if sp.conversationID != conversationID || !sp.End.IsZero() {
			continue
		}
		if slices.Contains(holders, sp.StaffID) {
			open[sp.StaffID] = true
			continue
		}
		sp.End = at
		ended = append(ended, sp.Spell)
	}
	m := s.marks[conversationID]
	for _, id := range holders {
		if id != 0 && !open[id] {
			open[id] = true
			s.spells = append(s.spells, memSpell{Spell{StaffID: id, Start: at, HighRisk: m.highRisk, Escalated: m.escalated}, conversationID})
		}
	}
	return ended, nil
}

func (s *MemoryStore) Mark(_ context.Context, conversationID string, mark Mark, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.marks[conversationID]
	m.highRisk = m.highRisk || mark == MarkRiskFlag || mark == MarkEscalation
	m.escalated = m.escalated || mark == MarkEscalation
	m.at = at
	s.marks[conversationID] = m
	for i := range s.spells {
		if sp := &s.spells[i]; sp.conversationID == conversationID && sp.End.IsZero() {
			sp.HighRisk, sp.Escalated = sp.HighRisk || m.highRisk, sp.Escalated || m.escalated
		}
	}
	return nil
}

func (s *MemoryStore) Break(_ context.Context, staffID int64, onBreak bool, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	bs := s.breaks[staffID]
	openNow := len(bs) > 0 && bs[len(bs)-1].End.IsZero()
	switch {
	case onBreak && !openNow:
		s.breaks[staffID] = append(bs, Interval{Start: at})
	case !onBreak && openNow:
		bs[len(bs)-1].End = at
	}
	return nil
}

func (s *MemoryStore) Activity(_ context.Context, staffIDs []int64, since time.Time) (map[int64]Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]Activity, len(staffIDs))
	for _, id := range staffIDs {
		var a Activity
		for _, sp := range s.spells {
			if sp.StaffID == id && (sp.End.IsZero() || !sp.End.Before(since)) {
				a.Spells = append(a.Spells, sp.Spell)
			}
		}
		for _, b := range s.breaks[id] {
			if b.End.IsZero() || !b.End.Before(since) {
				a.Breaks = append(a.Breaks, b)
			}
		}
		slices.SortStableFunc(a.Spells, func(x, y Spell) int { return x.Start.Compare(y.Start) })
		out[id] = a
	}
	return out, nil
}

func (s *MemoryStore) Open(_ context.Context, startedBefore time.Time) ([]OpenSpell, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []OpenSpell
	for _, sp := range s.spells {
		if sp.End.IsZero() && sp.Start.Before(startedBefore) {
			out = append(out, OpenSpell{StaffID: sp.StaffID, ConversationID: sp.conversationID})
		}
	}
	return out, nil
}

func (s *MemoryStore) EndUnlinked(_ context.Context, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := range s.spells {
		if sp := &s.spells[i]; sp.End.IsZero() && sp.conversationID == "" {
			sp.End = at
			n++
		}
	}
	return n, nil
}

func (s *MemoryStore) Expire(_ context.Context, cutoff time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.spells)
	s.spells = slices.DeleteFunc(s.spells, func(sp memSpell) bool { return before(sp.Start, sp.End, cutoff) })
	n -= len(s.spells)
	for id, bs := range s.breaks {
		kept := slices.DeleteFunc(bs, func(b Interval) bool { return before(b.Start, b.End, cutoff) })
		n += len(bs) - len(kept)
		s.breaks[id] = kept
	}
	for id, m := range s.marks {
		if m.at.Before(cutoff) {
			delete(s.marks, id)
		}
	}
	return n, nil
}

// before reports whether an interval ended before cutoff, or, still open,
// began before it.
func before(start, end, cutoff time.Time) bool {
	if end.IsZero() {
		return start.Before(cutoff)
	}
	return end.Before(cutoff)
}
