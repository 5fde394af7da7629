package flood

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MemoryStore is the Store of a single instance.
type MemoryStore struct {
	mu    sync.Mutex
	state State
	spent map[string]time.Time
}

func NewMemoryStore() *MemoryStore { return &MemoryStore{spent: map[string]time.Time{}} }

func (m *MemoryStore) State(context.Context) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state, nil
}

func (m *MemoryStore) Set(_ context.Context, s State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = s
	return nil
}

func (m *MemoryStore) Spend(_ context.Context, id string, expires, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, until := range m.spent {
		if !now.Before(until) {
			delete(m.spent, k)
		}
	}
	if _, used := m.spent[id]; used {
		return false, nil
	}
	m.spent[id] = expires
	return true, nil
}

// PostgresStore keeps the switch and the spent ids in the tables of
// migration 00018, so every instance reads the same.
type PostgresStore struct{ pool *pgxpool.Pool }

func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

func (p *PostgresStore) State(ctx context.Context) (State, error) {
	var s State
	err := p.pool.QueryRow(ctx, `SELECT enabled, by_staff, by_name, since FROM flood_switch WHERE id`).Scan(&s.On, &s.ByID, &s.By, &s.Since)
	if errors.Is(err, pgx.ErrNoRows) {
		return State{}, nil
	}
	return s, err
}

func (p *PostgresStore) Set(ctx context.Context, s State) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO flood_switch (id, enabled, by_staff, by_name, since) VALUES (true, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET enabled = $1, by_staff = $2, by_name = $3, since = $4`, s.On, s.ByID, s.By, s.Since)
	return err
}

func (p *PostgresStore) Spend(ctx context.Context, id string, expires, now time.Time) (bool, error) {
	if _, err := p.pool.Exec(ctx, `DELETE FROM flood_spent WHERE expires_at <= $1`, now); err != nil {
		return false, err
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO flood_spent (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, expires)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}
