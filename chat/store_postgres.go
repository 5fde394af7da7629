package chat

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	_ Store     = (*PostgresStore)(nil)
	_ Retention = (*PostgresStore)(nil)
)

// notifyChannelSQL names the PostgreSQL channel on which a committed batch
// announces "conversation X now has messages up to seq N", so that other
// instances can deliver them to their own clients. Payload:
// "<conversation id>:<seq>". NOTIFY channels are database-wide, so the name
// includes the schema: deployments (or tests) sharing a database in
// separate schemas never hear each other.
const notifyChannelSQL = `'helpline_m_' || left(md5(current_schema()), 16)`

// PostgresStore is the store of record on PostgreSQL. Message bodies are
// sealed with AES-256-GCM before they leave the process.
type PostgresStore struct {
	pool PostgresPool
	seal *Sealer
	now  Clock
}

// NewPostgresStore returns a store on pool; the schema must be migrated.
func NewPostgresStore(pool *pgxpool.Pool, seal *Sealer, now Clock) *PostgresStore {
	if now == nil {
		now = time.Now
	}
	return &PostgresStore{pool: PostgresPool{Pool: pool}, seal: seal, now: now}
}

const conversationColumns = `id::text, status, audience, language, region, coalesce(counselor_id, 0), counselor_name,
	created_at, queued_at, coalesce(assigned_at, 'epoch'), coalesce(ended_at, 'epoch'), ended_by, last_seq,
	priority, required_skill, passed, coalesce(seeker_seen_at, 'epoch'), join_position`

func scanConversation(row pgx.Row) (Conversation, error) {
	var c Conversation
	err := row.Scan(&c.ID, &c.Status, &c.Audience, &c.Language, &c.Region, &c.CounselorID, &c.CounselorName,
		&c.CreatedAt, &c.QueuedAt, &c.AssignedAt, &c.EndedAt, &c.EndedBy, &c.LastSeq,
		&c.Priority, &c.RequiredSkill, &c.Passed, &c.SeekerSeenAt, &c.JoinPosition)
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
	row := s.pool.QueryRow(ctx, `INSERT INTO conversations (id, status, audience, language, region, created_at, queued_at, seeker_seen_at, join_position)
		VALUES ($1, 'waiting', $2, $3, $4, $5, $5, $5, 1 + (SELECT count(*) FROM conversations WHERE status = 'waiting')) RETURNING `+conversationColumns,
		NewID(), n.Audience, n.Language, n.Region, now)
	return scanConversation(row)
}

func (s *PostgresStore) Conversation(ctx context.Context, id string) (Conversation, error) {
	if !isUUID(id) {
		return Conversation{}, ErrNotFound
	}
	return scanConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = $1`, id))
}

// AppendBatch stores the whole batch in one transaction: one round trip locks
// the conversations and finds retried client ids, one inserts every message,
// bumps every last_seq and notifies other instances, then one commit. If a
// concurrent writer on another instance races a retried client id past the
// duplicate check, the unique index refuses the batch and each request is
// then stored alone, so nothing is stored twice and nothing is lost.
func (s *PostgresStore) AppendBatch(ctx context.Context, batch []Append) []AppendResult {
	results := make([]AppendResult, len(batch))
	err := s.appendBatch(ctx, batch, results)
	if err == nil {
		return results
	}
	var pgErr *pgconn.PgError
	if len(batch) > 1 && errors.As(err, &pgErr) && pgErr.Code == "23505" {
		for i := range batch {
			one := make([]AppendResult, 1)
			if err := s.appendBatch(ctx, batch[i:i+1], one); err != nil {
				one[0] = AppendResult{Err: unavailable(err)}
			}
			results[i] = one[0]
		}
		return results
	}
	for i := range results {
		results[i] = AppendResult{Err: unavailable(err)}
	}
	return results
}

type convState struct {
	status    Status
	counselor int64
	lastSeq   int64
	touched   bool
}

func (s *PostgresStore) appendBatch(ctx context.Context, batch []Append, results []AppendResult) error {
	now := s.now().UTC()
	var ids []string
	seen := map[string]bool{}
	for i, a := range batch {
		if !isUUID(a.ConversationID) {
			results[i].Err = ErrNotFound
			continue
		}
		if !seen[a.ConversationID] {
			seen[a.ConversationID] = true
			ids = append(ids, a.ConversationID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sort.Strings(ids) // lock in one order everywhere, so batches cannot deadlock

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)

	// Round trip 1: lock the conversations, then look for retried client ids.
	var dupConv, dupSender, dupClient []string
	for _, a := range batch {
		if a.ClientID != "" && seen[a.ConversationID] {
			dupConv, dupSender, dupClient = append(dupConv, a.ConversationID), append(dupSender, string(a.Sender)), append(dupClient, a.ClientID)
		}
	}
	pb := &pgx.Batch{}
	pb.Queue(`SELECT id::text, status, coalesce(counselor_id, 0), last_seq FROM conversations
		WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR UPDATE`, ids)
	pb.Queue(`SELECT m.conversation_id::text, m.seq, m.sender, coalesce(m.sender_id, 0), m.kind, m.name, m.client_id, m.key_id, m.body, m.sent_at
		FROM messages m JOIN unnest($1::text[]::uuid[], $2::text[], $3::text[]) AS d(c, s, k)
		ON m.conversation_id = d.c AND m.sender = d.s AND m.client_id = d.k`, dupConv, dupSender, dupClient)
	br := tx.SendBatch(ctx, pb)
	states := map[string]*convState{}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return err
	}
	for rows.Next() {
		var id string
		st := &convState{}
		if err := rows.Scan(&id, &st.status, &st.counselor, &st.lastSeq); err != nil {
			rows.Close()
			br.Close()
			return err
		}
		states[id] = st
	}
	rows.Close()
	existing := map[clientKey]Message{}
	rows, err = br.Query()
	if err != nil {
		br.Close()
		return err
	}
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			rows.Close()
			br.Close()
			return err
		}
		existing[clientKey{m.ConversationID, m.Sender, m.ClientID}] = m
	}
	rows.Close()
	if err := br.Close(); err != nil {
		return err
	}

	// Decide each request in order, assigning sequence numbers.
	var (
		inConv, inSender, inKind, inName, inClient, inKey []string
		inSeq, inSenderID                                 []int64
		inBody                                            [][]byte
	)
	for i, a := range batch {
		if results[i].Err != nil {
			continue
		}
		st, ok := states[a.ConversationID]
		if !ok {
			results[i].Err = ErrNotFound
			continue
		}
		key := clientKey{a.ConversationID, a.Sender, a.ClientID}
		if a.ClientID != "" {
			if m, dup := existing[key]; dup {
				results[i] = AppendResult{Message: m, Duplicate: true}
				continue
			}
		}
		if err := mayWrite(Conversation{Status: st.status, CounselorID: st.counselor}, a); err != nil {
			results[i].Err = err
			continue
		}
		st.lastSeq++
		st.touched = true
		kind := a.Kind
		if kind == "" {
			kind = KindText
		}
		m := Message{ConversationID: a.ConversationID, Seq: st.lastSeq, Sender: a.Sender, SenderID: a.SenderID,
			Kind: kind, Body: a.Body, Name: a.Name, ClientID: a.ClientID, SentAt: now}
		results[i].Message = m
		if a.ClientID != "" {
			existing[key] = m // a second copy in this same batch is a duplicate too
		}
		keyID, sealed := s.seal.Seal([]byte(m.Body), messageAAD(m.ConversationID, m.Seq))
		inConv, inSeq, inSender, inSenderID = append(inConv, m.ConversationID), append(inSeq, m.Seq), append(inSender, string(m.Sender)), append(inSenderID, m.SenderID)
		inKind, inName, inClient, inKey, inBody = append(inKind, m.Kind), append(inName, m.Name), append(inClient, m.ClientID), append(inKey, keyID), append(inBody, sealed)
	}
	if len(inConv) == 0 {
		return tx.Commit(ctx)
	}
	var upIDs []string
	var upSeqs []int64
	for _, id := range ids {
		if st := states[id]; st != nil && st.touched {
			upIDs, upSeqs = append(upIDs, id), append(upSeqs, st.lastSeq)
		}
	}

	// Round trip 2: insert, bump, notify.
	pb = &pgx.Batch{}
	pb.Queue(`INSERT INTO messages (conversation_id, seq, sender, sender_id, kind, name, client_id, key_id, body, sent_at)
		SELECT c::uuid, q, s, nullif(si, 0), k, n, nullif(ci, ''), ki, b, $10
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
		AS t(c, q, s, si, k, n, ci, ki, b)`,
		inConv, inSeq, inSender, inSenderID, inKind, inName, inClient, inKey, inBody, now)
	pb.Queue(`UPDATE conversations SET last_seq = u.q FROM unnest($1::text[]::uuid[], $2::bigint[]) AS u(c, q) WHERE id = u.c`, upIDs, upSeqs)
	pb.Queue(`SELECT pg_notify(`+notifyChannelSQL+`, c || ':' || q) FROM unnest($1::text[], $2::bigint[]) AS u(c, q)`, upIDs, upSeqs)
	if err := tx.SendBatch(ctx, pb).Close(); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	return nil
}

const messageColumns = `conversation_id::text, seq, sender, coalesce(sender_id, 0), kind, name, coalesce(client_id, ''), key_id, body, sent_at`

func (s *PostgresStore) scanMessage(row pgx.Row) (Message, error) {
	var m Message
	var keyID string
	var sealed []byte
	if err := row.Scan(&m.ConversationID, &m.Seq, &m.Sender, &m.SenderID, &m.Kind, &m.Name, &m.ClientID, &keyID, &sealed, &m.SentAt); err != nil {
		return m, err
	}
	body, err := s.seal.Open(keyID, sealed, messageAAD(m.ConversationID, m.Seq))
	if err != nil {
		return m, fmt.Errorf("opening message %s/%d: %w", m.ConversationID, m.Seq, err)
	}
	m.Body = string(body)
	m.SentAt = m.SentAt.UTC()
	return m, nil
}

func (s *PostgresStore) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error) {
	if !isUUID(conversationID) {
		return nil, ErrNotFound
	}
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.pool.Query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, conversationID, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		if _, err := s.Conversation(ctx, conversationID); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	c, err := scanConversation(tx.QueryRow(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = $1 FOR UPDATE`, conversationID))
	if err != nil {
		return Conversation{}, Message{}, err
	}
	update, args, err := change(ctx, tx, c)
	if err != nil {
		return Conversation{}, Message{}, err
	}
	seq := c.LastSeq + 1
	n := len(args)
	args = append(args, seq, c.ID)
	c, err = scanConversation(tx.QueryRow(ctx, fmt.Sprintf(`%s, last_seq = $%d WHERE id = $%d RETURNING %s`,
		update, n+1, n+2, conversationColumns), args...))
	if err != nil {
		return Conversation{}, Message{}, err
	}
	m := Message{ConversationID: c.ID, Seq: seq, Sender: SenderSystem, Kind: event.Kind, Body: event.Body, Name: event.Name, SentAt: now}
	keyID, sealed := s.seal.Seal([]byte(m.Body), messageAAD(m.ConversationID, m.Seq))
	if _, err := tx.Exec(ctx, `INSERT INTO messages (conversation_id, seq, sender, kind, name, key_id, body, sent_at)
		VALUES ($1, $2, 'system', $3, $4, $5, $6, $7)`, m.ConversationID, m.Seq, m.Kind, m.Name, keyID, sealed, now); err != nil {
		return Conversation{}, Message{}, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify(`+notifyChannelSQL+`, $1)`, c.ID+":"+strconv.FormatInt(seq, 10)); err != nil {
		return Conversation{}, Message{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Conversation{}, Message{}, unavailable(err)
	}
	return c, m, nil
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
			// recorded while the conversation was active.
			return `UPDATE conversations SET status = 'waiting', counselor_id = NULL, counselor_name = '', assigned_at = NULL,
				priority = $1, required_skill = $2, passed = $3, seeker_seen_at = greatest(seeker_seen_at, $4)`,
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
			return `UPDATE conversations SET counselor_id = $1, counselor_name = $2, assigned_at = $3, passed = array_append(passed, $4::bigint)`,
				[]any{to, toName, now, from}, nil
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

func (s *PostgresStore) AddNote(ctx context.Context, n Note) error {
	if !isUUID(n.ConversationID) {
		return ErrNotFound
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	keyID, sealed := s.seal.Seal([]byte(n.Body), noteAAD(n.ConversationID, n.StaffID, at))
	tag, err := s.pool.Exec(ctx, `INSERT INTO notes (conversation_id, staff_id, staff_name, key_id, body, created_at)
		SELECT id, $2, $3, $4, $5, $6 FROM conversations WHERE id = $1`, n.ConversationID, n.StaffID, n.StaffName, keyID, sealed, at)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return err
}

func (s *PostgresStore) Notes(ctx context.Context, conversationID string) ([]Note, error) {
	if !isUUID(conversationID) {
		return nil, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT staff_id, staff_name, key_id, body, created_at FROM notes WHERE conversation_id = $1 ORDER BY id`, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		n := Note{ConversationID: conversationID}
		var keyID string
		var sealed []byte
		if err := rows.Scan(&n.StaffID, &n.StaffName, &keyID, &sealed, &n.CreatedAt); err != nil {
			return nil, err
		}
		body, err := s.seal.Open(keyID, sealed, noteAAD(conversationID, n.StaffID, n.CreatedAt))
		if err != nil {
			return nil, err
		}
		n.Body, n.CreatedAt = string(body), n.CreatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
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
