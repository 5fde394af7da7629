package refer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/routing/referral"
)

// PostgresStore keeps referrals in PostgreSQL (migration 00012), beside the
// outbox (referral.PostgresStore), so that a consent and its outbox row are
// one transaction.
type PostgresStore struct {
	pool   *pgxpool.Pool
	outbox *referral.PostgresStore
}

func NewPostgresStore(pool *pgxpool.Pool, outbox *referral.PostgresStore) *PostgresStore {
	return &PostgresStore{pool: pool, outbox: outbox}
}

const columns = `id, conversation_id::text, service_id, service_name, partner_id, staff_id, seq, code, warm, delivery_id, contact_made_at, created_at`

func scan(row pgx.Row) (Referral, error) {
	var r Referral
	var contact *time.Time
	err := row.Scan(&r.ID, &r.ConversationID, &r.ServiceID, &r.ServiceName, &r.PartnerID, &r.StaffID, &r.Seq, &r.Code,
		&r.Warm, &r.DeliveryID, &contact, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	if contact != nil {
		r.ContactMadeAt = contact.UTC()
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

func count(ctx context.Context, tx pgx.Tx, event string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO referral_counts (day, event, n) VALUES ($1, $2, 1)
		ON CONFLICT (day, event) DO UPDATE SET n = referral_counts.n + 1`, day(now), event)
	return err
}

// inTx runs f in a transaction and commits it.
func (s *PostgresStore) inTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (s *PostgresStore) Add(ctx context.Context, r Referral) (Referral, error) {
	var out Referral
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO referrals (id, conversation_id, service_id, service_name, partner_id, staff_id, seq, code, warm, created_at)
			VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
			r.ID, r.ConversationID, r.ServiceID, r.ServiceName, r.PartnerID, r.StaffID, r.Seq, r.Code, r.Warm, r.CreatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			if err := count(ctx, tx, CountCard, r.CreatedAt); err != nil {
				return err
			}
		}
		out, err = scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM referrals WHERE id = $1`, r.ID))
		return err
	})
	return out, err
}

func (s *PostgresStore) Get(ctx context.Context, id string) (Referral, error) {
	return scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM referrals WHERE id = $1`, id))
}

func (s *PostgresStore) ByDelivery(ctx context.Context, deliveryID string) (Referral, error) {
	if deliveryID == "" {
		return Referral{}, ErrNotFound
	}
	return scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM referrals WHERE delivery_id = $1`, deliveryID))
}

func (s *PostgresStore) ByCode(ctx context.Context, partnerID, code string) (Referral, error) {
	return scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM referrals WHERE partner_id = $1 AND code = $2 AND delivery_id <> ''`, partnerID, code))
}

func (s *PostgresStore) ForConversation(ctx context.Context, conversationID string) ([]Referral, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM referrals WHERE conversation_id::text = $1 ORDER BY seq`, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Referral
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// move runs one state change: lock the row, let check decide, update.
func (s *PostgresStore) move(ctx context.Context, id string, check func(tx pgx.Tx, r *Referral) (string, error), now time.Time) (Referral, error) {
	var out Referral
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM referrals WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		out = r
		event, err := check(tx, &r)
		if err != nil || event == "" {
			return err
		}
		var contact *time.Time
		if !r.ContactMadeAt.IsZero() {
			contact = &r.ContactMadeAt
		}
		if _, err := tx.Exec(ctx, `UPDATE referrals SET warm = $2, partner_id = $3, delivery_id = $4, contact_made_at = $5 WHERE id = $1`,
			id, r.Warm, r.PartnerID, r.DeliveryID, contact); err != nil {
			return err
		}
		out = r
		return count(ctx, tx, event, now)
	})
	return out, err
}

func (s *PostgresStore) Offer(ctx context.Context, id, partnerID string, now time.Time) (Referral, error) {
	return s.move(ctx, id, func(_ pgx.Tx, r *Referral) (string, error) {
		switch {
		case r.Warm == WarmOffered && r.PartnerID == partnerID:
			return "", nil
		case r.Warm != WarmNone:
			return "", ErrState
		}
		r.Warm, r.PartnerID = WarmOffered, partnerID
		return CountWarmOffered, nil
	}, now)
}

func (s *PostgresStore) Consent(ctx context.Context, id string, d referral.Delivery, now time.Time) (Referral, error) {
	return s.move(ctx, id, func(tx pgx.Tx, r *Referral) (string, error) {
		if r.Warm != WarmOffered {
			return "", ErrState
		}
		if err := s.outbox.EnqueueTx(ctx, tx, d); err != nil {
			return "", fmt.Errorf("writing the outbox row: %w", err)
		}
		r.Warm, r.DeliveryID = WarmConsented, d.ID
		return CountConsented, nil
	}, now)
}

func (s *PostgresStore) SetWarm(ctx context.Context, id string, from []Warm, to Warm, event string, now time.Time) (Referral, error) {
	return s.move(ctx, id, func(_ pgx.Tx, r *Referral) (string, error) {
		for _, f := range from {
			if r.Warm == f {
				r.Warm = to
				return event, nil
			}
		}
		return "", ErrState
	}, now)
}

func (s *PostgresStore) ContactMade(ctx context.Context, id string, now time.Time) (Referral, error) {
	return s.move(ctx, id, func(_ pgx.Tx, r *Referral) (string, error) {
		if !r.ContactMadeAt.IsZero() {
			return "", nil
		}
		r.ContactMadeAt = now
		return CountContactMade, nil
	}, now)
}

func (s *PostgresStore) Counts(ctx context.Context, from, to time.Time) (map[string]map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT day, event, n FROM referral_counts WHERE day >= $1 AND day < $2`, day(from), to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int64{}
	for rows.Next() {
		var d time.Time
		var event string
		var n int64
		if err := rows.Scan(&d, &event, &n); err != nil {
			return nil, err
		}
		k := d.Format(time.DateOnly)
		if out[k] == nil {
			out[k] = map[string]int64{}
		}
		out[k][event] = n
	}
	return out, rows.Err()
}
