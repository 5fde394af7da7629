package chat

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

var _ Tallies = (*PostgresStore)(nil)

// tallyShards is how many rows one tally is spread over, so that
// concurrent transactions counting the same thing rarely wait for each
// other's row lock.
const tallyShards = 8

// SetRegions sets how the store coarsens a seeker's region for its
// tallies (default: CoarseRegions(nil)). Set it before use.
func (s *PostgresStore) SetRegions(coarse RegionCoarsener) { s.coarse = coarse }

// tallyEvent adds, inside the transaction of a system event, the tallies
// that event causes: the first join of a conversation, and its end.
func (s *PostgresStore) tallyEvent(ctx context.Context, tx pgx.Tx, kind string, before, after Conversation, now time.Time) error {
	switch kind {
	case KindJoined:
		var joinedBefore bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND kind = 'joined')`,
			after.ID).Scan(&joinedBefore); err != nil {
			return err
		}
		return addTallies(ctx, tx, joinTallies(before, now, !joinedBefore, s.coarse))
	case KindEnded:
		var first *time.Time
		if err := tx.QueryRow(ctx, `SELECT min(sent_at) FROM messages WHERE conversation_id = $1 AND kind = 'joined'`,
			after.ID).Scan(&first); err != nil {
			return err
		}
		var firstJoinedAt time.Time
		if first != nil {
			firstJoinedAt = first.UTC()
		}
		return addTallies(ctx, tx, endTallies(after, firstJoinedAt, s.coarse))
	}
	return nil
}

// addTallies increments the tallies' rows, in a fixed order.
func addTallies(ctx context.Context, tx pgx.Tx, ts []Tally) error {
	sortTallies(ts)
	shard := rand.IntN(tallyShards)
	for _, t := range ts {
		if _, err := tx.Exec(ctx, addTallySQL, t.Day, t.Audience, t.Language, t.Region, t.Metric, t.Outcome, t.Bucket, shard); err != nil {
			return err
		}
	}
	return nil
}

const addTallySQL = `INSERT INTO report_tallies AS r (day, audience, language, region, metric, outcome, bucket, shard, count)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
	ON CONFLICT (day, audience, language, region, metric, outcome, bucket, shard) DO UPDATE SET count = r.count + 1`

func (s *PostgresStore) AddTally(ctx context.Context, t Tally) error {
	_, err := s.pool.Exec(ctx, addTallySQL, t.Day, t.Audience, t.Language, t.Region, t.Metric, t.Outcome, t.Bucket, rand.IntN(tallyShards))
	return err
}

func (s *PostgresStore) TallyCounts(ctx context.Context, from, to string) ([]TallyCount, error) {
	// A month of a busy year is ~100,000 rows (days × shards) summed into a
	// few thousand: enough memory to hash them, not sort them on disk.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT to_char(date_trunc('month', day), 'YYYY-MM'), audience, language, region, metric, outcome, bucket, sum(count)::bigint
		FROM report_tallies WHERE day BETWEEN $1::date AND $2::date
		GROUP BY date_trunc('month', day), audience, language, region, metric, outcome, bucket`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TallyCount
	for rows.Next() {
		var t TallyCount
		if err := rows.Scan(&t.Day, &t.Audience, &t.Language, &t.Region, &t.Metric, &t.Outcome, &t.Bucket, &t.Count); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
