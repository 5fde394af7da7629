package escalation

import (
	"context"
	"time"
)

// memoryCounts are a MemoryStore's anonymous counts, guarded by its mutex.
type memoryCounts map[[3]string]int64

func (c *memoryCounts) add(counts []Count) {
	if *c == nil {
		*c = memoryCounts{}
	}
	for _, n := range counts {
		(*c)[[3]string{n.Day, n.Field, n.Value}] += n.N
	}
}

var _ Counter = (*MemoryStore)(nil)

// Counts implements Counter.
func (s *MemoryStore) Counts(_ context.Context, from, to time.Time) ([]Count, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first, end := from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly)
	out := []Count{}
	for k, n := range s.counts {
		if k[0] >= first && k[0] < end {
			out = append(out, Count{Day: k[0], Field: k[1], Value: k[2], N: n})
		}
	}
	return out, nil
}
