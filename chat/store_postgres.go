package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	_ Store     = (*PostgresStore)(nil)
	_ Retention = (*PostgresStore)(nil)
)

// PostgresStore is the store of record on PostgreSQL. Message bodies are
// sealed with AES-256-GCM before they leave the process.
type PostgresStore struct {
	pool PostgresPool
	// appends is where the message path commits: connections of its own
	// (store_postgres_pool.go), ownAppends while the store owns them.
	appends    PostgresPool
	ownAppends *pgxpool.Pool
	seal       *Sealer
	now        Clock
	coarse     RegionCoarsener
	origin     string    // names this store in its notifications (NotifyOrigin)
	seen       seenCache // conversations as last seen, to number batches by (store_postgres_append.go)
}

// NewPostgresStore returns a store on pool; the schema must be migrated.
// The message path opens up to appendPoolMaxConns connections of its own
// on the same database, released by Close.
func NewPostgresStore(pool *pgxpool.Pool, seal *Sealer, now Clock) *PostgresStore {
	if now == nil {
		now = time.Now
	}
	s := &PostgresStore{pool: PostgresPool{Pool: pool}, seal: seal, now: now, origin: strings.ReplaceAll(NewID(), "-", "")[:16]}
	s.setAppendPool(pool)
	return s
}

// NotifyOrigin is the random name this store gives itself in the
// notifications of the messages it commits ("<id>:<seq>:<origin>"), so
// that the instance that wrote them can tell its own.
func (s *PostgresStore) NotifyOrigin() string { return s.origin }

// lastSeqSQL is a conversation's last sequence number, in a query on
// conversations: the highest seq of its messages, read from the end of the
// primary key's index (migration 00019 dropped the copy the conversation's
// row kept, which every message batch had to write).
const lastSeqSQL = `coalesce((SELECT max(m.seq) FROM messages m WHERE m.conversation_id = conversations.id), 0)`

const conversationColumns = `id::text, status, audience, language, region, coalesce(counselor_id, 0), counselor_name,
	created_at, queued_at, coalesce(assigned_at, 'epoch'), coalesce(ended_at, 'epoch'), ended_by, ` + lastSeqSQL + `,
	priority, priority_reason, required_skill, passed, coalesce(seeker_seen_at, 'epoch'), join_position,
	coalesce(joined_staff_id, 0), joined_staff_name`

func scanConversation(row pgx.Row) (Conversation, error) {
	var c Conversation
	err := row.Scan(&c.ID, &c.Status, &c.Audience, &c.Language, &c.Region, &c.CounselorID, &c.CounselorName,
		&c.CreatedAt, &c.QueuedAt, &c.AssignedAt, &c.EndedAt, &c.EndedBy, &c.LastSeq,
		&c.Priority, &c.PriorityReason, &c.RequiredSkill, &c.Passed, &c.SeekerSeenAt, &c.JoinPosition,
		&c.JoinedID, &c.JoinedName)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	c.AssignedAt, c.EndedAt, c.SeekerSeenAt = zeroEpoch(c.AssignedAt), zeroEpoch(c.EndedAt), zeroEpoch(c.SeekerSeenAt)
	c.CreatedAt, c.QueuedAt = c.CreatedAt.UTC(), c.QueuedAt.UTC()
	return c, err
}

func zeroEpoch(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

func collectConversations(rows pgx.Rows) ([]Conversation, error) {
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *PostgresStore) CreateConversation(ctx context.Context, n NewConversation) (Conversation, error) {
	now := s.now().UTC()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Conversation{}, unavailable(err)
	}
	defer tx.Rollback(ctx)
	c, err := scanConversation(tx.QueryRow(ctx, `INSERT INTO conversations (id, status, audience, language, region, created_at, queued_at, seeker_seen_at, join_position)
		VALUES ($1, 'waiting', $2, $3, $4, $5, $5, $5, 1 + (SELECT count(*) FROM conversations WHERE status = 'waiting')) RETURNING `+conversationColumns,
		NewID(), n.Audience, n.Language, n.Region, now))
	if err != nil {
		return Conversation{}, err
	}
	if err := addTallies(ctx, tx, arrivalTallies(c, s.coarse)); err != nil {
		return Conversation{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Conversation{}, unavailable(err)
	}
	return c, nil
}

func (s *PostgresStore) Conversation(ctx context.Context, id string) (Conversation, error) {
	if !isUUID(id) {
		return Conversation{}, ErrNotFound
	}
	return scanConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = $1`, id))
}

// systemEvent changes a conversation's state and stores the matching system
// message in one transaction. change runs with the conversation row locked;
// it returns the SQL that applies the new state, or an error to refuse.
func (s *PostgresStore) systemEvent(ctx context.Context, conversationID string, event Append,
	change func(ctx context.Context, tx pgx.Tx, c Conversation) (string, []any, error)) (Conversation, Message, error) {
	if !isUUID(conversationID) {
		return Conversation{}, Message{}, ErrNotFound
	}
	now := s.now().UTC()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Conversation{}, Message{}, unavailable(err)
	}
	defer tx.Rollback(ctx)
	c, err := lockConversation(ctx, tx, conversationID)
	if err != nil {
		return Conversation{}, Message{}, err
	}
	update, args, err := change(ctx, tx, c)
	if errors.Is(err, errNoChange) {
		return c, Message{}, nil // nothing to store: the conversation as it is
	}
	if err != nil {
		return Conversation{}, Message{}, err
	}
	if event.Kind == KindStaffLeft {
		event.Name = c.JoinedName // who leaves is known only now, under the lock
	}
	before := c
	seq := c.LastSeq + 1
	args = append(args, c.ID)
	c, err = scanConversation(tx.QueryRow(ctx, fmt.Sprintf(`%s WHERE id = $%d RETURNING %s`,
		update, len(args), conversationColumns), args...))
	if err != nil {
		return Conversation{}, Message{}, err
	}
	c.LastSeq = seq // the system message below
	if err := s.tallyEvent(ctx, tx, event.Kind, before, c, now); err != nil {
		return Conversation{}, Message{}, err
	}
	m := Message{ConversationID: c.ID, Seq: seq, Sender: SenderSystem, Kind: event.Kind, Body: event.Body, Name: event.Name, SentAt: now}
	keyID, sealed := s.seal.Seal([]byte(m.Body), messageAAD(m.ConversationID, m.Seq))
	if _, err := tx.Exec(ctx, `INSERT INTO messages (conversation_id, seq, sender, kind, name, key_id, body, sent_at)
		VALUES ($1, $2, 'system', $3, $4, $5, $6, $7)`, m.ConversationID, m.Seq, m.Kind, m.Name, keyID, sealed, now); err != nil {
		return Conversation{}, Message{}, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify(`+notifyChannelSQL+`, $1) WHERE `+othersListenSQL+`$2)`, c.ID+":"+strconv.FormatInt(seq, 10)+":"+s.origin, s.origin); err != nil {
		return Conversation{}, Message{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Conversation{}, Message{}, unavailable(err)
	}
	s.seen.put(c.ID, convSeen{status: c.Status, counselor: c.CounselorID, joined: c.JoinedID, lastSeq: c.LastSeq})
	return c, m, nil
}

// lockConversation locks a conversation's row against message batches
// (their share lock) and other changes, then reads it: in a statement of
// its own, after the lock, so that it sees every message committed before
// (a statement reads from its start, and the locking one may have waited).
// FOR NO KEY UPDATE, not FOR UPDATE: only non-key columns change, and the
// foreign-key checks of rows that refer to the conversation need not wait.
func lockConversation(ctx context.Context, tx pgx.Tx, id string) (Conversation, error) {
	pb := &pgx.Batch{}
	pb.Queue(`SELECT 1 FROM conversations WHERE id = $1 FOR NO KEY UPDATE`, id)
	pb.Queue(`SELECT `+conversationColumns+` FROM conversations WHERE id = $1`, id)
	br := tx.SendBatch(ctx, pb)
	defer br.Close()
	var one int
	if err := br.QueryRow().Scan(&one); errors.Is(err, pgx.ErrNoRows) {
		return Conversation{}, ErrNotFound
	} else if err != nil {
		return Conversation{}, err
	}
	c, err := scanConversation(br.QueryRow())
	if err != nil {
		return Conversation{}, err
	}
	return c, br.Close()
}

func (s *PostgresStore) Assign(ctx context.Context, conversationID string, counselorID int64, name string, capacity int) (Conversation, Message, error) {
	now := s.now().UTC()
	return s.systemEvent(ctx, conversationID, Append{Kind: KindJoined, Name: name},
		func(ctx context.Context, tx pgx.Tx, c Conversation) (string, []any, error) {
			if c.Status != StatusWaiting {
				return "", nil, Errorf(CodeConflict, "the conversation is no longer waiting")
			}
			if err := roomFor(ctx, tx, counselorID, capacity); err != nil {
				return "", nil, err
			}
			return `UPDATE conversations SET status = 'active', counselor_id = $1, counselor_name = $2, assigned_at = $3, required_skill = ''`,
				[]any{counselorID, name, now}, nil
		})
}

// roomFor checks, inside a transaction, that a counsellor has a free place.
// An advisory lock per counsellor serialises their assignments, so two at
// once cannot both squeeze into the last place.
func roomFor(ctx context.Context, tx pgx.Tx, counselorID int64, capacity int) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(1, $1::int)`, counselorID); err != nil {
		return err
	}
	var active int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM conversations WHERE status = 'active' AND counselor_id = $1`, counselorID).Scan(&active); err != nil {
		return err
	}
	if active >= capacity {
		return Errorf(CodeConflict, "at capacity (%d conversations)", capacity)
	}
	return nil
}

func (s *PostgresStore) Requeue(ctx context.Context, conversationID, reason string, priority int, skill Audience, pass int64) (Conversation, Message, error) {
	return s.systemEvent(ctx, conversationID, Append{Kind: KindRequeued, Body: reason},
		func(_ context.Context, _ pgx.Tx, c Conversation) (string, []any, error) {
			if c.Status != StatusActive {
				return "", nil, Errorf(CodeConflict, "only an active conversation can go back to the queue")
			}
			passed := c.Passed
			if pass != 0 {
				passed = append(passed, pass)
			}
			// seeker_seen_at restarts: the seeker's presence was not
			// recorded while the conversation was active. A higher
			// priority it had (risk) is kept, with its reason.
			return `UPDATE conversations SET status = 'waiting', counselor_id = NULL, counselor_name = '', assigned_at = NULL,
				joined_staff_id = NULL, joined_staff_name = '',
				priority_reason = CASE WHEN priority >= $1 THEN priority_reason ELSE '' END,
				priority = greatest(priority, $1), required_skill = $2, passed = $3, seeker_seen_at = greatest(seeker_seen_at, $4)`,
				[]any{priority, skill, passed, s.now().UTC()}, nil
		})
}

func (s *PostgresStore) Reassign(ctx context.Context, conversationID string, from, to int64, toName string, capacity int) (Conversation, Message, error) {
	now := s.now().UTC()
	return s.systemEvent(ctx, conversationID, Append{Kind: KindTransferred, Name: toName},
		func(ctx context.Context, tx pgx.Tx, c Conversation) (string, []any, error) {
			if c.Status != StatusActive || c.CounselorID != from {
				return "", nil, ErrNotFound
			}
			if err := roomFor(ctx, tx, to, capacity); err != nil {
				return "", nil, err
			}
			return `UPDATE conversations SET counselor_id = $1, counselor_name = $2, assigned_at = $3, passed = array_append(passed, $4::bigint),
				joined_staff_id = NULL, joined_staff_name = ''`,
				[]any{to, toName, now, from}, nil
		})
}

func (s *PostgresStore) Prioritize(ctx context.Context, conversationID string, priority int, reason string) (bool, error) {
	if !isUUID(conversationID) {
		return false, ErrNotFound
	}
	var status string
	var changed bool
	err := s.pool.QueryRow(ctx, `WITH up AS (UPDATE conversations SET priority = $2, priority_reason = $3
			WHERE id = $1 AND status = 'waiting' AND priority < $2 RETURNING id)
		SELECT status, EXISTS (SELECT 1 FROM up) FROM conversations WHERE id = $1`, conversationID, priority, reason).Scan(&status, &changed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, err
	}
	return changed, nil
}

// errNoChange, from a systemEvent's change, means the conversation is
// already as asked: nothing is written and no event stored.
var errNoChange = errors.New("no change")

func (s *PostgresStore) JoinStaff(ctx context.Context, conversationID string, staffID int64, name string) (Conversation, Message, error) {
	return s.systemEvent(ctx, conversationID, Append{Kind: KindStaffJoined, Name: name},
		func(_ context.Context, _ pgx.Tx, c Conversation) (string, []any, error) {
			if err := joinRefusal(c, staffID); err != nil {
				return "", nil, err
			}
			if c.JoinedID == staffID {
				return "", nil, errNoChange
			}
			return `UPDATE conversations SET joined_staff_id = $1, joined_staff_name = $2`, []any{staffID, name}, nil
		})
}

func (s *PostgresStore) LeaveStaff(ctx context.Context, conversationID string, staffID int64) (Conversation, Message, error) {
	return s.systemEvent(ctx, conversationID, Append{Kind: KindStaffLeft},
		func(_ context.Context, _ pgx.Tx, c Conversation) (string, []any, error) {
			if c.Status != StatusActive || c.JoinedID == 0 || c.JoinedID != staffID {
				return "", nil, errNoChange // nothing to announce (an ended one stays as it ended)
			}
			return `UPDATE conversations SET joined_staff_id = NULL, joined_staff_name = ''`, nil, nil
		})
}

func (s *PostgresStore) TouchSeekers(ctx context.Context, ids []string, at time.Time) error {
	var valid []string
	for _, id := range ids {
		if isUUID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil
	}
	// Only waiting conversations: their seekers' presence is what the
	// leader judges abandonment by (a requeue counts as being seen). Rows
	// another transaction holds (a message batch, an assignment) are skipped,
	// not waited for: waiting would take row locks in a different order from
	// message batches and deadlock with them, and the next heartbeat comes
	// long before any grace time runs out.
	_, err := s.pool.Exec(ctx, `UPDATE conversations c SET seeker_seen_at = $2
		FROM (SELECT id FROM conversations
			WHERE id = ANY($1::text[]::uuid[]) AND status = 'waiting' AND (seeker_seen_at IS NULL OR seeker_seen_at < $2)
			ORDER BY id FOR NO KEY UPDATE SKIP LOCKED) AS seen
		WHERE c.id = seen.id`, valid, at)
	return err
}

func (s *PostgresStore) End(ctx context.Context, conversationID, endedBy string) (Conversation, Message, error) {
	now := s.now().UTC()
	return s.systemEvent(ctx, conversationID, Append{Kind: KindEnded, Body: endedBy},
		func(_ context.Context, _ pgx.Tx, c Conversation) (string, []any, error) {
			if c.Status == StatusEnded {
				return "", nil, Errorf(CodeConflict, "the conversation has already ended")
			}
			return `UPDATE conversations SET status = 'ended', ended_at = $1, ended_by = $2`, []any{now, endedBy}, nil
		})
}

func (s *PostgresStore) Waiting(ctx context.Context) ([]Conversation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE status = 'waiting' ORDER BY priority DESC, queued_at, id`)
	if err != nil {
		return nil, err
	}
	return collectConversations(rows)
}

func (s *PostgresStore) ActiveFor(ctx context.Context, counselorID int64) ([]Conversation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE status = 'active' AND counselor_id = $1 ORDER BY assigned_at`, counselorID)
	if err != nil {
		return nil, err
	}
	return collectConversations(rows)
}

// countAndDelete adds the chosen conversations to stats_daily and deletes
// them (messages go with them: ON DELETE CASCADE), in one statement.
const countAndDelete = `WITH gone AS (
		DELETE FROM conversations WHERE %s
		RETURNING (created_at AT TIME ZONE 'UTC')::date AS day, audience, language, ended_by, assigned_at IS NOT NULL AS answered
	), counted AS (
		SELECT day, audience, language, ended_by, answered, count(*) AS n FROM gone GROUP BY 1, 2, 3, 4, 5
	), merged AS (
		INSERT INTO stats_daily AS s (day, audience, language, ended_by, answered, count)
		SELECT day, audience, language, ended_by, answered, n FROM counted
		ON CONFLICT (day, audience, language, ended_by, answered) DO UPDATE SET count = s.count + excluded.count
	)
	SELECT coalesce(sum(n), 0) FROM counted`

func (s *PostgresStore) DeleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, fmt.Sprintf(countAndDelete, "created_at < $1"), cutoff).Scan(&n)
	return n, err
}

func (s *PostgresStore) DeleteConversation(ctx context.Context, id string) error {
	c, err := s.Conversation(ctx, id)
	if err != nil {
		return err
	}
	if c.Status != StatusEnded {
		return Errorf(CodeConflict, "end the conversation before deleting it")
	}
	var n int
	if err := s.pool.QueryRow(ctx, fmt.Sprintf(countAndDelete, "id = $1 AND status = 'ended'"), id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *PostgresStore) DailyCounts(ctx context.Context) ([]DailyCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT to_char(day, 'YYYY-MM-DD'), audience, language, ended_by, answered, count
		FROM stats_daily ORDER BY day, audience, language, ended_by, answered`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DailyCount
	for rows.Next() {
		var d DailyCount
		if err := rows.Scan(&d.Day, &d.Audience, &d.Language, &d.EndedBy, &d.Answered, &d.Count); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *PostgresStore) ActiveCounts(ctx context.Context) (map[int64]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT counselor_id, count(*) FROM conversations WHERE status = 'active' GROUP BY counselor_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
