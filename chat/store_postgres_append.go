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
// sequence number, so the number must be known before the row is sent. A
// conversation's last number is the highest seq of its messages (the
// primary key's index gives it); nothing else holds it. The store
// remembers, per conversation, what it last saw of it (the last seq,
// status, counsellor, joined colleague) and numbers a batch from that; one
// statement then takes a share lock on the conversations (in id order),
// checks that each is still as remembered (its messages still end at the
// remembered seq: nothing was written meanwhile, by this instance or
// another, and every change of state writes a message) and that every
// sender may still write, and only for those inserts the messages, in
// (conversation, seq) order, and notifies (one notification per
// notifyPerPayloadSQL conversations, not one each), committing as it
// returns: one round trip for the whole batch. The conversation's row is
// only read and share-locked, never written, on this path.
//
// The share lock is what a state change (systemEvent, FOR NO KEY UPDATE)
// and the locked fallback below wait for, and what waits for them: a
// change of state and a batch on the same conversation never overlap, so
// the one that comes second numbers from what the first committed. The
// lock is taken before the conversation's rows are inserted (they are
// selected from the locked rows), which the foreign key's own check at the
// end of the statement would be too late for: a state change holding the
// row would wait for the batch's index entry while the batch waited for
// the row. Two batches (two instances) share the lock and meet only on the
// primary key: inserting in one order, neither can hold an entry the other
// needs before one of its own.
//
// A conversation that is not as remembered is left untouched by that
// statement and done again from a fresh read. A batch that meets another
// one's rows for the same numbers (two instances writing one conversation
// at once), or a retried client id already stored, fails the statement
// (unique index) before anything is committed, and the batch is done again
// from a fresh read, which finds the rows. Nothing is stored twice or out
// of order, nothing skips a number, and a caller is answered only after its
// message is committed.

// optimisticAttempts is how often a batch is numbered without holding a
// lock (from what is remembered, then from a fresh read) before the
// conversations still to do are locked first, read and written in one
// transaction: writers racing for one conversation (several instances,
// or callers of AppendBatch at once) always get through.
const optimisticAttempts = 2

// appendDB is where appendStates reads a batch's conversations: the pool
// (a batch of statements sent at once is one transaction) or a
// transaction. The statement that writes runs on a connection of its own
// choosing (commitPlan).
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

// put keeps st unless a newer state (a higher last seq: every change of
// state writes a message) is already known. Only what is committed is put:
// a number remembered ahead of the messages would be refused by the
// statement's check, never make a gap. Ended conversations are
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
	p := getAppendPlan(len(batch))
	defer putAppendPlan(p)
	todo := p.todo[:0]
	for i, a := range batch {
		if !isUUID(a.ConversationID) {
			results[i].Err = ErrNotFound
			continue
		}
		todo = append(todo, i)
	}
	p.todo = todo
	now := s.now().UTC()
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == optimisticAttempts {
			if err := s.appendLocked(ctx, p, batch, todo, results, now); err != nil {
				failAll(results, todo, err)
			}
			break
		}
		if err := s.appendStates(ctx, s.pool, p, batch, todo, attempt > 0, false); err != nil {
			failAll(results, todo, err)
			break
		}
		s.planAppends(p, batch, todo, results, now)
		if len(p.expect.conv) > 0 {
			err := s.commitOnAppendConn(ctx, p, now)
			if redoFromFreshRead(err) {
				// A retried client id is already stored (the statement
				// does not look: a retry is rare, and the unique index
				// refuses it anyway, before anything is committed), or
				// another instance's batch took the same numbers, or the
				// conversation was deleted. The fresh read of the next
				// attempt finds what is there now.
				p.found, err = p.found[:0], nil
			}
			if err != nil {
				failAll(results, todo, err)
				break
			}
			s.remember(p) // committed as the statement returned
			for id := range p.planned {
				if !p.states[id].applied {
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
func (s *PostgresStore) appendLocked(ctx context.Context, p *appendPlan, batch []Append, todo []int, results []AppendResult, now time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := s.appendStates(ctx, tx, p, batch, todo, true, true); err != nil {
		return err
	}
	s.planAppends(p, batch, todo, results, now)
	if len(p.expect.conv) > 0 {
		// This rare path (writers racing) runs on the shared pool, whose
		// reads keep their own plans: the statement's generic plan, and
		// no sequential scan, are set for this transaction only (see
		// store_postgres_pool.go).
		if _, err := tx.Exec(ctx, `SELECT set_config('plan_cache_mode', '`+genericPlanSetting+`', true), set_config('enable_seqscan', 'off', true)`); err != nil {
			return err
		}
		if err := s.commitPlan(ctx, tx.Conn(), p, now); err != nil {
			return err
		}
		for id := range p.planned {
			if !p.states[id].applied {
				return fmt.Errorf("conversation %s changed while locked", id)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		s.remember(p) // only now is it committed
		return nil
	}
	return tx.Commit(ctx)
}

// redoFromFreshRead tells whether a batch's statement failed in a way that
// a fresh read resolves: a unique violation (a retried client id, or
// another batch's rows for the same numbers) or a foreign-key violation
// (the conversation deleted meanwhile; with the share lock taken first, a
// deleted conversation is skipped instead, so this is only a safeguard).
// Nothing of the statement is committed either way.
func redoFromFreshRead(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "23503")
}

func failAll(results []AppendResult, todo []int, err error) {
	for _, i := range todo {
		results[i] = AppendResult{Err: unavailable(err)}
	}
}

// appendStates sets p.states to the state of the conversations of the
// requests todo: remembered ones unless fresh, the others read (without a
// lock) in one round trip with the messages already stored under the
// client ids that the requests for them carry (p.existing).
func (s *PostgresStore) appendStates(ctx context.Context, db appendDB, p *appendPlan, batch []Append, todo []int, fresh, lock bool) error {
	p.reset(len(todo))
	var reading map[string]bool
	var read []string
	for _, i := range todo {
		id := batch[i].ConversationID
		if _, done := p.states[id]; done || reading[id] {
			continue
		}
		if st, ok := s.seen.get(id); ok && !fresh {
			p.states[id] = p.newState(convState{convSeen: st, lastSeq0: st.lastSeq})
			continue
		}
		if reading == nil {
			reading = map[string]bool{}
		}
		reading[id] = true
		read = append(read, id)
	}
	if len(read) == 0 {
		return nil
	}
	var dupConv, dupSender, dupClient []string
	for _, i := range todo {
		if a := batch[i]; a.ClientID != "" && reading[a.ConversationID] {
			dupConv, dupSender, dupClient = append(dupConv, a.ConversationID), append(dupSender, string(a.Sender)), append(dupClient, a.ClientID)
		}
	}
	sort.Strings(read)
	pb := &pgx.Batch{}
	if lock {
		// Locked in a statement of its own: the read after it sees
		// everything committed up to the lock (a statement reads from
		// its start; this one may wait).
		pb.Queue(`SELECT 1 FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, uuidArray(read))
	}
	pb.Queue(`SELECT id::text, status, coalesce(counselor_id, 0), coalesce(joined_staff_id, 0), `+lastSeqSQL+`
		FROM conversations WHERE id = ANY($1::uuid[])`, uuidArray(read))
	pb.Queue(`SELECT m.conversation_id::text, m.seq, m.sender, coalesce(m.sender_id, 0), m.kind, m.name, m.client_id, m.key_id, m.body, m.sent_at
		FROM messages m JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS d(c, s, k)
		ON m.conversation_id = d.c AND m.sender = d.s AND m.client_id = d.k`, uuidArray(dupConv), textArray(dupSender), textArray(dupClient))
	br := db.SendBatch(ctx, pb)
	defer br.Close()
	if lock {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	if err := p.readStates(br); err != nil {
		return err
	}
	if err := s.readExisting(br, p.existing); err != nil {
		return err
	}
	return br.Close()
}

// convState is a conversation while a batch is numbered: its state, and
// the last seq the numbering started from.
type convState struct {
	convSeen
	lastSeq0 int64
	fresh    bool // read just now, not remembered
	applied  bool // written to by the plan's statement
}

// readStates adds the conversations read to p.states.
func (p *appendPlan) readStates(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		st := convState{fresh: true}
		if err := rows.Scan(&id, statusScan{&st.status}, &st.counselor, &st.joined, &st.lastSeq); err != nil {
			return err
		}
		st.lastSeq0 = st.lastSeq
		p.states[id] = p.newState(st)
	}
	return rows.Err()
}

// readExisting reads the messages already stored under retried client ids
// from br into existing.
func (s *PostgresStore) readExisting(br pgx.BatchResults, existing map[clientKey]Message) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return err
		}
		existing[clientKey{m.ConversationID, m.Sender, m.ClientID}] = m
	}
	return rows.Err()
}

// planAppends decides each request of todo in order from p.states: a
// duplicate of a message already stored, a refusal (only from a state just
// read: a remembered one may be stale) or a new message, numbered and
// sealed, into p's rows and expectations.
func (s *PostgresStore) planAppends(p *appendPlan, batch []Append, todo []int, results []AppendResult, now time.Time) {
	p.roomToSeal(s.seal, batch, todo)
	for _, i := range todo {
		a := batch[i]
		st := p.states[a.ConversationID]
		if p.again[a.ConversationID] {
			continue
		}
		if st == nil {
			results[i].Err = ErrNotFound
			continue
		}
		key := clientKey{a.ConversationID, a.Sender, a.ClientID}
		if a.ClientID != "" {
			m, dup := p.existing[key]
			if j, ok := p.inBatch[key]; ok && !dup {
				m, dup = results[j].Message, true
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
			p.inBatch[key] = i // a second copy in this same batch is a duplicate too
		}
		keyID, sealed := p.seal(s.seal, m)
		p.rows.add(m, keyID, sealed)
		p.planned[a.ConversationID] = true
	}
	ids := p.ids[:0]
	for id := range p.planned {
		if !p.again[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	p.ids = ids
	for _, id := range ids {
		st := p.states[id]
		p.expect.conv, p.expect.before, p.expect.after = append(p.expect.conv, id), append(p.expect.before, st.lastSeq0), append(p.expect.after, st.lastSeq)
	}
	if len(ids) < len(p.planned) {
		p.dropRows()
	}
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
// The conversations are share-locked in id order, as everywhere, and
// before any of their rows is inserted; a conversation whose messages no
// longer end where expected, or whose sender may no longer write, gets
// nothing. The rows are inserted in (conversation, seq) order, so that
// two batches racing for the same numbers meet at their first shared one.
// A client id already stored is refused by the unique index, failing the
// whole statement: AppendBatch then reads and redoes the batch. (Looking
// for them here cost a join with messages whose plan PostgreSQL could not
// be trusted with: planned while the table was small, it scanned every
// message per batch.) It returns every conversation locked, by its place
// in $10 (counted from 1), with whether it was written to and, if so, its
// new last seq. The conversations go as binary uuid[] (16 bytes each, not
// text PostgreSQL parses) and come back as their place, not as text.
const appendSQL = `WITH input AS (
	SELECT t.c, t.q, t.s, t.si, t.k, t.n, t.ci, t.ki, t.b
	FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
		AS t(c, q, s, si, k, n, ci, ki, b)
), expect AS (
	SELECT e.c, e.before, e.after, e.i FROM unnest($10::uuid[], $11::bigint[], $12::bigint[]) WITH ORDINALITY AS e(c, before, after, i)
), locked AS (
	SELECT v.id, v.status, v.counselor_id, v.joined_staff_id,
		coalesce((SELECT max(m.seq) FROM messages m WHERE m.conversation_id = v.id), 0) AS last_seq
	FROM conversations v WHERE v.id = ANY($10::uuid[]) ORDER BY v.id FOR SHARE
), refused AS (
	SELECT i.c FROM input i JOIN locked l ON l.id = i.c
	WHERE i.s = 'counselor' AND (l.status = 'waiting' OR i.si = 0 OR (i.si IS DISTINCT FROM l.counselor_id AND i.si IS DISTINCT FROM l.joined_staff_id))
), ok AS (
	SELECT l.id, e.after FROM locked l JOIN expect e ON e.c = l.id
	WHERE l.last_seq = e.before AND l.status <> 'ended' AND l.id NOT IN (SELECT c FROM refused)
), ins AS (
	INSERT INTO messages (conversation_id, seq, sender, sender_id, kind, name, client_id, key_id, body, sent_at)
	SELECT i.c, i.q, i.s, nullif(i.si, 0), i.k, i.n, nullif(i.ci, ''), i.ki, i.b, $13 FROM input i JOIN ok ON ok.id = i.c ORDER BY i.c, i.q
), up AS (
	SELECT ok.id, ok.after AS last_seq FROM ok
), chunked AS (
	SELECT up.id, up.last_seq, (row_number() OVER (ORDER BY up.id) - 1) / ` + notifyPerPayloadSQL + ` AS chunk FROM up
), told AS (
	SELECT count(pg_notify(` + notifyChannelSQL + `, p.payload)) AS n FROM (
		SELECT string_agg(c.id::text || ':' || c.last_seq, ',' ORDER BY c.id) || ':' || $14 AS payload FROM chunked c GROUP BY c.chunk
	) p WHERE ` + othersListenSQL + `$14)
)
SELECT e.i, l.status, coalesce(l.counselor_id, 0), coalesce(l.joined_staff_id, 0), coalesce(u.last_seq, l.last_seq), u.id IS NOT NULL
FROM locked l JOIN expect e ON e.c = l.id LEFT JOIN up u ON u.id = l.id CROSS JOIN told`

// remember keeps, once the statement is committed, the conversations
// written to as they are now and forgets the others of the plan (gone, or
// not as expected: read them again).
func (s *PostgresStore) remember(p *appendPlan) {
	for _, f := range p.found {
		if f.applied {
			s.seen.put(p.expect.conv[f.at-1], f.seen)
		}
	}
	for _, id := range p.expect.conv {
		if !p.states[id].applied {
			s.seen.forget(id)
		}
	}
}
