package escalation

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// addCounts adds the anonymous counts in q, the transaction of the change
// they count (migration 00016, escalation_counts).
func (s *PostgresStore) addCounts(ctx context.Context, q querier, counts []Count) error {
	if len(counts) == 0 {
		return nil
	}
	days, fields, values, ns := make([]string, len(counts)), make([]string, len(counts)), make([]string, len(counts)), make([]int64, len(counts))
	for i, c := range counts {
		days[i], fields[i], values[i], ns[i] = c.Day, c.Field, c.Value, c.N
	}
	_, err := q.Exec(ctx, `INSERT INTO escalation_counts (day, field, value, n)
		SELECT d::date, f, v, sum(n) FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS c(d, f, v, n) GROUP BY 1, 2, 3
		ON CONFLICT (day, field, value) DO UPDATE SET n = escalation_counts.n + excluded.n`, days, fields, values, ns)
	return err
}

// wasOpen reports, locking the row for the rest of tx, whether the
// escalation id has not been acknowledged yet (false if there is none).
func wasOpen(ctx context.Context, tx pgx.Tx, id string) (bool, error) {
	var open bool
	err := tx.QueryRow(ctx, `SELECT ack_at IS NULL FROM escalations WHERE id = $1 FOR UPDATE`, id).Scan(&open)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return open, err
}

var _ Counter = (*PostgresStore)(nil)

// Counts implements Counter.
func (s *PostgresStore) Counts(ctx context.Context, from, to time.Time) ([]Count, error) {
	rows, err := s.pool.Query(ctx, `SELECT to_char(day, 'YYYY-MM-DD'), field, value, n FROM escalation_counts
		WHERE day >= $1::date AND day < $2::date`, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Day, &c.Field, &c.Value, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
