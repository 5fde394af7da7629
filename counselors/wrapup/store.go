package wrapup

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

var errDone = chat.Errorf(chat.CodeConflict, "this wrap-up is already completed")

// countKeys are the counts one completed wrap-up adds.
func countKeys(w Wrapup) [][2]string {
	keys := [][2]string{{CompletedField, "yes"}}
	for _, f := range slices.Sorted(maps.Keys(w.Answers)) {
		keys = append(keys, [2]string{f, w.Answers[f]})
	}
	return keys
}

type countKey struct {
	day                   time.Time
	version, field, value string
}

// MemoryStore keeps wrap-ups and counts in memory. Register Forget with
// (*chat.MemoryStore).OnForget; counts are never forgotten.
type MemoryStore struct {
	mu      sync.Mutex
	wrapups map[string]Wrapup
	counts  map[countKey]int64
	exists  func(ctx context.Context, conversationID string) bool
}

// NewMemoryStore returns a store; exists (nil: any) says whether a
// conversation exists, as the foreign key does on PostgreSQL.
func NewMemoryStore(exists func(ctx context.Context, conversationID string) bool) *MemoryStore {
	return &MemoryStore{wrapups: map[string]Wrapup{}, counts: map[countKey]int64{}, exists: exists}
}

func clone(w Wrapup) Wrapup {
	w.Answers = maps.Clone(w.Answers)
	return w
}

func (m *MemoryStore) Get(_ context.Context, id string) (Wrapup, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.wrapups[id]
	if !ok {
		return Wrapup{}, chat.ErrNotFound
	}
	return clone(w), nil
}

func (m *MemoryStore) SaveDraft(ctx context.Context, w Wrapup) error {
	if m.exists != nil && !m.exists(ctx, w.ConversationID) {
		return chat.ErrNotFound
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.wrapups[w.ConversationID].Done {
		return errDone
	}
	w.Done = false
	m.wrapups[w.ConversationID] = clone(w)
	return nil
}

func (m *MemoryStore) Complete(ctx context.Context, w Wrapup, day time.Time) (Wrapup, error) {
	if m.exists != nil && !m.exists(ctx, w.ConversationID) {
		return Wrapup{}, chat.ErrNotFound
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if was := m.wrapups[w.ConversationID]; was.Done {
		return clone(was), nil
	}
	m.wrapups[w.ConversationID] = clone(w)
	d := dateOf(day)
	for _, k := range countKeys(w) {
		m.counts[countKey{d, w.FormVersion, k[0], k[1]}]++
	}
	return clone(w), nil
}

func (m *MemoryStore) Counts(_ context.Context, from, to time.Time) ([]Count, error) {
	from, to = dateOf(from), dateOf(to)
	m.mu.Lock()
	var out []Count
	for k, n := range m.counts {
		if !k.day.Before(from) && !k.day.After(to) {
			out = append(out, Count{Day: k.day, FormVersion: k.version, Field: k.field, Value: k.value, N: n})
		}
	}
	m.mu.Unlock()
	sortCounts(out)
	return out, nil
}

// Forget deletes a conversation's wrap-up (its counts stay).
func (m *MemoryStore) Forget(conversationID string) {
	m.mu.Lock()
	delete(m.wrapups, conversationID)
	m.mu.Unlock()
}

func dateOf(t time.Time) time.Time {
	y, mo, d := t.UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

func sortCounts(out []Count) {
	slices.SortFunc(out, func(a, b Count) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return strings.Compare(a.FormVersion+"\x00"+a.Field+"\x00"+a.Value, b.FormVersion+"\x00"+b.Field+"\x00"+b.Value)
	})
}

// PostgresStore keeps wrap-ups in wrapups and counts in wrapup_counts.
type PostgresStore struct{ pool *pgxpool.Pool }

func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

var uuid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func get(ctx context.Context, q querier, id string, lock bool) (Wrapup, error) {
	if !uuid.MatchString(id) {
		return Wrapup{}, chat.ErrNotFound
	}
	sql := `SELECT form_version, answers, done, updated_by, updated_at, completed_at FROM wrapups WHERE conversation_id = $1::uuid`
	if lock {
		sql += ` FOR UPDATE`
	}
	w := Wrapup{ConversationID: id}
	var answers []byte
	var completed *time.Time
	err := q.QueryRow(ctx, sql, id).Scan(&w.FormVersion, &answers, &w.Done, &w.UpdatedBy, &w.UpdatedAt, &completed)
	if errors.Is(err, pgx.ErrNoRows) {
		return Wrapup{}, chat.ErrNotFound
	}
	if err != nil {
		return Wrapup{}, err
	}
	if completed != nil {
		w.CompletedAt = completed.UTC()
	}
	w.UpdatedAt = w.UpdatedAt.UTC()
	return w, json.Unmarshal(answers, &w.Answers)
}

func (p *PostgresStore) Get(ctx context.Context, id string) (Wrapup, error) {
	return get(ctx, p.pool, id, false)
}

func (p *PostgresStore) SaveDraft(ctx context.Context, w Wrapup) error {
	if !uuid.MatchString(w.ConversationID) {
		return chat.ErrNotFound
	}
	answers, _ := json.Marshal(w.Answers)
	tag, err := p.pool.Exec(ctx, `INSERT INTO wrapups (conversation_id, form_version, answers, done, updated_by, updated_at)
		SELECT id, $2, $3, false, $4, $5 FROM conversations WHERE id = $1::uuid
		ON CONFLICT (conversation_id) DO UPDATE SET form_version = $2, answers = $3, updated_by = $4, updated_at = $5
		WHERE NOT wrapups.done`, w.ConversationID, w.FormVersion, answers, w.UpdatedBy, w.UpdatedAt)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := p.Get(ctx, w.ConversationID); err != nil {
		return err // not found: no such conversation
	}
	return errDone
}

func (p *PostgresStore) Complete(ctx context.Context, w Wrapup, day time.Time) (Wrapup, error) {
	if !uuid.MatchString(w.ConversationID) {
		return Wrapup{}, chat.ErrNotFound
	}
	var out Wrapup
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		// The conversation row, locked, so that two completions of one
		// wrap-up count once.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM conversations WHERE id = $1::uuid FOR NO KEY UPDATE`, w.ConversationID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return chat.ErrNotFound
		} else if err != nil {
			return err
		}
		was, err := get(ctx, tx, w.ConversationID, true)
		if err == nil && was.Done {
			out = was
			return nil
		}
		answers, _ := json.Marshal(w.Answers)
		if _, err := tx.Exec(ctx, `INSERT INTO wrapups (conversation_id, form_version, answers, done, updated_by, updated_at, completed_at)
			VALUES ($1::uuid, $2, $3, true, $4, $5, $5)
			ON CONFLICT (conversation_id) DO UPDATE SET form_version = $2, answers = $3, done = true, updated_by = $4, updated_at = $5, completed_at = $5`,
			w.ConversationID, w.FormVersion, answers, w.UpdatedBy, w.UpdatedAt); err != nil {
			return err
		}
		for _, k := range countKeys(w) {
			if _, err := tx.Exec(ctx, `INSERT INTO wrapup_counts (day, form_version, field, value, n) VALUES ($1, $2, $3, $4, 1)
				ON CONFLICT (day, form_version, field, value) DO UPDATE SET n = wrapup_counts.n + 1`,
				dateOf(day), w.FormVersion, k[0], k[1]); err != nil {
				return err
			}
		}
		out = w
		return nil
	})
	return out, err
}

func (p *PostgresStore) Counts(ctx context.Context, from, to time.Time) ([]Count, error) {
	rows, err := p.pool.Query(ctx, `SELECT day, form_version, field, value, n FROM wrapup_counts WHERE day BETWEEN $1 AND $2`,
		dateOf(from), dateOf(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Day, &c.FormVersion, &c.Field, &c.Value, &c.N); err != nil {
			return nil, err
		}
		c.Day = dateOf(c.Day)
		out = append(out, c)
	}
	sortCounts(out)
	return out, rows.Err()
}
