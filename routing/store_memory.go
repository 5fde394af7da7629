package routing

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"helpline/chat"
)

var _ Store = (*MemoryStore)(nil)

// MemoryStore keeps routing state in memory, for the single-instance server.
type MemoryStore struct {
	mu      sync.Mutex
	members map[int64]Member
	offers  map[string]Offer
	passes  map[string]map[int64]bool
	leader  chan struct{} // holds a token while someone leads
}

func NewMemoryStore() *MemoryStore {
	return &MemoryStore{members: map[int64]Member{}, offers: map[string]Offer{}, passes: map[string]map[int64]bool{},
		leader: make(chan struct{}, 1)}
}

func (s *MemoryStore) Join(_ context.Context, m Member) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.members[m.ID]; ok {
		if old.Status != StatusOffline {
			// Still on shift (a reload, a second console): keep their
			// place in the idle order, as PostgresStore does.
			m.Status, m.IdleSince = old.Status, old.IdleSince
		}
		m.Capacity, m.Misses = old.Capacity, old.Misses
	}
	m.Capacity = clampCapacity(m.Capacity, m.MaxCapacity)
	m.Languages, m.Audiences = slices.Clone(m.Languages), slices.Clone(m.Audiences)
	s.members[m.ID] = m
	return nil
}

// errNotOnTeam answers a status change from someone with no presence row:
// admins do not take conversations, and others have not connected yet.
var errNotOnTeam = chat.Errorf(chat.CodeConflict, "only counsellors and supervisors with the console open take conversations")

func clampCapacity(capacity, maxCapacity int) int {
	if maxCapacity > 0 && capacity > maxCapacity {
		return maxCapacity
	}
	return max(capacity, 1)
}

func (s *MemoryStore) Seen(_ context.Context, ids []int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if m, ok := s.members[id]; ok && at.After(m.SeenAt) {
			m.SeenAt = at
			s.members[id] = m
		}
	}
	return nil
}

func (s *MemoryStore) SetStatus(_ context.Context, id int64, status Status, capacity int) (Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[id]
	if !ok {
		return Member{}, errNotOnTeam
	}
	m.Status = status
	if capacity > 0 {
		m.Capacity = clampCapacity(capacity, m.MaxCapacity)
	}
	if status == StatusAvailable {
		m.Misses = 0
	}
	s.members[id] = m
	return m, nil
}

func (s *MemoryStore) SetMaxCapacity(_ context.Context, id int64, maxCapacity int) (Member, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[id]
	if !ok {
		return Member{}, false, nil
	}
	m.MaxCapacity = maxCapacity
	m.Capacity = clampCapacity(m.Capacity, maxCapacity)
	s.members[id] = m
	return m, true, nil
}

func (s *MemoryStore) SetMisses(_ context.Context, id int64, misses int, status Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.members[id]; ok {
		m.Misses, m.Status = misses, status
		s.members[id] = m
	}
	return nil
}

func (s *MemoryStore) Assigned(_ context.Context, id int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.members[id]; ok {
		m.Misses, m.IdleSince = 0, at
		s.members[id] = m
	}
	return nil
}

func (s *MemoryStore) Members(_ context.Context) ([]Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Member, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *MemoryStore) Member(_ context.Context, id int64) (Member, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[id]
	return m, ok, nil
}

func (s *MemoryStore) OnShift(_ context.Context, seenSince time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.members {
		if m.Status.OnShift() && !m.SeenAt.Before(seenSince) {
			n++
		}
	}
	return n, nil
}

func (s *MemoryStore) List(_ context.Context, listedSince, lapsedBefore time.Time, ids bool) (Listing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var l Listing
	for _, m := range s.members {
		if m.SeenAt.Before(lapsedBefore) {
			l.Lapsed = append(l.Lapsed, m)
		}
		if m.Status == StatusOffline || m.SeenAt.Before(listedSince) {
			continue
		}
		l.count(m)
		if ids {
			l.IDs = append(l.IDs, m.ID)
		}
	}
	slices.Sort(l.IDs)
	sort.Slice(l.Lapsed, func(i, j int) bool { return l.Lapsed[i].ID < l.Lapsed[j].ID })
	return l, nil
}

// count adds a listed member to the listing.
func (l *Listing) count(m Member) {
	l.Listed, l.IDSum = l.Listed+1, l.IDSum+m.ID
	l.Capacity += min(m.Capacity, max(m.MaxCapacity, 1))
	switch m.Status {
	case StatusAvailable:
		l.Available++
	case StatusBusy:
		l.Busy++
	case StatusBreak:
		l.Break++
	}
}

func (s *MemoryStore) PutOffer(_ context.Context, o Offer) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.offers[o.ConversationID]; ok {
		return false, nil
	}
	s.offers[o.ConversationID] = o
	return true, nil
}

func (s *MemoryStore) Offered(_ context.Context, conversationID string, counselorID int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.offers[conversationID]
	return ok && o.CounselorID == counselorID, nil
}

func (s *MemoryStore) TakeOffer(_ context.Context, conversationID string, counselorID int64) (Offer, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.offers[conversationID]
	if !ok || o.CounselorID != counselorID {
		return Offer{}, false, nil
	}
	delete(s.offers, conversationID)
	return o, true, nil
}

func (s *MemoryStore) DeleteOffer(_ context.Context, conversationID string) error {
	s.mu.Lock()
	delete(s.offers, conversationID)
	s.mu.Unlock()
	return nil
}

func (s *MemoryStore) Offers(_ context.Context) ([]Offer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Offer, 0, len(s.offers))
	for _, o := range s.offers {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ConversationID < out[j].ConversationID })
	return out, nil
}

func (s *MemoryStore) AddPass(_ context.Context, conversationID string, counselorID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.passes[conversationID] == nil {
		s.passes[conversationID] = map[int64]bool{}
	}
	s.passes[conversationID][counselorID] = true
	return nil
}

func (s *MemoryStore) ClearPasses(_ context.Context, conversationID string) error {
	s.mu.Lock()
	delete(s.passes, conversationID)
	s.mu.Unlock()
	return nil
}

func (s *MemoryStore) Passes(_ context.Context) (map[string]map[int64]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[int64]bool, len(s.passes))
	for id, set := range s.passes {
		out[id] = make(map[int64]bool, len(set))
		for k := range set {
			out[id][k] = true
		}
	}
	return out, nil
}

// Lead: with one instance, it always leads.
// Lead runs fn while no other caller on this store does, and again (as
// PostgresStore does) if fn returns before ctx ends.
func (s *MemoryStore) Lead(ctx context.Context, fn func(ctx context.Context)) error {
	for ctx.Err() == nil {
		select {
		case s.leader <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		fn(ctx)
		<-s.leader
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	return nil
}
