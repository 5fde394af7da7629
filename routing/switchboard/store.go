package switchboard

import (
	"context"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

var (
	_ Store = (*MemoryStore)(nil)
	_ Store = (*PostgresStore)(nil)
)

// MemoryStore keeps the pauses in memory (one instance, until it stops).
type MemoryStore struct {
	mu     sync.Mutex
	pauses []Pause
}

func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

func (s *MemoryStore) Put(_ context.Context, p Pause) (Pause, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.pauses {
		if q.Audience == p.Audience && q.Language == p.Language {
			return q, false, nil
		}
	}
	s.pauses = append(s.pauses, p)
	return p, true, nil
}

func (s *MemoryStore) Delete(_ context.Context, audience chat.Audience, language string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.pauses)
	s.pauses = slices.DeleteFunc(s.pauses, func(q Pause) bool { return q.Audience == audience && q.Language == language })
	return len(s.pauses) < n, nil
}

func (s *MemoryStore) List(context.Context) ([]Pause, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pauses), nil
}

// PostgresStore keeps the pauses in switchboard_pauses, shared by every
// instance.
type PostgresStore struct {
	pool chat.PostgresPool
}

func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore {
	return &PostgresStore{pool: chat.PostgresPool{Pool: pool}}
}

const pauseColumns = `audience, language, paused_by, paused_by_name, paused_at`

func scanPause(row pgx.Row) (Pause, error) {
	var p Pause
	err := row.Scan(&p.Audience, &p.Language, &p.ByID, &p.ByName, &p.Since)
	p.Since = p.Since.UTC()
	return p, err
}

func (s *PostgresStore) Put(ctx context.Context, p Pause) (Pause, bool, error) {
	// One statement, so that a resume at the same moment cannot fall between
	// "it is there" and reading it: a pause already standing is "updated" to
	// itself and returned as it is (xmax 0 tells a new row from that).
	var stands Pause
	var created bool
	err := s.pool.QueryRow(ctx, `INSERT INTO switchboard_pauses (`+pauseColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (audience, language) DO UPDATE SET paused_by = switchboard_pauses.paused_by
		RETURNING `+pauseColumns+`, xmax = 0`, p.Audience, p.Language, p.ByID, p.ByName, p.Since).
		Scan(&stands.Audience, &stands.Language, &stands.ByID, &stands.ByName, &stands.Since, &created)
	stands.Since = stands.Since.UTC()
	return stands, created && err == nil, err
}

func (s *PostgresStore) Delete(ctx context.Context, audience chat.Audience, language string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM switchboard_pauses WHERE audience = $1 AND language = $2`, audience, language)
	return err == nil && tag.RowsAffected() > 0, err
}

func (s *PostgresStore) List(ctx context.Context) ([]Pause, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pauseColumns+` FROM switchboard_pauses ORDER BY paused_at, audience, language`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Pause, error) { return scanPause(r) })
}
