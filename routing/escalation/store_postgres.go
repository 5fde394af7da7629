package escalation

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

// Sealer encrypts note text at rest; *chat.Sealer is one (the keys of
// HELPLINE_ENCRYPTION_KEYS, so that `helpline rotate-keys` re-seals notes
// with everything else: chat.SealedColumns lists escalation_notes.body).
type Sealer interface {
	Seal(plaintext, aad []byte) (keyID string, sealed []byte)
	Open(keyID string, sealed, aad []byte) ([]byte, error)
}

// PostgresStore keeps escalations in PostgreSQL (migration 00008), shared
// by every instance.
type PostgresStore struct {
	pool *pgxpool.Pool
	seal Sealer
}

// NewPostgresStore returns a store on pool sealing notes with seal.
func NewPostgresStore(pool *pgxpool.Pool, seal Sealer) *PostgresStore {
	return &PostgresStore{pool: pool, seal: seal}
}

var _ Store = (*PostgresStore)(nil)

// noteAAD binds a note's ciphertext to its row (chat.SealedColumns).
func noteAAD(id string) []byte { return chat.IDAAD("escalation_note", id) }

const escalationColumns = `id, coalesce(conversation_id::text, ''), raised_by, raised_by_name, reason, urgency, status,
	raised_at, due_at, nobody_on_shift, late_alerted_at, coalesce(ack_by, 0), ack_by_name, ack_at,
	coalesce(resolved_by, 0), resolved_by_name, resolved_at, outcome`

func scanEscalation(row pgx.Row) (Escalation, error) {
	var e Escalation
	var late, ack, resolved *time.Time
	err := row.Scan(&e.ID, &e.ConversationID, &e.RaisedBy, &e.RaisedByName, &e.Reason, &e.Urgency, &e.Status,
		&e.RaisedAt, &e.DueAt, &e.NobodyOnShift, &late, &e.AckBy, &e.AckByName, &ack,
		&e.ResolvedBy, &e.ResolvedByName, &resolved, &e.Outcome)
	if errors.Is(err, pgx.ErrNoRows) {
		return Escalation{}, errNotFound
	}
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{late, &e.LateAlertedAt}, {ack, &e.AckAt}, {resolved, &e.ResolvedAt}} {
		if t.from != nil {
			*t.to = *t.from
		}
	}
	return e, err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func (s *PostgresStore) Raise(ctx context.Context, r Raise) (Escalation, Raised, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Escalation{}, 0, err
	}
	defer tx.Rollback(ctx)
	// One raise at a time per conversation and reason (or counsellor and
	// reason, outside a conversation): "find the open one, else insert" is
	// then never raced into two.
	key := fmt.Sprintf("escalation:%s:%d:%s", r.ConversationID, r.StaffID*boolInt(r.ConversationID == ""), r.Reason)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
		return Escalation{}, 0, err
	}
	if r.RequestID != "" {
		var id string
		err := tx.QueryRow(ctx, `SELECT escalation_id FROM escalation_notes WHERE staff_id = $1 AND request_id = $2`, r.StaffID, r.RequestID).Scan(&id)
		if err == nil {
			e, err := s.get(ctx, tx, id)
			return e, Repeated, err
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return Escalation{}, 0, err
		}
	}
	id, how := r.ID, Created
	err = tx.QueryRow(ctx, `UPDATE escalations SET
			urgency = CASE WHEN array_position(ARRAY['now','soon','when_possible'], $4) < array_position(ARRAY['now','soon','when_possible'], urgency) THEN $4 ELSE urgency END,
			due_at = least(due_at, $5)
		WHERE status <> 'resolved' AND reason = $3 AND
			CASE WHEN $1 = '' THEN conversation_id IS NULL AND raised_by = $2 ELSE conversation_id = NULLIF($1, '')::uuid END
		RETURNING id`, r.ConversationID, r.StaffID, r.Reason, r.Urgency, r.DueAt).Scan(&id)
	switch {
	case err == nil:
		how = Added
	case errors.Is(err, pgx.ErrNoRows):
		_, err = tx.Exec(ctx, `INSERT INTO escalations (id, conversation_id, raised_by, raised_by_name, reason, urgency, raised_at, due_at, nobody_on_shift)
			VALUES ($1, NULLIF($2, '')::uuid, $3, $4, $5, $6, $7, $8, $9)`,
			r.ID, r.ConversationID, r.StaffID, r.StaffName, r.Reason, r.Urgency, r.At, r.DueAt, r.NobodyOnShift)
	}
	if err != nil {
		return Escalation{}, 0, notFoundOnMissingConversation(err)
	}
	note := Note{ID: r.NoteID, StaffID: r.StaffID, StaffName: r.StaffName, Kind: NoteRaise, Body: r.Note, At: r.At}
	if err := s.addNote(ctx, tx, id, r.ConversationID, r.RequestID, note); err != nil {
		return Escalation{}, 0, err
	}
	e, err := s.get(ctx, tx, id)
	if err != nil {
		return Escalation{}, 0, err
	}
	if how == Created {
		if err := s.addCounts(ctx, tx, raisedCounts(e)); err != nil {
			return Escalation{}, 0, err
		}
	}
	return e, how, tx.Commit(ctx)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func notFoundOnMissingConversation(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return errNotFound
	}
	return err
}

func (s *PostgresStore) addNote(ctx context.Context, q querier, escalationID, conversationID, requestID string, n Note) error {
	keyID, sealed := s.seal.Seal([]byte(n.Body), noteAAD(n.ID))
	var request *string
	if requestID != "" {
		request = &requestID
	}
	_, err := q.Exec(ctx, `INSERT INTO escalation_notes (id, escalation_id, conversation_id, staff_id, staff_name, kind, request_id, key_id, body, created_at)
		VALUES ($1, $2, NULLIF($3, '')::uuid, $4, $5, $6, $7, $8, $9, $10)`,
		n.ID, escalationID, conversationID, n.StaffID, n.StaffName, n.Kind, request, keyID, sealed, n.At)
	return notFoundOnMissingConversation(err)
}

func (s *PostgresStore) get(ctx context.Context, q querier, id string) (Escalation, error) {
	e, err := scanEscalation(q.QueryRow(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE id = $1`, id))
	if err != nil {
		return Escalation{}, err
	}
	notes, err := s.notes(ctx, q, `escalation_id = $1`, id)
	e.Notes = notes[e.ID]
	return e, err
}

// notes reads and opens the notes matching where, by escalation.
func (s *PostgresStore) notes(ctx context.Context, q querier, where string, arg any) (map[string][]Note, error) {
	rows, err := q.Query(ctx, `SELECT id, escalation_id, staff_id, staff_name, kind, key_id, body, created_at
		FROM escalation_notes WHERE `+where+` ORDER BY created_at, id`, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]Note{}
	for rows.Next() {
		var n Note
		var escalationID, keyID string
		var sealed []byte
		if err := rows.Scan(&n.ID, &escalationID, &n.StaffID, &n.StaffName, &n.Kind, &keyID, &sealed, &n.At); err != nil {
			return nil, err
		}
		body, err := s.seal.Open(keyID, sealed, noteAAD(n.ID))
		if err != nil {
			return nil, fmt.Errorf("opening escalation note %s: %w", n.ID, err)
		}
		n.Body = string(body)
		out[escalationID] = append(out[escalationID], n)
	}
	return out, rows.Err()
}

func (s *PostgresStore) Get(ctx context.Context, id string) (Escalation, error) {
	return s.get(ctx, s.pool, id)
}

func (s *PostgresStore) Acknowledge(ctx context.Context, id string, staffID int64, name string, at time.Time) (Escalation, bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Escalation{}, false, err
	}
	defer tx.Rollback(ctx)
	e, err := scanEscalation(tx.QueryRow(ctx, `UPDATE escalations SET status = 'acknowledged', ack_by = $2, ack_by_name = $3, ack_at = $4
		WHERE id = $1 AND status = 'open' RETURNING `+escalationColumns, id, staffID, name, at))
	if err == nil {
		if err := s.addCounts(ctx, tx, acknowledgedCounts(e)); err != nil {
			return Escalation{}, false, err
		}
		return e, true, tx.Commit(ctx)
	}
	if err != errNotFound {
		return Escalation{}, false, err
	}
	e, err = scanEscalation(s.pool.QueryRow(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE id = $1`, id))
	return e, false, err
}

func (s *PostgresStore) Resolve(ctx context.Context, id string, staffID int64, name string, outcome Outcome, note Note, at time.Time) (Escalation, bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Escalation{}, false, err
	}
	defer tx.Rollback(ctx)
	open, err := wasOpen(ctx, tx, id)
	if err != nil {
		return Escalation{}, false, err
	}
	e, err := scanEscalation(tx.QueryRow(ctx, `UPDATE escalations SET status = 'resolved', resolved_by = $2, resolved_by_name = $3,
			resolved_at = $4, outcome = $5, ack_by = coalesce(ack_by, $2), ack_by_name = CASE WHEN ack_at IS NULL THEN $3 ELSE ack_by_name END,
			ack_at = coalesce(ack_at, $4)
		WHERE id = $1 AND status <> 'resolved' RETURNING `+escalationColumns, id, staffID, name, at, outcome))
	if err == errNotFound {
		e, err = scanEscalation(s.pool.QueryRow(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE id = $1`, id))
		return e, false, err
	}
	if err != nil {
		return Escalation{}, false, err
	}
	if err := s.addNote(ctx, tx, id, e.ConversationID, "", note); err != nil {
		return Escalation{}, false, err
	}
	if err := s.addCounts(ctx, tx, resolvedCounts(e, open)); err != nil {
		return Escalation{}, false, err
	}
	return e, true, tx.Commit(ctx)
}

func (s *PostgresStore) list(ctx context.Context, where string, args ...any) ([]Escalation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE `+where+` ORDER BY raised_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Escalation{}
	for rows.Next() {
		e, err := scanEscalation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *PostgresStore) Unresolved(ctx context.Context) ([]Escalation, error) {
	return s.list(ctx, `status <> 'resolved'`)
}

func (s *PostgresStore) ForConversation(ctx context.Context, conversationID string) ([]Escalation, error) {
	if !chat.IsUUID(conversationID) {
		return []Escalation{}, nil
	}
	out, err := s.list(ctx, `conversation_id = $1::uuid`, conversationID)
	if err != nil || len(out) == 0 {
		return out, err
	}
	notes, err := s.notes(ctx, s.pool, `conversation_id = $1::uuid`, conversationID)
	for i := range out {
		out[i].Notes = notes[out[i].ID]
	}
	return out, err
}

func (s *PostgresStore) RaisedBy(ctx context.Context, staffID int64, since time.Time) ([]Escalation, error) {
	return s.list(ctx, `raised_by = $1 AND (status <> 'resolved' OR raised_at >= $2)`, staffID, since)
}

func (s *PostgresStore) ClaimLate(ctx context.Context, now time.Time) ([]Escalation, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `UPDATE escalations SET late_alerted_at = $1
		WHERE status = 'open' AND late_alerted_at IS NULL AND due_at <= $1 RETURNING `+escalationColumns, now)
	if err != nil {
		return nil, err
	}
	out := []Escalation{}
	var counts []Count
	for rows.Next() {
		e, err := scanEscalation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
		counts = append(counts, lateCounts(e)...)
	}
	if rows.Close(); rows.Err() != nil {
		return nil, rows.Err()
	}
	if err := s.addCounts(ctx, tx, counts); err != nil {
		return nil, err
	}
	return out, tx.Commit(ctx)
}

func (s *PostgresStore) Watching(ctx context.Context, staffID int64, role chat.Role, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO escalation_watchers (staff_id, role, seen_at) VALUES ($1, $2, $3)
		ON CONFLICT (staff_id) DO UPDATE SET role = excluded.role, seen_at = greatest(escalation_watchers.seen_at, excluded.seen_at)`, staffID, role, at)
	return err
}

func (s *PostgresStore) Watchers(ctx context.Context, since time.Time) (map[int64]chat.Role, error) {
	rows, err := s.pool.Query(ctx, `SELECT staff_id, role FROM escalation_watchers WHERE seen_at >= $1`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]chat.Role{}
	for rows.Next() {
		var id int64
		var role chat.Role
		if err := rows.Scan(&id, &role); err != nil {
			return nil, err
		}
		out[id] = role
	}
	return out, rows.Err()
}

func (s *PostgresStore) Expire(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM escalations WHERE conversation_id IS NULL AND status = 'resolved' AND resolved_at < $1`, cutoff)
	return int(tag.RowsAffected()), err
}
