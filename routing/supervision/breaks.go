package supervision

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/routing"
)

// Break is a member's status since when, and when their last break ended
// (zero: none since the record began).
type Break struct {
	Status       routing.Status
	Since        time.Time
	BreakEndedAt time.Time
}

// BreakStore records status changes and answers for breaks. Changed
// records a member's status at a time (a repeat of the same status changes
// nothing); Breaks reads the given members' rows (absent: no record).
type BreakStore interface {
	Changed(ctx context.Context, staffID int64, status routing.Status, at time.Time) error
	Breaks(ctx context.Context, ids []int64) (map[int64]Break, error)
}

var (
	_ BreakStore = (*MemoryBreaks)(nil)
	_ BreakStore = (*PostgresBreaks)(nil)
)

// next is the rule both stores follow.
func next(old Break, had bool, status routing.Status, at time.Time) Break {
	if had && old.Status == status {
		return old
	}
	b := Break{Status: status, Since: at, BreakEndedAt: old.BreakEndedAt}
	if had && old.Status == routing.StatusBreak {
		b.BreakEndedAt = at
	}
	return b
}

// MemoryBreaks keeps breaks in memory.
type MemoryBreaks struct {
	mu   sync.Mutex
	rows map[int64]Break
}

func NewMemoryBreaks() *MemoryBreaks { return &MemoryBreaks{rows: map[int64]Break{}} }

func (s *MemoryBreaks) Changed(_ context.Context, staffID int64, status routing.Status, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.rows[staffID]
	s.rows[staffID] = next(old, had, status, at)
	return nil
}

func (s *MemoryBreaks) Breaks(_ context.Context, ids []int64) (map[int64]Break, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]Break, len(ids))
	for _, id := range ids {
		if b, ok := s.rows[id]; ok {
			out[id] = b
		}
	}
	return out, nil
}

// PostgresBreaks keeps breaks in staff_breaks, shared by every instance.
type PostgresBreaks struct{ pool chat.PostgresPool }

func NewPostgresBreaks(pool *pgxpool.Pool) *PostgresBreaks {
	return &PostgresBreaks{pool: chat.PostgresPool{Pool: pool}}
}

func (s *PostgresBreaks) Changed(ctx context.Context, staffID int64, status routing.Status, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO staff_breaks AS b (staff_id, status, status_since) VALUES ($1, $2, $3)
		ON CONFLICT (staff_id) DO UPDATE SET status = excluded.status,
			status_since = CASE WHEN b.status = excluded.status THEN b.status_since ELSE excluded.status_since END,
			break_ended_at = CASE WHEN b.status = 'break' AND excluded.status <> 'break' THEN excluded.status_since ELSE b.break_ended_at END`,
		staffID, string(status), at)
	return err
}

func (s *PostgresBreaks) Breaks(ctx context.Context, ids []int64) (map[int64]Break, error) {
	rows, err := s.pool.Query(ctx, `SELECT staff_id, status, status_since, coalesce(break_ended_at, 'epoch') FROM staff_breaks
		WHERE staff_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]Break, len(ids))
	for rows.Next() {
		var id int64
		var b Break
		if err := rows.Scan(&id, &b.Status, &b.Since, &b.BreakEndedAt); err != nil {
			return nil, err
		}
		if b.BreakEndedAt.Unix() == 0 {
			b.BreakEndedAt = time.Time{}
		}
		out[id] = b
	}
	return out, rows.Err()
}
