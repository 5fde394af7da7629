package referral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

// Sealer encrypts data at rest; *chat.Sealer is one (the same keys, so the
// same rotation, cover message bodies and this outbox).
type Sealer interface {
	Seal(plaintext, aad []byte) (keyID string, sealed []byte)
	Open(keyID string, sealed, aad []byte) ([]byte, error)
	CurrentKey() string
}

// Execer is what EnqueueTx needs: a pgx.Tx, or a pool or connection.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// PostgresStore keeps the outbox in PostgreSQL (migration 00007). Safe for
// concurrent use by any number of goroutines and instances.
type PostgresStore struct {
	pool *pgxpool.Pool
	seal Sealer
}

func NewPostgresStore(pool *pgxpool.Pool, seal Sealer) *PostgresStore {
	return &PostgresStore{pool: pool, seal: seal}
}

// The additional data binding each sealed value to its row, as
// chat.SealedColumns lists them for key rotation.
func deliveryAAD(id string) []byte { return chat.IDAAD("referral", id) }
func partnerAAD(id string) []byte  { return chat.IDAAD("partner", id) }

func (s *PostgresStore) Enqueue(ctx context.Context, d Delivery) error {
	return s.EnqueueTx(ctx, s.pool, d)
}

// EnqueueTx writes d with tx, so the delivery exists exactly when the
// referral record written in the same transaction does.
func (s *PostgresStore) EnqueueTx(ctx context.Context, tx Execer, d Delivery) error {
	keyID, sealed := s.seal.Seal(d.Body, deliveryAAD(d.ID))
	_, err := tx.Exec(ctx, `INSERT INTO referral_deliveries (id, partner_id, key_id, body, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.PartnerID, keyID, sealed, d.NextAttempt, d.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return ErrNotFound
	}
	return err
}

const deliveryColumns = `id, partner_id, key_id, body, attempts, next_attempt_at, status, last_error, created_at, done_at, coalesce(claim, '')`

func (s *PostgresStore) scanDelivery(row pgx.Row) (Delivery, error) {
	var d Delivery
	var keyID string
	var sealed []byte
	var done *time.Time
	if err := row.Scan(&d.ID, &d.PartnerID, &keyID, &sealed, &d.Attempts, &d.NextAttempt, &d.Status, &d.LastError, &d.CreatedAt, &done, &d.Claim); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return d, ErrNotFound
		}
		return d, err
	}
	if done != nil {
		d.DoneAt = *done
	}
	body, err := s.seal.Open(keyID, sealed, deliveryAAD(d.ID))
	if err != nil {
		return d, fmt.Errorf("referral %s: %w", d.ID, err)
	}
	d.Body = body
	return d, nil
}

func (s *PostgresStore) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id FROM referral_deliveries
			WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
			ORDER BY next_attempt_at LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE referral_deliveries d SET claim = $4, claimed_until = $2
		FROM due WHERE d.id = due.id
		RETURNING `+claimedColumns, now, now.Add(lease), limit, newClaim())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := s.scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// claimedColumns are deliveryColumns qualified for the UPDATE … FROM above.
const claimedColumns = `d.id, d.partner_id, d.key_id, d.body, d.attempts, d.next_attempt_at, d.status, d.last_error, d.created_at, d.done_at, coalesce(d.claim, '')`

func (s *PostgresStore) Finish(ctx context.Context, id, claim string, o Outcome) error {
	var done *time.Time
	next := o.NextAttempt
	if o.Status != StatusPending {
		done, next = &o.At, o.At
	}
	tag, err := s.pool.Exec(ctx, `UPDATE referral_deliveries
		SET status = $3, attempts = $4, next_attempt_at = $5, last_error = $6, done_at = $7, claim = NULL, claimed_until = NULL
		WHERE id = $1 AND claim = $2 AND status = 'pending'`, id, claim, o.Status, o.Attempts, next, o.LastError, done)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrLostClaim
	}
	return nil
}

func (s *PostgresStore) Withdraw(ctx context.Context, id string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE referral_deliveries SET status = 'withdrawn', done_at = $2, claim = NULL, claimed_until = NULL
		WHERE id = $1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $2)`, id, now)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	var status Status
	if err := s.pool.QueryRow(ctx, `SELECT status FROM referral_deliveries WHERE id = $1`, id).Scan(&status); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		return err
	}
	if status == StatusPending {
		return ErrInFlight
	}
	return ErrNotPending
}

func (s *PostgresStore) Retry(ctx context.Context, id string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE referral_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, last_error = '', done_at = NULL
		WHERE id = $1 AND status = 'dead'`, id, now)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	return ErrNotDead
}

func (s *PostgresStore) Get(ctx context.Context, id string) (Delivery, error) {
	return s.scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM referral_deliveries WHERE id = $1`, id))
}

func (s *PostgresStore) Purge(ctx context.Context, doneBefore, deadBefore time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM referral_deliveries
		WHERE (status IN ('delivered', 'withdrawn') AND done_at < $1) OR (status = 'dead' AND done_at < $2)`, doneBefore, deadBefore)
	return int(tag.RowsAffected()), err
}

func (s *PostgresStore) PutPartner(ctx context.Context, p Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	plain, _ := json.Marshal(p.Secrets)
	keyID, sealed := s.seal.Seal(plain, partnerAAD(p.ID))
	_, err := s.pool.Exec(ctx, `INSERT INTO referral_partners (id, name, url, key_id, secrets, enabled, allow_private, disabled_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET name = $2, url = $3, key_id = $4, secrets = $5, enabled = $6, allow_private = $7, disabled_reason = $8`,
		p.ID, p.Name, p.URL, keyID, sealed, p.Enabled, p.AllowPrivate, p.DisabledReason)
	return err
}

func (s *PostgresStore) Partner(ctx context.Context, id string) (Partner, error) {
	var p Partner
	var keyID string
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT id, name, url, key_id, secrets, enabled, allow_private, disabled_reason FROM referral_partners WHERE id = $1`, id).
		Scan(&p.ID, &p.Name, &p.URL, &keyID, &sealed, &p.Enabled, &p.AllowPrivate, &p.DisabledReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, err
	}
	plain, err := s.seal.Open(keyID, sealed, partnerAAD(id))
	if err != nil {
		return p, fmt.Errorf("partner %s: %w", id, err)
	}
	return p, json.Unmarshal(plain, &p.Secrets)
}

func (s *PostgresStore) DisablePartner(ctx context.Context, id, reason string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE referral_partners SET enabled = false, disabled_reason = $2 WHERE id = $1`, id, reason)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return err
}
