package oversight

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

var _ Store = (*PostgresStore)(nil)

// PostgresStore keeps whispers (sealed) and watcher rows in PostgreSQL
// (migration 00010). Both tables reference conversations ON DELETE CASCADE.
type PostgresStore struct {
	pool *pgxpool.Pool
	seal *chat.Sealer
}

// NewPostgresStore returns a store on pool, whose schema is migrated;
// whisper bodies are sealed with seal.
func NewPostgresStore(pool *pgxpool.Pool, seal *chat.Sealer) *PostgresStore {
	return &PostgresStore{pool: pool, seal: seal}
}

// whisperAAD binds a whisper's sealed body to its row (chat.SealedColumns).
func whisperAAD(id string) []byte { return chat.IDAAD("whisper", id) }

func (s *PostgresStore) AddWhisper(ctx context.Context, w Whisper) (Whisper, bool, error) {
	if !chat.IsUUID(w.ConversationID) {
		return Whisper{}, false, chat.ErrNotFound
	}
	keyID, sealed := s.seal.Seal([]byte(w.Body), whisperAAD(w.ID))
	tag, err := s.pool.Exec(ctx, `INSERT INTO whispers (id, conversation_id, staff_id, staff_name, client_id, key_id, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (conversation_id, staff_id, client_id) DO NOTHING`,
		w.ID, w.ConversationID, w.StaffID, w.StaffName, w.ClientID, keyID, sealed, w.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation: no such conversation
		return Whisper{}, false, chat.ErrNotFound
	}
	if err != nil {
		return Whisper{}, false, fmt.Errorf("supervision: storing a whisper: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return w, false, nil
	}
	old, err := s.scanWhisper(s.pool.QueryRow(ctx, `SELECT `+whisperColumns+` FROM whispers
		WHERE conversation_id = $1 AND staff_id = $2 AND client_id = $3`, w.ConversationID, w.StaffID, w.ClientID))
	return old, true, err
}

const whisperColumns = `id, conversation_id::text, staff_id, staff_name, client_id, key_id, body, created_at`

func (s *PostgresStore) scanWhisper(row pgx.Row) (Whisper, error) {
	var w Whisper
	var keyID string
	var sealed []byte
	if err := row.Scan(&w.ID, &w.ConversationID, &w.StaffID, &w.StaffName, &w.ClientID, &keyID, &sealed, &w.CreatedAt); err != nil {
		return Whisper{}, fmt.Errorf("supervision: reading a whisper: %w", err)
	}
	body, err := s.seal.Open(keyID, sealed, whisperAAD(w.ID))
	if err != nil {
		return Whisper{}, fmt.Errorf("supervision: opening whisper %s: %w", w.ID, err)
	}
	w.Body, w.CreatedAt = string(body), w.CreatedAt.UTC()
	return w, nil
}

func (s *PostgresStore) Whispers(ctx context.Context, conversationID string) ([]Whisper, error) {
	if !chat.IsUUID(conversationID) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+whisperColumns+` FROM whispers WHERE conversation_id = $1 ORDER BY created_at, id`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("supervision: listing whispers: %w", err)
	}
	defer rows.Close()
	var out []Whisper
	for rows.Next() {
		w, err := s.scanWhisper(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func (s *PostgresStore) SyncWatches(ctx context.Context, instance string, watches []Watch, now time.Time) error {
	var convs, names, roles []string
	var staff []int64
	var since []time.Time
	for _, w := range watches {
		if chat.IsUUID(w.ConversationID) {
			convs, staff, names, roles, since = append(convs, w.ConversationID), append(staff, w.StaffID),
				append(names, w.Name), append(roles, w.Role), append(since, w.Since)
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("supervision: syncing watches: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM conversation_watchers w WHERE instance = $1 AND NOT EXISTS (
		SELECT 1 FROM unnest($2::text[]::uuid[], $3::bigint[]) AS k(c, s) WHERE k.c = w.conversation_id AND k.s = w.staff_id)`,
		instance, convs, staff); err != nil {
		return fmt.Errorf("supervision: syncing watches: %w", err)
	}
	// Only rows of conversations that still exist: one deleted meanwhile
	// must not fail the whole instance's rows.
	if _, err := tx.Exec(ctx, `INSERT INTO conversation_watchers (conversation_id, staff_id, instance, staff_name, staff_role, since, seen_at)
		SELECT k.c, k.s, $1, k.n, k.r, k.t, $7 FROM unnest($2::text[]::uuid[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[]) AS k(c, s, n, r, t)
		WHERE EXISTS (SELECT 1 FROM conversations WHERE id = k.c)
		ON CONFLICT (conversation_id, staff_id, instance) DO UPDATE SET seen_at = excluded.seen_at`,
		instance, convs, staff, names, roles, since, now); err != nil {
		return fmt.Errorf("supervision: syncing watches: %w", err)
	}
	return tx.Commit(ctx)
}

func (s *PostgresStore) Watches(ctx context.Context, ids []string, since time.Time) ([]Watch, error) {
	var valid []string
	for _, id := range ids {
		if chat.IsUUID(id) {
			valid = append(valid, id)
		}
	}
	if ids != nil && len(valid) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT conversation_id::text, staff_id, staff_name, staff_role, since FROM conversation_watchers
		WHERE seen_at >= $1 AND ($2::text[] IS NULL OR conversation_id = ANY($2::text[]::uuid[]))
		ORDER BY conversation_id, since, staff_id`, since, valid)
	if err != nil {
		return nil, fmt.Errorf("supervision: listing watchers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Watch, error) {
		var w Watch
		err := r.Scan(&w.ConversationID, &w.StaffID, &w.Name, &w.Role, &w.Since)
		w.Since = w.Since.UTC()
		return w, err
	})
}
