package escalation

import (
	"context"
	"errors"
	"time"
)

// Counts returns the anonymous counts of the escalations raised on the days
// in [from, to), for the transparency report (Counter; both stores keep them).
func (s *Service) Counts(ctx context.Context, from, to time.Time) ([]Count, error) {
	c, ok := s.store.(Counter)
	if !ok {
		return nil, errors.New("escalation: this store keeps no counts; use MemoryStore or PostgresStore")
	}
	return c.Counts(ctx, from, to)
}
