package chat

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Appending on PostgreSQL. A message's body is sealed bound to its
// sequence number, so the number must be known before the row is sent. The
// store remembers, per conversation, what it last saw of it under its row
// lock (last_seq, status, counsellor, joined colleague) and numbers a
// batch from that; one statement then locks the conversations, checks that
// each is still exactly as remembered (same last_seq: nothing was written
// meanwhile, by this instance or another) and that every sender may still
// write, and only for those inserts the messages, moves last_seq and
// notifies (one notification per notifyPerPayloadSQL conversations, not one
// each), committing as it returns: one round trip for the whole batch.
// A conversation that is not as remembered is left untouched by that
// statement and done again from a fresh read; a retried client id already
// stored fails the statement (unique index), and the batch is done again
// from a fresh read, which finds it. Nothing is stored twice or out of order, nothing skips a
// number, and a caller is answered only after its message is committed.

// optimisticAttempts is how often a batch is numbered without holding a
// lock (from what is remembered, then from a fresh read) before the
// conversations still to do are locked first, read and written in one
// transaction: writers racing for one conversation (several instances,
// or callers of AppendBatch at once) always get through.
const optimisticAttempts = 2

// appendDB is where appends run: the pool (a batch of statements sent at
// once is one transaction, committed at its end) or a transaction.
type appendDB interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// convSeen is a conversation as the store last saw it.
type convSeen struct {
	status    Status
	counselor int64
	joined    int64 // a colleague who joined (JoinStaff)
	lastSeq   int64
}

// seenCache remembers convSeen per conversation. It is only a guess that
// saves a read: every use is checked under the row lock.
type seenCache struct {
	mu sync.Mutex
	m  map[string]convSeen
}

// seenCacheMax bounds the cache; past it, it starts again empty.
const seenCacheMax = 200_000

func (c *seenCache) get(id string) (convSeen, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[id]
	return st, ok
}

// put keeps st unless a newer state (a higher last_seq: every change of
// state writes a message) is already known. Ended conversations are
// forgotten: nothing more is written to them.
func (c *seenCache) put(id string, st convSeen) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= seenCacheMax {
		c.m = map[string]convSeen{}
	}
	if st.status == StatusEnded {
		delete(c.m, id)
		return
	}
	if old, ok := c.m[id]; ok && old.lastSeq > st.lastSeq {
		return
	}
	c.m[id] = st
}

func (c *seenCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// AppendBatch stores the batch; see the top of this file.
func (s *PostgresStore) AppendBatch(ctx context.Context, batch []Append) []AppendResult {
	results := make([]AppendResult, len(batch))
	todo := make([]int, 0, len(batch))
	for i, a := range batch {
		if !isUUID(a.ConversationID) {
			results[i].Err = ErrNotFound
			continue
		}
		todo = append(todo, i)
	}
	now := s.now().UTC()
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == optimisticAttempts {
			if err := s.appendLocked(ctx, batch, todo, results, now); err != nil {
				failAll(results, todo, err)
			}
			break
		}
		states, existing, err := s.appendStates(ctx, s.pool, batch, todo, attempt > 0, false)
		if err != nil {
			failAll(results, todo, err)
			break
		}
		p := s.planAppends(batch, todo, results, states, existing, now)
		if len(p.expect.conv) > 0 {
			applied, err := s.commitPlan(ctx, s.appends, p, now)
			if isUniqueViolation(err) {
				// A retried client id is already stored (the statement
				// does not look: a retry is rare, and the unique index
				// refuses it anyway, before anything is committed). The
				// fresh read of the next attempt finds it.
				applied, err = map[string]bool{}, nil
			}
			if err != nil {
				failAll(results, todo, err)
				break
			}
			for id := range p.planned {
				if !applied[id] {
					p.again[id] = true
				}
			}
		}
		todo = p.redo(batch, todo, results)
	}
	return results
}

// appendLocked stores the requests todo in one transaction that locks
// their conversations before reading them, so that nothing can change
// between the numbering and the insert.
func (s *PostgresStore) appendLocked(ctx context.Context, batch []Append, todo []int, results []AppendResult, now time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	states, existing, err := s.appendStates(ctx, tx, batch, todo, true, true)
	if err != nil {
		return err
	}
	p := s.planAppends(batch, todo, results, states, existing, now)
	if len(p.expect.conv) > 0 {
		// This rare path (writers racing) runs on the shared pool, whose
		// reads keep their own plans: the statement's generic plan is set
		// for this transaction only (see store_postgres_pool.go).
		if _, err := tx.Exec(ctx, `SELECT set_config('plan_cache_mode', '`+genericPlanSetting+`', true)`); err != nil {
			return err
		}
		applied, err := s.commitPlan(ctx, tx, p, now)
		if err != nil {
			return err
		}
		for id := range p.planned {
			if !applied[id] {
				return fmt.Errorf("conversation %s changed while locked", id)
			}
		}
	}
	return tx.Commit(ctx)
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func failAll(results []AppendResult, todo []int, err error) {
	for _, i := range todo {
		results[i] = AppendResult{Err: unavailable(err)}
	}
}

// appendStates returns the state of the conversations of the requests
// todo: remembered ones unless fresh, the others read (without a lock) in
// one round trip with the messages already stored under the client ids
// that the requests for them carry.
func (s *PostgresStore) appendStates(ctx context.Context, db appendDB, batch []Append, todo []int, fresh, lock bool) (
	map[string]*convState, map[clientKey]Message, error) {
	states := map[string]*convState{}
	reading := map[string]bool{}
	var read []string
	for _, i := range todo {
		id := batch[i].ConversationID
		if _, done := states[id]; done || reading[id] {
			continue
		}
		if st, ok := s.seen.get(id); ok && !fresh {
			states[id] = &convState{convSeen: st, lastSeq0: st.lastSeq}
			continue
		}
		reading[id] = true
		read = append(read, id)
	}
	if len(read) == 0 {
		return states, nil, nil
	}
	var dupConv, dupSender, dupClient []string
	for _, i := range todo {
		if a := batch[i]; a.ClientID != "" && reading[a.ConversationID] {
			dupConv, dupSender, dupClient = append(dupConv, a.ConversationID), append(dupSender, string(a.Sender)), append(dupClient, a.ClientID)
		}
	}
	sort.Strings(read)
	locking := ""
	if lock {
		locking = " ORDER BY id FOR UPDATE"
	}
	pb := &pgx.Batch{}
	pb.Queue(`SELECT id::text, status, coalesce(counselor_id, 0), coalesce(joined_staff_id, 0), last_seq FROM conversations
		WHERE id = ANY($1::text[]::uuid[])`+locking, textArray(read))
	pb.Queue(`SELECT m.conversation_id::text, m.seq, m.sender, coalesce(m.sender_id, 0), m.kind, m.name, m.client_id, m.key_id, m.body, m.sent_at
		FROM messages m JOIN unnest($1::text[]::uuid[], $2::text[], $3::text[]) AS d(c, s, k)
		ON m.conversation_id = d.c AND m.sender = d.s AND m.client_id = d.k`, textArray(dupConv), textArray(dupSender), textArray(dupClient))
	br := db.SendBatch(ctx, pb)
	defer br.Close()
	if err := readStates(br, states); err != nil {
		return nil, nil, err
	}
	existing, err := s.readExisting(br)
	if err != nil {
		return nil, nil, err
	}
	return states, existing, br.Close()
}

// convState is a conversation while a batch is numbered: its state, and
// the last_seq the numbering started from.
type convState struct {
	convSeen
	lastSeq0 int64
	fresh    bool // read just now, not remembered
}

// readStates adds the conversations read to states.
func readStates(br pgx.BatchResults, states map[string]*convState) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		st := &convState{fresh: true}
		if err := rows.Scan(&id, &st.status, &st.counselor, &st.joined, &st.lastSeq); err != nil {
			return err
		}
		st.lastSeq0 = st.lastSeq
		states[id] = st
	}
	return rows.Err()
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
	return existing, rows.Err()
}

// messageRows are the columns of the messages to insert, one slice each
// (for unnest).
type messageRows struct {
	conv, sender, kind, name, client, key textArray
	seq, senderID                         []int64
	body                                  byteaArray
}

func (r *messageRows) add(m Message, keyID string, sealed []byte) {
	r.conv, r.seq, r.sender, r.senderID = append(r.conv, m.ConversationID), append(r.seq, m.Seq), append(r.sender, string(m.Sender)), append(r.senderID, m.SenderID)
	r.kind, r.name, r.client, r.key, r.body = append(r.kind, m.Kind), append(r.name, m.Name), append(r.client, m.ClientID), append(r.key, keyID), append(r.body, sealed)
}

// expectations are, per conversation written to, the last_seq it must
// still have and the one it gets.
type expectations struct {
	conv          textArray
	before, after []int64
}

// appendPlan is one statement's worth of a batch.
type appendPlan struct {
	rows    messageRows
	expect  expectations
	states  map[string]*convState
	planned map[string]bool // conversations with rows in this plan
	again   map[string]bool // conversations to do again from a fresh read
}

// planAppends decides each request of todo in order from states: a
// duplicate of a message already stored, a refusal (only from a state just
// read: a remembered one may be stale) or a new message, numbered and
// sealed.
func (s *PostgresStore) planAppends(batch []Append, todo []int, results []AppendResult, states map[string]*convState,
	existing map[clientKey]Message, now time.Time) *appendPlan {
	p := &appendPlan{states: states, planned: map[string]bool{}, again: map[string]bool{}}
	inBatch := map[clientKey]Message{}
	for _, i := range todo {
		a := batch[i]
		st := states[a.ConversationID]
		if p.again[a.ConversationID] {
			continue
		}
		if st == nil {
			results[i].Err = ErrNotFound
			continue
		}
		key := clientKey{a.ConversationID, a.Sender, a.ClientID}
		if a.ClientID != "" {
			m, dup := existing[key]
			if !dup {
				m, dup = inBatch[key]
			}
			if dup {
				results[i] = AppendResult{Message: m, Duplicate: true}
				continue
			}
		}
		if err := mayWrite(Conversation{Status: st.status, CounselorID: st.counselor, JoinedID: st.joined}, a); err != nil {
			if st.fresh {
				results[i].Err = err
			} else {
				p.again[a.ConversationID] = true
			}
			continue
		}
		st.lastSeq++
		kind := a.Kind
		if kind == "" {
			kind = KindText
		}
		m := Message{ConversationID: a.ConversationID, Seq: st.lastSeq, Sender: a.Sender, SenderID: a.SenderID,
			Kind: kind, Body: a.Body, Name: a.Name, ClientID: a.ClientID, SentAt: now}
		results[i].Message = m
		if a.ClientID != "" {
			inBatch[key] = m // a second copy in this same batch is a duplicate too
		}
		keyID, sealed := s.seal.Seal([]byte(m.Body), messageAAD(m.ConversationID, m.Seq))
		p.rows.add(m, keyID, sealed)
		p.planned[a.ConversationID] = true
	}
	ids := make([]string, 0, len(p.planned))
	for id := range p.planned {
		if !p.again[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := states[id]
		p.expect.conv, p.expect.before, p.expect.after = append(p.expect.conv, id), append(p.expect.before, st.lastSeq0), append(p.expect.after, st.lastSeq)
	}
	if len(ids) < len(p.planned) {
		p.dropRows()
	}
	return p
}

// dropRows removes the rows of the conversations to do again.
func (p *appendPlan) dropRows() {
	var kept messageRows
	r := &p.rows
	for j, id := range r.conv {
		if p.again[id] {
			continue
		}
		kept.conv, kept.seq, kept.sender, kept.senderID = append(kept.conv, id), append(kept.seq, r.seq[j]), append(kept.sender, r.sender[j]), append(kept.senderID, r.senderID[j])
		kept.kind, kept.name, kept.client, kept.key, kept.body = append(kept.kind, r.kind[j]), append(kept.name, r.name[j]), append(kept.client, r.client[j]), append(kept.key, r.key[j]), append(kept.body, r.body[j])
	}
	p.rows = kept
	for id := range p.again {
		delete(p.planned, id)
	}
}

// redo clears the results of the requests to do again and returns them.
func (p *appendPlan) redo(batch []Append, todo []int, results []AppendResult) []int {
	next := todo[:0]
	for _, i := range todo {
		if p.again[batch[i].ConversationID] {
			results[i] = AppendResult{}
			next = append(next, i)
		}
	}
	return next
}

// appendSQL is the one statement of a batch (see the top of this file).
// The conversations are locked in id order, as everywhere, so that
// batches cannot deadlock; a conversation that is not as expected, or
// whose sender may no longer write, gets nothing. A client id already
// stored is refused by the unique index, failing the whole statement:
// AppendBatch then reads and redoes the batch. (Looking for them here cost
// a join with messages whose plan PostgreSQL could not be trusted with:
// planned while the table was small, it scanned every message per batch.) It returns every conversation locked, with
// whether it was written to.
const appendSQL = `WITH input AS (
	SELECT t.c::uuid AS c, t.q, t.s, t.si, t.k, t.n, t.ci, t.ki, t.b
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
		AS t(c, q, s, si, k, n, ci, ki, b)
), expect AS (
	SELECT e.c::uuid AS c, e.before, e.after FROM unnest($10::text[], $11::bigint[], $12::bigint[]) AS e(c, before, after)
), locked AS (
	SELECT v.id, v.status, v.counselor_id, v.joined_staff_id, v.last_seq FROM conversations v
	WHERE v.id = ANY($10::text[]::uuid[]) ORDER BY v.id FOR UPDATE
), refused AS (
	SELECT i.c FROM input i JOIN locked l ON l.id = i.c
	WHERE i.s = 'counselor' AND (l.status = 'waiting' OR i.si = 0 OR (i.si IS DISTINCT FROM l.counselor_id AND i.si IS DISTINCT FROM l.joined_staff_id))
), ok AS (
	SELECT l.id, e.after FROM locked l JOIN expect e ON e.c = l.id
	WHERE l.last_seq = e.before AND l.status <> 'ended' AND l.id NOT IN (SELECT c FROM refused)
), up AS (
	UPDATE conversations v SET last_seq = ok.after FROM ok WHERE v.id = ok.id RETURNING v.id, v.last_seq
), ins AS (
	INSERT INTO messages (conversation_id, seq, sender, sender_id, kind, name, client_id, key_id, body, sent_at)
	SELECT i.c, i.q, i.s, nullif(i.si, 0), i.k, i.n, nullif(i.ci, ''), i.ki, i.b, $13 FROM input i JOIN up ON up.id = i.c
), chunked AS (
	SELECT up.id, up.last_seq, (row_number() OVER (ORDER BY up.id) - 1) / ` + notifyPerPayloadSQL + ` AS chunk FROM up
), told AS (
	SELECT count(pg_notify(` + notifyChannelSQL + `, p.payload)) AS n FROM (
		SELECT string_agg(c.id::text || ':' || c.last_seq, ',' ORDER BY c.id) || ':' || $14 AS payload FROM chunked c GROUP BY c.chunk
	) p WHERE ` + othersListenSQL + `$14)
)
SELECT l.id::text, l.status, coalesce(l.counselor_id, 0), coalesce(l.joined_staff_id, 0), coalesce(u.last_seq, l.last_seq), u.id IS NOT NULL
FROM locked l LEFT JOIN up u ON u.id = l.id CROSS JOIN told`

// commitPlan runs the plan's statement, on the append connections, where
// it commits as it completes (before PostgreSQL answers "ready"), or in a
// transaction, and returns the conversations written to. Either way it
// must run under its generic plan (store_postgres_pool.go). Every
// conversation it locked is remembered as it was found.
func (s *PostgresStore) commitPlan(ctx context.Context, db appendDB, p *appendPlan, now time.Time) (map[string]bool, error) {
	r := &p.rows
	pb := &pgx.Batch{}
	pb.Queue(appendSQL, r.conv, r.seq, r.sender, r.senderID, r.kind, r.name, r.client, r.key, r.body,
		p.expect.conv, p.expect.before, p.expect.after, now, s.origin)
	br := db.SendBatch(ctx, pb)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	type found struct {
		id      string
		seen    convSeen
		applied bool
	}
	var all []found
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.id, &f.seen.status, &f.seen.counselor, &f.seen.joined, &f.seen.lastSeq, &f.applied); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Close reads up to "ready for query": only then is the commit known.
	if err := br.Close(); err != nil {
		return nil, err
	}
	applied := make(map[string]bool, len(all))
	for _, f := range all {
		s.seen.put(f.id, f.seen)
		applied[f.id] = f.applied
	}
	for _, id := range p.expect.conv {
		if !applied[id] {
			s.seen.forget(id) // gone, or not as expected: read it again
		}
	}
	return applied, nil
}
