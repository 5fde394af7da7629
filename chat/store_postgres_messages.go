package chat

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Messages on PostgreSQL: appended in batches, read back in order.

// notifyChannelSQL names the PostgreSQL channel on which a committed batch
// announces "conversation X now has messages up to seq N", so that other
// instances can deliver them to their own clients. Payload:
// "<conversation id>:<seq>". NOTIFY channels are database-wide, so the name
// includes the schema: deployments (or tests) sharing a database in
// separate schemas never hear each other.
const notifyChannelSQL = `'helpline_m_' || left(md5(current_schema()), 16)`

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
	joined    int64 // a colleague who joined (JoinStaff)
	lastSeq   int64
	touched   bool
}

func (s *PostgresStore) appendBatch(ctx context.Context, batch []Append, results []AppendResult) error {
	now := s.now().UTC()
	ids, seen := batchConversations(batch, results)
	if len(ids) == 0 {
		return nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	states, existing, err := s.lockForAppend(ctx, tx, batch, ids, seen)
	if err != nil {
		return err
	}
	rows := s.decideAppends(batch, results, states, existing, now)
	if len(rows.conv) == 0 {
		return tx.Commit(ctx)
	}
	if err := insertMessages(ctx, tx, rows, ids, states, now); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	return nil
}

// batchConversations refuses the requests whose conversation id cannot
// exist, and returns the others' conversations, sorted: locked in one
// order everywhere, so batches cannot deadlock.
func batchConversations(batch []Append, results []AppendResult) (ids []string, seen map[string]bool) {
	seen = map[string]bool{}
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
	sort.Strings(ids)
	return ids, seen
}

// lockForAppend is round trip 1: it locks the conversations ids and
// returns their state, and the messages already stored under a client id
// the batch retries.
func (s *PostgresStore) lockForAppend(ctx context.Context, tx pgx.Tx, batch []Append, ids []string, seen map[string]bool) (
	map[string]*convState, map[clientKey]Message, error) {
	var dupConv, dupSender, dupClient []string
	for _, a := range batch {
		if a.ClientID != "" && seen[a.ConversationID] {
			dupConv, dupSender, dupClient = append(dupConv, a.ConversationID), append(dupSender, string(a.Sender)), append(dupClient, a.ClientID)
		}
	}
	pb := &pgx.Batch{}
	pb.Queue(`SELECT id::text, status, coalesce(counselor_id, 0), coalesce(joined_staff_id, 0), last_seq FROM conversations
		WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR UPDATE`, ids)
	pb.Queue(`SELECT m.conversation_id::text, m.seq, m.sender, coalesce(m.sender_id, 0), m.kind, m.name, m.client_id, m.key_id, m.body, m.sent_at
		FROM messages m JOIN unnest($1::text[]::uuid[], $2::text[], $3::text[]) AS d(c, s, k)
		ON m.conversation_id = d.c AND m.sender = d.s AND m.client_id = d.k`, dupConv, dupSender, dupClient)
	br := tx.SendBatch(ctx, pb)
	states, err := readStates(br)
	if err != nil {
		br.Close()
		return nil, nil, err
	}
	existing, err := s.readExisting(br)
	if err != nil {
		br.Close()
		return nil, nil, err
	}
	if err := br.Close(); err != nil {
		return nil, nil, err
	}
	return states, existing, nil
}

// readStates reads the locked conversations' state from br.
func readStates(br pgx.BatchResults) (map[string]*convState, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	states := map[string]*convState{}
	for rows.Next() {
		var id string
		st := &convState{}
		if err := rows.Scan(&id, &st.status, &st.counselor, &st.joined, &st.lastSeq); err != nil {
			return nil, err
		}
		states[id] = st
	}
	return states, nil
}

// readExisting reads the messages already stored under retried client ids
// from br.
func (s *PostgresStore) readExisting(br pgx.BatchResults) (map[clientKey]Message, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	existing := map[clientKey]Message{}
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return nil, err
		}
		existing[clientKey{m.ConversationID, m.Sender, m.ClientID}] = m
	}
	return existing, nil
}

// messageRows are the columns of the messages to insert, one slice each
// (for unnest).
type messageRows struct {
	conv, sender, kind, name, client, key []string
	seq, senderID                         []int64
	body                                  [][]byte
}

func (r *messageRows) add(m Message, keyID string, sealed []byte) {
	r.conv, r.seq, r.sender, r.senderID = append(r.conv, m.ConversationID), append(r.seq, m.Seq), append(r.sender, string(m.Sender)), append(r.senderID, m.SenderID)
	r.kind, r.name, r.client, r.key, r.body = append(r.kind, m.Kind), append(r.name, m.Name), append(r.client, m.ClientID), append(r.key, keyID), append(r.body, sealed)
}

// decideAppends decides each request in order, assigning sequence
// numbers, and returns the messages to insert, sealed.
func (s *PostgresStore) decideAppends(batch []Append, results []AppendResult, states map[string]*convState,
	existing map[clientKey]Message, now time.Time) *messageRows {
	rows := &messageRows{}
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
		if err := mayWrite(Conversation{Status: st.status, CounselorID: st.counselor, JoinedID: st.joined}, a); err != nil {
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
		rows.add(m, keyID, sealed)
	}
	return rows
}

// insertMessages is round trip 2: insert the messages, bump the last_seq
// of every conversation written to, and notify other instances.
func insertMessages(ctx context.Context, tx pgx.Tx, rows *messageRows, ids []string, states map[string]*convState, now time.Time) error {
	var upIDs []string
	var upSeqs []int64
	for _, id := range ids {
		if st := states[id]; st != nil && st.touched {
			upIDs, upSeqs = append(upIDs, id), append(upSeqs, st.lastSeq)
		}
	}
	pb := &pgx.Batch{}
	pb.Queue(`INSERT INTO messages (conversation_id, seq, sender, sender_id, kind, name, client_id, key_id, body, sent_at)
		SELECT c::uuid, q, s, nullif(si, 0), k, n, nullif(ci, ''), ki, b, $10
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
		AS t(c, q, s, si, k, n, ci, ki, b)`,
		rows.conv, rows.seq, rows.sender, rows.senderID, rows.kind, rows.name, rows.client, rows.key, rows.body, now)
	pb.Queue(`UPDATE conversations SET last_seq = u.q FROM unnest($1::text[]::uuid[], $2::bigint[]) AS u(c, q) WHERE id = u.c`, upIDs, upSeqs)
	pb.Queue(`SELECT pg_notify(`+notifyChannelSQL+`, c || ':' || q) FROM unnest($1::text[], $2::bigint[]) AS u(c, q)`, upIDs, upSeqs)
	return tx.SendBatch(ctx, pb).Close()
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
