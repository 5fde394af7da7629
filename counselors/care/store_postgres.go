package care

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresStore keeps spells, marks and breaks in PostgreSQL (migration
// 00015), shared by every instance. Nothing in it is content: durations,
// staff ids and two yes/no marks, so nothing is sealed.
type PostgresStore struct{ pool *pgxpool.Pool }

// NewPostgresStore returns a store on pool.
func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

func (s *PostgresStore) Changed(ctx context.Context, conversationID string, holders []int64, at time.Time) ([]Spell, error) {
	if holders == nil {
		holders = []int64{}
	}
	var ended []Spell
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE care_spells SET ended_at = $3
			WHERE conversation_id = $1 AND ended_at IS NULL AND NOT staff_id = ANY($2)
			RETURNING staff_id, started_at, ended_at, high_risk, escalated`, conversationID, holders, at)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sp Spell
			if err := rows.Scan(&sp.StaffID, &sp.Start, &sp.End, &sp.HighRisk, &sp.Escalated); err != nil {
				rows.Close()
				return err
			}
			ended = append(ended, sp)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// A holder with an open spell keeps it (the unique index on open
		// spells makes a repeat, or a race between instances, a no-op).
		_, err = tx.Exec(ctx, `INSERT INTO care_spells (staff_id, conversation_id, started_at, high_risk, escalated)
			SELECT h, $1, $3, coalesce(m.high_risk, false), coalesce(m.escalated, false)
			FROM unnest($2::bigint[]) AS h LEFT JOIN care_marks m ON m.conversation_id = $1
			WHERE h <> 0
			ON CONFLICT (conversation_id, staff_id) WHERE ended_at IS NULL DO NOTHING`, conversationID, holders, at)
		return err
	})
	return ended, err
}

func (s *PostgresStore) Mark(ctx context.Context, conversationID string, m Mark, at time.Time) error {
	escalated := m == MarkEscalation
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO care_marks AS c (conversation_id, high_risk, escalated, marked_at) VALUES ($1, true, $2, $3)
			ON CONFLICT (conversation_id) DO UPDATE SET high_risk = true, escalated = c.escalated OR excluded.escalated,
				marked_at = excluded.marked_at`, conversationID, escalated, at); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE care_spells SET high_risk = true, escalated = escalated OR $2
			WHERE conversation_id = $1 AND ended_at IS NULL`, conversationID, escalated)
		return err
	})
}

func (s *PostgresStore) Break(ctx context.Context, staffID int64, onBreak bool, at time.Time) error {
	if onBreak {
		_, err := s.pool.Exec(ctx, `INSERT INTO care_breaks (staff_id, started_at) VALUES ($1, $2)
			ON CONFLICT (staff_id) WHERE ended_at IS NULL DO NOTHING`, staffID, at)
		return err
	}
	_, err := s.pool.Exec(ctx, `UPDATE care_breaks SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL`, staffID, at)
	return err
}

func (s *PostgresStore) Activity(ctx context.Context, staffIDs []int64, since time.Time) (map[int64]Activity, error) {
	out := make(map[int64]Activity, len(staffIDs))
	for _, id := range staffIDs {
		out[id] = Activity{}
	}
	rows, err := s.pool.Query(ctx, `SELECT staff_id, started_at, coalesce(ended_at, 'epoch'), high_risk, escalated FROM care_spells
		WHERE staff_id = ANY($1) AND (ended_at IS NULL OR ended_at >= $2) ORDER BY started_at, id`, staffIDs, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sp Spell
		if err := rows.Scan(&sp.StaffID, &sp.Start, &sp.End, &sp.HighRisk, &sp.Escalated); err != nil {
			return nil, err
		}
		sp.End = unepoch(sp.End)
		a := out[sp.StaffID]
		a.Spells = append(a.Spells, sp)
		out[sp.StaffID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.pool.Query(ctx, `SELECT staff_id, started_at, coalesce(ended_at, 'epoch') FROM care_breaks
		WHERE staff_id = ANY($1) AND (ended_at IS NULL OR ended_at >= $2) ORDER BY started_at, id`, staffIDs, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b Interval
		if err := rows.Scan(&id, &b.Start, &b.End); err != nil {
			return nil, err
		}
		b.End = unepoch(b.End)
		a := out[id]
		a.Breaks = append(a.Breaks, b)
		out[id] = a
	}
	return out, rows.Err()
}

func (s *PostgresStore) Open(ctx context.Context, startedBefore time.Time) ([]OpenSpell, error) {
	rows, err := s.pool.Query(ctx, `SELECT staff_id, coalesce(conversation_id::text, '') FROM care_spells
		WHERE ended_at IS NULL AND started_at < $1 ORDER BY started_at, id`, startedBefore)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OpenSpell
	for rows.Next() {
		var o OpenSpell
		if err := rows.Scan(&o.StaffID, &o.ConversationID); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *PostgresStore) EndUnlinked(ctx context.Context, at time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE care_spells SET ended_at = $1 WHERE ended_at IS NULL AND conversation_id IS NULL`, at)
	return int(tag.RowsAffected()), err
}

func unepoch(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t
}

func (s *PostgresStore) Expire(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM care_spells WHERE coalesce(ended_at, started_at) < $1`,
			`DELETE FROM care_breaks WHERE coalesce(ended_at, started_at) < $1`,
		} {
			tag, err := tx.Exec(ctx, q, cutoff)
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		_, err := tx.Exec(ctx, `DELETE FROM care_marks WHERE marked_at < $1`, cutoff)
		return err
	})
	return n, err
}
