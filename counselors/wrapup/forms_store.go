package wrapup

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

// MemoryForms keeps the form's versions in memory (one instance).
type MemoryForms struct {
	mu       sync.Mutex
	versions []storedForm // oldest first
}

type storedForm struct {
	form Form
	info FormInfo
}

// NewMemoryForms returns an empty store.
func NewMemoryForms() *MemoryForms { return &MemoryForms{} }

// copyForm makes a deep copy, so that nobody shares a stored form's slices
// and maps.
func copyForm(f Form) Form {
	b, _ := json.Marshal(f)
	var out Form
	_ = json.Unmarshal(b, &out)
	return out
}

func (m *MemoryForms) Add(_ context.Context, f Form, info FormInfo) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.versions {
		if v.form.Version == f.Version {
			return false, nil
		}
	}
	m.versions = append(m.versions, storedForm{copyForm(f), info})
	return true, nil
}

func (m *MemoryForms) Newest(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.versions) == 0 {
		return "", nil
	}
	return m.versions[len(m.versions)-1].form.Version, nil
}

func (m *MemoryForms) Get(_ context.Context, version string) (Form, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.versions {
		if v.form.Version == version {
			return copyForm(v.form), nil
		}
	}
	return Form{}, chat.ErrNotFound
}

func (m *MemoryForms) List(context.Context) ([]FormInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]FormInfo, 0, len(m.versions))
	for _, v := range m.versions {
		out = append(out, v.info)
	}
	slices.Reverse(out)
	return out, nil
}

// PostgresForms keeps the form's versions in wrapup_forms (migration
// 00017), shared by every instance.
type PostgresForms struct{ pool *pgxpool.Pool }

// NewPostgresForms returns a store on a migrated pool.
func NewPostgresForms(pool *pgxpool.Pool) *PostgresForms { return &PostgresForms{pool: pool} }

func (p *PostgresForms) Add(ctx context.Context, f Form, info FormInfo) (bool, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return false, err
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO wrapup_forms (version, form, created_by, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (version) DO NOTHING`, f.Version, body, info.CreatedBy, info.CreatedAt.UTC())
	return err == nil && tag.RowsAffected() == 1, err
}

func (p *PostgresForms) Newest(ctx context.Context) (string, error) {
	var v string
	err := p.pool.QueryRow(ctx, `SELECT version FROM wrapup_forms ORDER BY seq DESC LIMIT 1`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (p *PostgresForms) Get(ctx context.Context, version string) (Form, error) {
	var body []byte
	err := p.pool.QueryRow(ctx, `SELECT form FROM wrapup_forms WHERE version = $1`, version).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return Form{}, chat.ErrNotFound
	}
	if err != nil {
		return Form{}, err
	}
	var f Form
	return f, json.Unmarshal(body, &f)
}

func (p *PostgresForms) List(ctx context.Context) ([]FormInfo, error) {
	rows, err := p.pool.Query(ctx, `SELECT version, created_by, created_at FROM wrapup_forms ORDER BY seq DESC`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (FormInfo, error) {
		var i FormInfo
		err := r.Scan(&i.Version, &i.CreatedBy, &i.CreatedAt)
		i.CreatedAt = i.CreatedAt.UTC()
		return i, err
	})
}
