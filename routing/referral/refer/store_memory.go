package refer

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"helpline/routing/referral"
)

// MemoryStore is the Store of a single instance. Its outbox is the memory
// outbox it is given, so that Consent writes both under one lock. Register
// Forget with (*chat.MemoryStore).OnForget so records go with their
// conversation.
type MemoryStore struct {
	mu     sync.Mutex
	outbox referral.Store
	rows   map[string]Referral
	counts map[string]map[string]int64 // day (YYYY-MM-DD) → event → n
}

func NewMemoryStore(outbox referral.Store) *MemoryStore {
	return &MemoryStore{outbox: outbox, rows: map[string]Referral{}, counts: map[string]map[string]int64{}}
}

// Forget deletes a conversation's referrals (its counts stay), and the
// outbox row of any consented one not delivered yet, so that nothing is
// sent after the conversation is erased.
func (s *MemoryStore) Forget(conversationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	eraser, _ := s.outbox.(interface{ Erase(id string) bool })
	for id, r := range s.rows {
		if r.ConversationID == conversationID {
			if r.Warm == WarmConsented && r.DeliveryID != "" && eraser != nil {
				eraser.Erase(r.DeliveryID)
			}
			delete(s.rows, id)
		}
	}
}

func (s *MemoryStore) count(event string, now time.Time) {
	k := day(now).Format(time.DateOnly)
	if s.counts[k] == nil {
		s.counts[k] = map[string]int64{}
	}
	s.counts[k][event]++
}

func (s *MemoryStore) Add(_ context.Context, r Referral) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.rows[r.ID]; ok {
		return old, nil
	}
	s.rows[r.ID] = r
	s.count(CountCard, r.CreatedAt)
	return r, nil
}

func (s *MemoryStore) Get(_ context.Context, id string) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return Referral{}, ErrNotFound
	}
	return r, nil
}

func (s *MemoryStore) find(match func(Referral) bool) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows {
		if match(r) {
			return r, nil
		}
	}
	return Referral{}, ErrNotFound
}

func (s *MemoryStore) ByDelivery(_ context.Context, deliveryID string) (Referral, error) {
	return s.find(func(r Referral) bool { return deliveryID != "" && r.DeliveryID == deliveryID })
}

func (s *MemoryStore) ByCode(_ context.Context, partnerID, code string) (Referral, error) {
	return s.find(func(r Referral) bool { return r.PartnerID == partnerID && r.Code == code && r.DeliveryID != "" })
}

func (s *MemoryStore) ForConversation(_ context.Context, conversationID string) ([]Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Referral
	for _, r := range s.rows {
		if r.ConversationID == conversationID {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

func (s *MemoryStore) Offer(_ context.Context, id, partnerID string, now time.Time) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	switch {
	case !ok:
		return Referral{}, ErrNotFound
	case r.Warm == WarmOffered && r.PartnerID == partnerID:
		return r, nil
	case r.Warm != WarmNone:
		return r, ErrState
	}
	r.Warm, r.PartnerID = WarmOffered, partnerID
	s.rows[id] = r
	s.count(CountWarmOffered, now)
	return r, nil
}

func (s *MemoryStore) Consent(ctx context.Context, id string, d referral.Delivery, now time.Time) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return Referral{}, ErrNotFound
	}
	if r.Warm != WarmOffered {
		return r, ErrState
	}
	if err := s.outbox.Enqueue(ctx, d); err != nil {
		return r, err
	}
	r.Warm, r.DeliveryID = WarmConsented, d.ID
	s.rows[id] = r
	s.count(CountConsented, now)
	return r, nil
}

func (s *MemoryStore) SetWarm(_ context.Context, id string, from []Warm, to Warm, count string, now time.Time) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return Referral{}, ErrNotFound
	}
	if !slices.Contains(from, r.Warm) {
		return r, ErrState
	}
	r.Warm = to
	s.rows[id] = r
	s.count(count, now)
	return r, nil
}

func (s *MemoryStore) ContactMade(_ context.Context, id string, now time.Time) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return Referral{}, ErrNotFound
	}
	if r.ContactMadeAt.IsZero() {
		r.ContactMadeAt = now
		s.rows[id] = r
		s.count(CountContactMade, now)
	}
	return r, nil
}

func (s *MemoryStore) Counts(_ context.Context, from, to time.Time) (map[string]map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int64{}
	for k, events := range s.counts {
		d, _ := time.Parse(time.DateOnly, k)
		if !d.Before(day(from)) && d.Before(to) {
			out[k] = maps(events)
		}
	}
	return out, nil
}

func maps(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
