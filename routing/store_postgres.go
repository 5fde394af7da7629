package routing

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

var _ Store = (*PostgresStore)(nil)

// PostgresStore keeps routing state in PostgreSQL so that every instance
// sees the same team, offers and passes.
type PostgresStore struct {
	pool chat.PostgresPool
}

func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore {
	return &PostgresStore{pool: chat.PostgresPool{Pool: pool}}
}

// leaderLock is the advisory lock class held by the instance that makes
// offers; the second key is the schema, so that separate deployments (or
// tests) sharing one database each elect their own leader.
const leaderLock = 7_270_001

const memberColumns = `staff_id, display_name, status, capacity, max_capacity, languages, audiences, seen_at, idle_since, misses`

func scanMember(row pgx.Row) (Member, error) {
	var m Member
	var audiences []string
	err := row.Scan(&m.ID, &m.DisplayName, &m.Status, &m.Capacity, &m.MaxCapacity, &m.Languages, &audiences, &m.SeenAt, &m.IdleSince, &m.Misses)
	for _, a := range audiences {
		m.Audiences = append(m.Audiences, chat.Audience(a))
	}
	return m, err
}

func audienceStrings(as []chat.Audience) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, string(a))
	}
	return out
}

func (s *PostgresStore) Join(ctx context.Context, m Member) error {
	languages := m.Languages
	if languages == nil {
		languages = []string{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO presence (staff_id, display_name, status, capacity, max_capacity, languages, audiences, seen_at, idle_since, misses)
		VALUES ($1, $2, $3, least(greatest($4, 1), $5), $5, $6, $7, $8, $9, 0)
		ON CONFLICT (staff_id) DO UPDATE SET display_name = excluded.display_name, max_capacity = excluded.max_capacity,
			capacity = least(presence.capacity, excluded.max_capacity), languages = excluded.languages, audiences = excluded.audiences,
			seen_at = excluded.seen_at,
			status = CASE WHEN presence.status = 'offline' THEN excluded.status ELSE presence.status END,
			idle_since = CASE WHEN presence.status = 'offline' THEN excluded.idle_since ELSE presence.idle_since END`,
		m.ID, m.DisplayName, m.Status, m.Capacity, max(m.MaxCapacity, 1), languages, audienceStrings(m.Audiences), m.SeenAt, m.IdleSince)
	return err
}

func (s *PostgresStore) Seen(ctx context.Context, ids []int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE presence SET seen_at = $2 WHERE staff_id = ANY($1) AND seen_at < $2`, ids, at)
	return err
}

func (s *PostgresStore) SetMaxCapacity(ctx context.Context, id int64, maxCapacity int) (Member, bool, error) {
	m, err := scanMember(s.pool.QueryRow(ctx, `UPDATE presence SET max_capacity = $2, capacity = least(capacity, $2)
		WHERE staff_id = $1 RETURNING `+memberColumns, id, maxCapacity))
	if errors.Is(err, pgx.ErrNoRows) {
		return Member{}, false, nil
	}
	return m, err == nil, err
}

func (s *PostgresStore) SetStatus(ctx context.Context, id int64, status Status, capacity int) (Member, error) {
	m, err := scanMember(s.pool.QueryRow(ctx, `UPDATE presence SET status = $2,
			capacity = CASE WHEN $3 > 0 THEN least($3, max_capacity) ELSE capacity END,
			misses = CASE WHEN $2 = 'available' THEN 0 ELSE misses END
		WHERE staff_id = $1 RETURNING `+memberColumns, id, status, capacity))
	if errors.Is(err, pgx.ErrNoRows) {
		return Member{}, errNotOnTeam
	}
	return m, err
}

func (s *PostgresStore) SetMisses(ctx context.Context, id int64, misses int, status Status) error {
	_, err := s.pool.Exec(ctx, `UPDATE presence SET misses = $2, status = $3 WHERE staff_id = $1`, id, misses, status)
	return err
}

func (s *PostgresStore) Assigned(ctx context.Context, id int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE presence SET misses = 0, idle_since = $2 WHERE staff_id = $1`, id, at)
	return err
}

func (s *PostgresStore) Members(ctx context.Context) ([]Member, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+memberColumns+` FROM presence ORDER BY staff_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *PostgresStore) List(ctx context.Context, listedSince, lapsedBefore time.Time, ids bool) (Listing, error) {
	var l Listing
	err := s.pool.QueryRow(ctx, `
		SELECT count(*), coalesce(sum(staff_id), 0),
			count(*) FILTER (WHERE status = $3), count(*) FILTER (WHERE status = $4), count(*) FILTER (WHERE status = $5),
			coalesce(sum(least(capacity, greatest(max_capacity, 1))), 0),
			CASE WHEN $2 THEN coalesce(array_agg(staff_id ORDER BY staff_id), '{}') END
		FROM presence WHERE status <> $6 AND seen_at >= $1`,
		listedSince, ids, StatusAvailable, StatusBusy, StatusBreak, StatusOffline).
		Scan(&l.Listed, &l.IDSum, &l.Available, &l.Busy, &l.Break, &l.Capacity, &l.IDs)
	if err != nil {
		return Listing{}, err
	}
	if lapsedBefore.IsZero() {
		return l, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+memberColumns+` FROM presence WHERE seen_at < $1 ORDER BY staff_id`, lapsedBefore)
	if err != nil {
		return Listing{}, err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return Listing{}, err
		}
		l.Lapsed = append(l.Lapsed, m)
	}
	return l, rows.Err()
}

func (s *PostgresStore) Member(ctx context.Context, id int64) (Member, bool, error) {
	m, err := scanMember(s.pool.QueryRow(ctx, `SELECT `+memberColumns+` FROM presence WHERE staff_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Member{}, false, nil
	}
	return m, err == nil, err
}

// onShiftStatuses are the statuses Status.OnShift accepts, for SQL.
var onShiftStatuses = func() []string {
	var out []string
	for _, st := range []Status{StatusAvailable, StatusBusy, StatusBreak, StatusOffline} {
		if st.OnShift() {
			out = append(out, string(st))
		}
	}
	return out
}()

func (s *PostgresStore) OnShift(ctx context.Context, seenSince time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM presence WHERE status = ANY($1) AND seen_at >= $2`, onShiftStatuses, seenSince).Scan(&n)
	return n, err
}

func (s *PostgresStore) PutOffer(ctx context.Context, o Offer) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO offers (conversation_id, staff_id, offered_at, expires_at)
		SELECT $1::uuid, $2, now(), $3 WHERE EXISTS (SELECT 1 FROM conversations WHERE id = $1::uuid AND status = 'waiting')
		ON CONFLICT (conversation_id) DO NOTHING`, o.ConversationID, o.CounselorID, o.Expires)
	return err == nil && tag.RowsAffected() == 1, err
}

func (s *PostgresStore) Offered(ctx context.Context, conversationID string, counselorID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM offers WHERE conversation_id::text = $1 AND staff_id = $2)`,
		conversationID, counselorID).Scan(&ok)
	return ok, err
}

func (s *PostgresStore) TakeOffer(ctx context.Context, conversationID string, counselorID int64) (Offer, bool, error) {
	o := Offer{ConversationID: conversationID, CounselorID: counselorID}
	err := s.pool.QueryRow(ctx, `DELETE FROM offers WHERE conversation_id::text = $1 AND staff_id = $2 RETURNING expires_at`,
		conversationID, counselorID).Scan(&o.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return Offer{}, false, nil
	}
	return o, err == nil, err
}

func (s *PostgresStore) DeleteOffer(ctx context.Context, conversationID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM offers WHERE conversation_id::text = $1`, conversationID)
	return err
}

func (s *PostgresStore) Offers(ctx context.Context) ([]Offer, error) {
	rows, err := s.pool.Query(ctx, `SELECT conversation_id::text, staff_id, expires_at FROM offers ORDER BY conversation_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Offer
	for rows.Next() {
		var o Offer
		if err := rows.Scan(&o.ConversationID, &o.CounselorID, &o.Expires); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *PostgresStore) AddPass(ctx context.Context, conversationID string, counselorID int64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO passes (conversation_id, staff_id)
		SELECT id, $2 FROM conversations WHERE id::text = $1 ON CONFLICT DO NOTHING`, conversationID, counselorID)
	return err
}

func (s *PostgresStore) ClearPasses(ctx context.Context, conversationID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM passes WHERE conversation_id::text = $1`, conversationID)
	return err
}

func (s *PostgresStore) Passes(ctx context.Context) (map[string]map[int64]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT conversation_id::text, staff_id FROM passes`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[int64]bool{}
	for rows.Next() {
		var id string
		var staff int64
		if err := rows.Scan(&id, &staff); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[int64]bool{}
		}
		out[id][staff] = true
	}
	return out, rows.Err()
}

// Lead holds a session advisory lock on a connection of its own: the lock
// lives exactly as long as that connection, so an instance that dies or
// loses its database connection hands leadership to another within seconds.
func (s *PostgresStore) Lead(ctx context.Context, fn func(ctx context.Context)) error {
	for ctx.Err() == nil {
		s.leadOnce(ctx, fn)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	return nil
}

func (s *PostgresStore) leadOnce(ctx context.Context, fn func(ctx context.Context)) {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return
	}
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, leaderLock).Scan(&got); err != nil || !got {
		return
	}
	lctx, cancel := context.WithCancel(ctx)
	pinger := make(chan struct{})
	defer func() { cancel(); <-pinger }() // the pinger is done with conn before it closes
	go func() {
		defer close(pinger)
		// Stop leading as soon as the lock's connection is gone.
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
				pctx, pcancel := context.WithTimeout(lctx, 2*time.Second)
				err := conn.Ping(pctx)
				pcancel()
				if err != nil {
					cancel()
					return
				}
			}
		}
	}()
	fn(lctx)
}
