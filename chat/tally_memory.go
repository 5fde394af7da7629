package chat

import (
	"context"
	"time"
)

var _ Tallies = (*MemoryStore)(nil)

// SetRegions sets how the store coarsens a seeker's region for its
// tallies (default: CoarseRegions(nil)). Set it before use.
func (s *MemoryStore) SetRegions(coarse RegionCoarsener) {
	s.mu.Lock()
	s.coarse = coarse
	s.mu.Unlock()
}

// tallyLocked adds tallies; s.mu is held, so they are counted with the
// state change that caused them.
func (s *MemoryStore) tallyLocked(ts []Tally) {
	for _, t := range ts {
		s.tallies[t]++
	}
}

// firstJoinedAt is when the first counsellor joined, or zero.
func (mc *memConversation) firstJoinedAt() time.Time {
	return mc.log.firstSentAt(kindJoined)
}

func (s *MemoryStore) AddTally(_ context.Context, t Tally) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tallies[t]++
	return nil
}

func (s *MemoryStore) TallyCounts(_ context.Context, from, to string) ([]TallyCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums := map[Tally]int64{}
	for t, n := range s.tallies {
		if t.Day >= from && t.Day <= to {
			t.Day = t.Day[:7]
			sums[t] += n
		}
	}
	out := make([]TallyCount, 0, len(sums))
	for t, n := range sums {
		out = append(out, TallyCount{Tally: t, Count: n})
	}
	return out, nil
}
