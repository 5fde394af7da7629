package referral

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// MemoryStore is the Store of a single instance. It is safe for concurrent
// use; all state is behind one mutex.
type MemoryStore struct {
	mu         sync.Mutex
	deliveries map[string]*memoryRow
	partners   map[string]Partner
}

type memoryRow struct {
	d            Delivery
	claimedUntil time.Time
}

func NewMemoryStore() *MemoryStore {
	return &MemoryStore{deliveries: map[string]*memoryRow{}, partners: map[string]Partner{}}
}

func (s *MemoryStore) Enqueue(_ context.Context, d Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.partners[d.PartnerID]; !ok {
		return ErrNotFound
	}
	if _, dup := s.deliveries[d.ID]; dup {
		return nil // the same referral enqueued twice is one delivery
	}
	d.Status, d.Attempts, d.Claim, d.Body = StatusPending, 0, "", slices.Clone(d.Body)
	s.deliveries[d.ID] = &memoryRow{d: d}
	return nil
}

func (s *MemoryStore) Claim(_ context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*memoryRow
	for _, r := range s.deliveries {
		if r.d.Status == StatusPending && !r.d.NextAttempt.After(now) && !r.claimedUntil.After(now) {
			due = append(due, r)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].d.NextAttempt.Before(due[j].d.NextAttempt) })
	if len(due) > limit {
		due = due[:limit]
	}
	claim := newClaim()
	out := make([]Delivery, 0, len(due))
	for _, r := range due {
		r.d.Claim, r.claimedUntil = claim, now.Add(lease)
		d := r.d
		d.Body = slices.Clone(d.Body)
		out = append(out, d)
	}
	return out, nil
}

func (s *MemoryStore) Finish(_ context.Context, id, claim string, o Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.deliveries[id]
	if !ok || r.d.Claim != claim || r.d.Status != StatusPending {
		return ErrLostClaim
	}
	r.d.Status, r.d.Attempts, r.d.LastError = o.Status, o.Attempts, o.LastError
	r.d.Claim, r.claimedUntil = "", time.Time{}
	if o.Status == StatusPending {
		r.d.NextAttempt = o.NextAttempt
	} else {
		r.d.DoneAt = o.At
	}
	return nil
}

func (s *MemoryStore) Withdraw(_ context.Context, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.deliveries[id]
	switch {
	case !ok:
		return ErrNotFound
	case r.d.Status != StatusPending:
		return ErrNotPending
	case r.claimedUntil.After(now):
		return ErrInFlight
	}
	r.d.Status, r.d.DoneAt, r.d.Claim = StatusWithdrawn, now, ""
	return nil
}

// Erase deletes a delivery not delivered yet (pending, claimed or not, or
// dead) and reports whether it did: the conversation it came from was
// erased, so it must never be sent (PostgreSQL does the same by a trigger
// on the referral's deletion, migration 00018).
func (s *MemoryStore) Erase(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.deliveries[id]
	if !ok || (r.d.Status != StatusPending && r.d.Status != StatusDead) {
		return false
	}
	delete(s.deliveries, id)
	return true
}

func (s *MemoryStore) Retry(_ context.Context, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.deliveries[id]
	if !ok {
		return ErrNotFound
	}
	if r.d.Status != StatusDead {
		return ErrNotDead
	}
	r.d.Status, r.d.Attempts, r.d.NextAttempt, r.d.LastError, r.d.DoneAt = StatusPending, 0, now, "", time.Time{}
	return nil
}

func (s *MemoryStore) Get(_ context.Context, id string) (Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.deliveries[id]
	if !ok {
		return Delivery{}, ErrNotFound
	}
	d := r.d
	d.Body = slices.Clone(d.Body)
	return d, nil
}

func (s *MemoryStore) Purge(_ context.Context, doneBefore, deadBefore time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, r := range s.deliveries {
		ended := r.d.Status == StatusDelivered || r.d.Status == StatusWithdrawn
		if (ended && r.d.DoneAt.Before(doneBefore)) || (r.d.Status == StatusDead && r.d.DoneAt.Before(deadBefore)) {
			delete(s.deliveries, id)
			n++
		}
	}
	return n, nil
}

func (s *MemoryStore) PutPartner(_ context.Context, p Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Secrets = slices.Clone(p.Secrets)
	s.partners[p.ID] = p
	return nil
}

func (s *MemoryStore) Partner(_ context.Context, id string) (Partner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partners[id]
	if !ok {
		return Partner{}, ErrNotFound
	}
	p.Secrets = slices.Clone(p.Secrets)
	return p, nil
}

func (s *MemoryStore) DisablePartner(_ context.Context, id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partners[id]
	if !ok {
		return ErrNotFound
	}
	p.Enabled, p.DisabledReason = false, reason
	s.partners[id] = p
	return nil
}
