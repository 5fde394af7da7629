package riskflag

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MemoryLists keeps the lists' versions in memory (one instance).
type MemoryLists struct {
	mu       sync.Mutex
	versions []StoredList // oldest first; the revision is its length
}

// NewMemoryLists returns an empty store.
func NewMemoryLists() *MemoryLists { return &MemoryLists{} }

func (m *MemoryLists) Add(_ context.Context, l StoredList) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.versions {
		if v.Name == l.Name && v.Version == l.Version {
			return false, nil
		}
	}
	l.File = copyFile(l.File)
	m.versions = append(m.versions, l)
	return true, nil
}

func (m *MemoryLists) Revision(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.versions)), nil
}

func (m *MemoryLists) Current(context.Context) ([]StoredList, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	newest := map[string]StoredList{}
	for _, v := range m.versions {
		newest[v.Name] = v
	}
	out := make([]StoredList, 0, len(newest))
	for _, v := range newest {
		v.File = copyFile(v.File)
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b StoredList) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (m *MemoryLists) Versions(_ context.Context, name string) ([]ListInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []ListInfo{}
	for _, v := range m.versions {
		if v.Name == name {
			out = append(out, v.ListInfo)
		}
	}
	slices.Reverse(out)
	return out, nil
}

// PostgresLists keeps the lists' versions in risk_phrase_lists (migration
// 00017), shared by every instance. The phrases are the service's words,
// not a seeker's: not sealed.
type PostgresLists struct{ pool *pgxpool.Pool }

// NewPostgresLists returns a store on a migrated pool.
func NewPostgresLists(pool *pgxpool.Pool) *PostgresLists { return &PostgresLists{pool: pool} }

func (p *PostgresLists) Add(ctx context.Context, l StoredList) (bool, error) {
	body, err := json.Marshal(l.File)
	if err != nil {
		return false, err
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO risk_phrase_lists (name, version, list, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name, version) DO NOTHING`, l.Name, l.Version, body, l.CreatedBy, l.CreatedAt.UTC())
	return err == nil && tag.RowsAffected() == 1, err
}

// Revision is the highest seq: an index lookup.
func (p *PostgresLists) Revision(ctx context.Context) (int64, error) {
	var rev int64
	err := p.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM risk_phrase_lists`).Scan(&rev)
	return rev, err
}

func (p *PostgresLists) Current(ctx context.Context) ([]StoredList, error) {
	rows, err := p.pool.Query(ctx, `SELECT DISTINCT ON (name) name, version, created_by, created_at, list
		FROM risk_phrase_lists ORDER BY name, seq DESC`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoredList, error) {
		var l StoredList
		var body []byte
		if err := r.Scan(&l.Name, &l.Version, &l.CreatedBy, &l.CreatedAt, &body); err != nil {
			return l, err
		}
		l.CreatedAt = l.CreatedAt.UTC()
		return l, json.Unmarshal(body, &l.File)
	})
}

func (p *PostgresLists) Versions(ctx context.Context, name string) ([]ListInfo, error) {
	rows, err := p.pool.Query(ctx, `SELECT name, version, created_by, created_at FROM risk_phrase_lists WHERE name = $1 ORDER BY seq DESC`, name)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ListInfo, error) {
		var i ListInfo
		err := r.Scan(&i.Name, &i.Version, &i.CreatedBy, &i.CreatedAt)
		i.CreatedAt = i.CreatedAt.UTC()
		return i, err
	})
}
