package answers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

// MemoryStore keeps answers in memory (no DATABASE_URL).
type MemoryStore struct {
	mu      sync.Mutex
	answers map[string]Answer
}

func NewMemoryStore() *MemoryStore { return &MemoryStore{answers: map[string]Answer{}} }

func (m *MemoryStore) Put(_ context.Context, a Answer) error {
	a.Tags = slices.Clone(a.Tags)
	m.mu.Lock()
	m.answers[a.ID] = a
	m.mu.Unlock()
	return nil
}

func (m *MemoryStore) Get(_ context.Context, id string) (Answer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.answers[id]
	if !ok {
		return Answer{}, chat.ErrNotFound
	}
	a.Tags = slices.Clone(a.Tags)
	return a, nil
}

func (m *MemoryStore) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	delete(m.answers, id)
	m.mu.Unlock()
	return nil
}

func (m *MemoryStore) List(_ context.Context) ([]Answer, error) {
	m.mu.Lock()
	out := make([]Answer, 0, len(m.answers))
	for _, a := range m.answers {
		a.Tags = slices.Clone(a.Tags)
		out = append(out, a)
	}
	m.mu.Unlock()
	sortByTitle(out)
	return out, nil
}

func sortByTitle(out []Answer) {
	slices.SortFunc(out, func(x, y Answer) int {
		if c := strings.Compare(fold(x.Title), fold(y.Title)); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
}

// PostgresStore keeps answers in the prepared_answers table. They are staff
// texts, not seekers' words: not sealed.
type PostgresStore struct{ pool *pgxpool.Pool }

func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

func (p *PostgresStore) Put(ctx context.Context, a Answer) error {
	var retired *time.Time
	if a.Retired() {
		retired = &a.RetiredAt
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO prepared_answers (id, language, scope, team, owner_id, title, body, tags, updated_at, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET language = $2, scope = $3, team = $4, owner_id = $5, title = $6, body = $7, tags = $8, updated_at = $9, retired_at = $10`,
		a.ID, a.Language, string(a.Scope), a.Team, a.OwnerID, a.Title, a.Body, nonNil(a.Tags), a.UpdatedAt, retired)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const columns = `id, language, scope, team, owner_id, title, body, tags, updated_at, retired_at`

func scan(row pgx.Row) (Answer, error) {
	var a Answer
	var scope string
	var retired *time.Time
	err := row.Scan(&a.ID, &a.Language, &scope, &a.Team, &a.OwnerID, &a.Title, &a.Body, &a.Tags, &a.UpdatedAt, &retired)
	a.Scope, a.UpdatedAt = Scope(scope), a.UpdatedAt.UTC()
	if retired != nil {
		a.RetiredAt = retired.UTC()
	}
	return a, err
}

func (p *PostgresStore) Get(ctx context.Context, id string) (Answer, error) {
	a, err := scan(p.pool.QueryRow(ctx, `SELECT `+columns+` FROM prepared_answers WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Answer{}, chat.ErrNotFound
	}
	return a, err
}

func (p *PostgresStore) Delete(ctx context.Context, id string) error {
	_, err := p.pool.Exec(ctx, `DELETE FROM prepared_answers WHERE id = $1`, id)
	return err
}

func (p *PostgresStore) List(ctx context.Context) ([]Answer, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+columns+` FROM prepared_answers`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Answer{}
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sortByTitle(out)
	return out, rows.Err()
}
