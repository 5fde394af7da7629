package chat

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"helpline/migrations/migrationstest"
)

// TestPostgresCommitCostSeqAB measures the append statement against the
// one it replaced (e839662's, which moved conversations.last_seq under a
// FOR UPDATE lock), in alternating blocks on the same tables (the column
// restored for it, and set from the messages between blocks, outside what
// is measured). HELPLINE_PGCOST_SEQAB=N commits per way and batch size
// (HELPLINE_PGCOST_SIZES, default 1, 4 and 16), on a cluster of its own.
func TestPostgresCommitCostSeqAB(t *testing.T) {
	commits, _ := strconv.Atoi(os.Getenv("HELPLINE_PGCOST_SEQAB"))
	if commits <= 0 {
		t.Skip("set HELPLINE_PGCOST_SEQAB to compare the append statement with the one it replaced (on a cluster of its own)")
	}
	sizes := []int{1, 4, 16}
	if s := os.Getenv("HELPLINE_PGCOST_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, _ := strconv.Atoi(f)
			sizes = append(sizes, max(n, 1))
		}
	}
	ctx := context.Background()
	for _, size := range sizes {
		t.Run(fmt.Sprintf("batch=%d", size), func(t *testing.T) {
			r := newABRun(t, size)
			if _, err := r.pool0.Exec(ctx, `ALTER TABLE conversations ADD COLUMN last_seq bigint NOT NULL DEFAULT 0`); err != nil {
				t.Fatal(err)
			}
			generic := migrationstest.MustPool(t, r.url+"&plan_cache_mode=force_generic_plan")
			ways := []*abWay{
				{name: "last_seq moved (e839662)", pool: generic, commit: commitStatement(lastSeqAppendSQL, ""), listen: true},
				{name: "seq from messages", pool: generic, commit: commitStatement(appendSQL, ""), listen: true},
			}
			resync := func() {
				if _, err := r.pool0.Exec(ctx, `UPDATE conversations c SET last_seq = m.last
					FROM (SELECT conversation_id, max(seq) AS last FROM messages GROUP BY 1) m WHERE m.conversation_id = c.id AND c.last_seq <> m.last`); err != nil {
					t.Fatal(err)
				}
			}
			const blocks = 10
			for _, w := range ways {
				r.block(w, 100) // prepared statements, plans
				resync()
				w.pg, w.goCPU = 0, 0
			}
			for b := range blocks {
				for i := range ways {
					r.block(ways[(i+b)%2], commits/blocks) // each goes first in half the blocks
					resync()
				}
			}
			for _, w := range ways {
				n := float64(commits / blocks * blocks)
				t.Logf("%-26s batch %2d: PostgreSQL %6.1f µs/commit, this process %6.1f µs/commit", w.name, size, w.pg.Seconds()*1e6/n, w.goCPU.Seconds()*1e6/n)
				fmt.Printf("SEQAB\t%s\t%d\t%.1f\t%.1f\n", w.name, size, w.pg.Seconds()*1e6/n, w.goCPU.Seconds()*1e6/n)
			}
		})
	}
}

// lastSeqAppendSQL is the append statement as it was at e839662, kept to
// measure against: it locked the conversations FOR UPDATE and moved
// last_seq, a new version of each conversation's row per commit.
const lastSeqAppendSQL = `WITH input AS (
	SELECT t.c, t.q, t.s, t.si, t.k, t.n, t.ci, t.ki, t.b
	FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
		AS t(c, q, s, si, k, n, ci, ki, b)
), expect AS (
	SELECT e.c, e.before, e.after, e.i FROM unnest($10::uuid[], $11::bigint[], $12::bigint[]) WITH ORDINALITY AS e(c, before, after, i)
), locked AS (
	SELECT v.id, v.status, v.counselor_id, v.joined_staff_id, v.last_seq FROM conversations v
	WHERE v.id = ANY($10::uuid[]) ORDER BY v.id FOR UPDATE
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
	) p
)
SELECT e.i, l.status, coalesce(l.counselor_id, 0), coalesce(l.joined_staff_id, 0), coalesce(u.last_seq, l.last_seq), u.id IS NOT NULL
FROM locked l JOIN expect e ON e.c = l.id LEFT JOIN up u ON u.id = l.id CROSS JOIN told`
