package counselors

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

var _ Store = (*PostgresStore)(nil)

// PostgresStore keeps accounts, sessions and the audit log in PostgreSQL.
type PostgresStore struct{ pool chat.PostgresPool }

func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore {
	return &PostgresStore{pool: chat.PostgresPool{Pool: pool}}
}

const accountColumns = `id, username, display_name, role, password_hash, capacity, max_capacity, languages, audiences,
	coalesce(disabled_at, 'epoch'), created_at, totp_secret`

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	err := row.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Role, &a.PasswordHash, &a.Capacity, &a.MaxCapacity,
		&a.Languages, &a.Audiences, &a.DisabledAt, &a.CreatedAt, &a.TOTPSecret)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, ErrNoAccount
	}
	if a.DisabledAt.Unix() == 0 {
		a.DisabledAt = time.Time{}
	}
	return a, err
}

func (s *PostgresStore) CreateAccount(ctx context.Context, a Account) (Account, error) {
	if a.Languages == nil {
		a.Languages = []string{}
	}
	if a.Audiences == nil {
		a.Audiences = []string{}
	}
	out, err := scanAccount(s.pool.QueryRow(ctx, `INSERT INTO staff (username, display_name, role, password_hash, capacity, max_capacity, languages, audiences)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+accountColumns,
		a.Username, a.DisplayName, a.Role, a.PasswordHash, a.Capacity, a.MaxCapacity, a.Languages, a.Audiences))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return Account{}, chat.Errorf(chat.CodeConflict, "username %q is taken", a.Username)
	}
	return out, err
}

func (s *PostgresStore) Account(ctx context.Context, id int64) (Account, error) {
	return scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM staff WHERE id = $1`, id))
}

func (s *PostgresStore) AccountByUsername(ctx context.Context, username string) (Account, error) {
	return scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM staff WHERE username = $1`, username))
}

func (s *PostgresStore) ListAccounts(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM staff ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *PostgresStore) SetDisabled(ctx context.Context, id int64, disabled bool, at time.Time) error {
	var when any
	if disabled {
		when = at
	}
	tag, err := s.pool.Exec(ctx, `UPDATE staff SET disabled_at = $2 WHERE id = $1`, id, when)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNoAccount
	}
	return err
}

func (s *PostgresStore) SetTOTPSecret(ctx context.Context, id int64, secret string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE staff SET totp_secret = $2 WHERE id = $1`, id, secret)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNoAccount
	}
	return err
}

func (s *PostgresStore) SetMaxCapacity(ctx context.Context, id int64, maxCapacity int) (Account, error) {
	return scanAccount(s.pool.QueryRow(ctx, `UPDATE staff SET max_capacity = $2, capacity = least(capacity, $2)
		WHERE id = $1 RETURNING `+accountColumns, id, maxCapacity))
}

func (s *PostgresStore) CreateSession(ctx context.Context, sess Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO staff_sessions (id, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		sess.ID, sess.StaffID, sess.CreatedAt, sess.ExpiresAt)
	return err
}

func (s *PostgresStore) Session(ctx context.Context, id string) (Session, error) {
	var sess Session
	err := s.pool.QueryRow(ctx, `SELECT id, staff_id, created_at, expires_at, coalesce(revoked_at, 'epoch') FROM staff_sessions WHERE id = $1`, id).
		Scan(&sess.ID, &sess.StaffID, &sess.CreatedAt, &sess.ExpiresAt, &sess.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNoAccount
	}
	if sess.RevokedAt.Unix() == 0 {
		sess.RevokedAt = time.Time{}
	}
	return sess, err
}

func (s *PostgresStore) RevokeSessions(ctx context.Context, staffID int64, sessionID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE staff_sessions SET revoked_at = $3
		WHERE staff_id = $1 AND ($2 = '' OR id = $2) AND revoked_at IS NULL`, staffID, sessionID, at)
	return err
}

func (s *PostgresStore) AppendAudit(ctx context.Context, e AuditEntry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (at, actor_id, action, target, detail) VALUES ($1, nullif($2, 0), $3, $4, $5)`,
		e.At, e.ActorID, e.Action, e.Target, e.Detail)
	return err
}

func (s *PostgresStore) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, at, coalesce(actor_id, 0), action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddSignInFailure is one statement, so that failures arriving at once on
// several instances are each counted. It first deletes other usernames' rows
// past their lock time, so guessed usernames do not pile up.
func (s *PostgresStore) AddSignInFailure(ctx context.Context, username string, at time.Time, lockFor time.Duration) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `WITH expired AS (DELETE FROM signin_failures WHERE until <= $2 AND username <> $1)
		INSERT INTO signin_failures AS f (username, failures, until) VALUES ($1, 1, $3)
		ON CONFLICT (username) DO UPDATE SET
			failures = CASE WHEN f.until <= $2 THEN 1 ELSE f.failures + 1 END,
			until = excluded.until
		RETURNING failures`, username, at, at.Add(lockFor)).Scan(&n)
	return n, err
}

func (s *PostgresStore) SignInFailures(ctx context.Context, username string, at time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT failures FROM signin_failures WHERE username = $1 AND until > $2`, username, at).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

func (s *PostgresStore) ClearSignInFailures(ctx context.Context, username string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM signin_failures WHERE username = $1`, username)
	return err
}

func (s *PostgresStore) UpdateProfile(ctx context.Context, a Account) (Account, error) {
	if a.Languages == nil {
		a.Languages = []string{}
	}
	if a.Audiences == nil {
		a.Audiences = []string{}
	}
	return scanAccount(s.pool.QueryRow(ctx, `UPDATE staff SET display_name = $2, role = $3, languages = $4, audiences = $5, capacity = $6
		WHERE id = $1 RETURNING `+accountColumns, a.ID, a.DisplayName, a.Role, a.Languages, a.Audiences, a.Capacity))
}

func (s *PostgresStore) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE staff SET password_hash = $2 WHERE id = $1`, id, hash)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNoAccount
	}
	return err
}

func (s *PostgresStore) SearchAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var from, to, before any
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	if f.Before != 0 {
		before = f.Before
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, coalesce(actor_id, 0), action, target, detail FROM audit_log
		WHERE ($1 = 0 OR actor_id = $1) AND action LIKE $2 AND target LIKE $3
			AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5) AND ($6::bigint IS NULL OR id < $6)
		ORDER BY id DESC LIMIT $7`, f.ActorID, likePattern(f.Action), likePattern(f.Target), from, to, before, f.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
