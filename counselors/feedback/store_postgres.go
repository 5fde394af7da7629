package feedback

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

var _ Store = (*PostgresStore)(nil)

// PostgresStore keeps feedback in PostgreSQL; comments are sealed with the
// service's encryption keys.
type PostgresStore struct {
	pool chat.PostgresPool
	seal *chat.Sealer
}

// NewPostgresStore returns a store on pool; the schema must be migrated.
func NewPostgresStore(pool *pgxpool.Pool, seal *chat.Sealer) *PostgresStore {
	return &PostgresStore{pool: chat.PostgresPool{Pool: pool}, seal: seal}
}

// aadKind binds a sealed comment to its row (chat.IDAAD, as SealedColumns says).
const aadKind = "feedback"

func (s *PostgresStore) Submit(ctx context.Context, conversationID string, r Record) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `INSERT INTO feedback_given (conversation_id) VALUES ($1) ON CONFLICT DO NOTHING`, conversationID)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23503" || pgErr.Code == "22P02") { // no such conversation, or not a uuid
		return false, chat.ErrNotFound
	}
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if r.Helpful != 0 || r.Feeling != 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO feedback_answers (id, week, language, helpful, feeling) VALUES ($1, $2, $3, $4, $5)`,
			chat.NewID(), r.Week, r.Language, nullable(r.Helpful), nullable(r.Feeling)); err != nil {
			return false, err
		}
	}
	if r.Comment != "" {
		id := chat.NewID()
		keyID, sealed := s.seal.Seal([]byte(r.Comment), chat.IDAAD(aadKind, id))
		if _, err := tx.Exec(ctx, `INSERT INTO feedback_comments (id, week, language, key_id, body) VALUES ($1, $2, $3, $4, $5)`,
			id, r.Week, r.Language, keyID, sealed); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	return true, nil
}

func nullable(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func (s *PostgresStore) Counts(ctx context.Context, fromWeek, toWeek string) ([]Count, error) {
	rows, err := s.pool.Query(ctx, `SELECT week, language, q, v, count(*) FROM feedback_answers,
		LATERAL (VALUES ('helpful', helpful), ('feeling', feeling)) AS a(q, v)
		WHERE week BETWEEN $1 AND $2 AND v IS NOT NULL GROUP BY 1, 2, 3, 4`, fromWeek, toWeek)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Week, &c.Language, &c.Question, &c.Value, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *PostgresStore) Comments(ctx context.Context, fromWeek, toWeek string) ([]Comment, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, week, language, key_id, body FROM feedback_comments
		WHERE week BETWEEN $1 AND $2 ORDER BY week DESC, id`, fromWeek, toWeek)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Comment
	for rows.Next() {
		var id, keyID string
		var body []byte
		var c Comment
		if err := rows.Scan(&id, &c.Week, &c.Language, &keyID, &body); err != nil {
			return nil, err
		}
		text, err := s.seal.Open(keyID, body, chat.IDAAD(aadKind, id))
		if err != nil {
			return nil, err
		}
		c.Text = string(text)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *PostgresStore) DeleteCommentsBefore(ctx context.Context, week string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM feedback_comments WHERE week < $1`, week)
	return int(tag.RowsAffected()), err
}
