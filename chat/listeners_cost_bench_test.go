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

// TestPostgresNotifyCostByListeners measures PostgreSQL's CPU per commit
// of the append statement three ways, in alternating blocks on the same
// tables (as TestPostgresCommitCostAB): the statement before the listener
// registry (it always notifies; the writing instance's own listener wakes
// for each commit and drops it), the statement as it is with only the
// writer listed (it notifies no one; the listener stays, idle), and with
// another instance listed too (it notifies, one listener hears it).
// HELPLINE_PGCOST_LISTENERS=N commits per way and batch size
// (HELPLINE_PGCOST_SIZES, default 1 and 4), on a cluster of its own.
func TestPostgresNotifyCostByListeners(t *testing.T) {
	commits, _ := strconv.Atoi(os.Getenv("HELPLINE_PGCOST_LISTENERS"))
	if commits <= 0 {
		t.Skip("set HELPLINE_PGCOST_LISTENERS to measure the registry's condition (on a cluster of its own)")
	}
	sizes := []int{1, 4}
	if s := os.Getenv("HELPLINE_PGCOST_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, _ := strconv.Atoi(f)
			sizes = append(sizes, max(n, 1))
		}
	}
	condition := ") p WHERE " + othersListenSQL + "$14)"
	if !strings.Contains(appendSQL, condition) {
		t.Fatal("appendSQL has no registry condition to leave out")
	}
	before := strings.Replace(appendSQL, condition, ") p", 1)
	for _, size := range sizes {
		t.Run(fmt.Sprintf("batch=%d", size), func(t *testing.T) {
			r := newABRun(t, size)
			generic := migrationstest.MustPool(t, r.url+"&plan_cache_mode=force_generic_plan")
			ways := []*abWay{
				{name: "before the registry", pool: generic, commit: commitStatement(before, ""), listen: true},
				{name: "registry, alone", pool: generic, commit: commitStatement(appendSQL, ""), listen: true},
				{name: "registry, another listed", pool: generic, commit: commitStatement(appendSQL, ""), listen: true},
			}
			others := map[*abWay]bool{ways[2]: true}
			list := func(w *abWay) {
				ctx := context.Background()
				if _, err := r.pool0.Exec(ctx, `INSERT INTO message_listeners (origin, seen) VALUES ($1, now()) ON CONFLICT DO NOTHING`, r.e.origin); err != nil {
					t.Fatal(err)
				}
				q := `DELETE FROM message_listeners WHERE origin = 'other'`
				if others[w] {
					q = `INSERT INTO message_listeners (origin, seen) VALUES ('other', now()) ON CONFLICT DO NOTHING`
				}
				if _, err := r.pool0.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range ways {
				list(w)
				r.block(w, 100) // prepared statements, plans
				w.pg, w.goCPU = 0, 0
			}
			const blocks = 10
			for b := range blocks {
				for i := range ways {
					w := ways[(i+b)%len(ways)] // each goes first in some blocks
					list(w)
					r.block(w, commits/blocks)
				}
			}
			for _, w := range ways {
				n := float64(commits / blocks * blocks)
				t.Logf("%-26s batch %2d: PostgreSQL %6.1f µs/commit, this process %6.1f µs/commit", w.name, size, w.pg.Seconds()*1e6/n, w.goCPU.Seconds()*1e6/n)
				fmt.Printf("LISTENERS\t%s\t%d\t%.1f\t%.1f\n", w.name, size, w.pg.Seconds()*1e6/n, w.goCPU.Seconds()*1e6/n)
			}
		})
	}
}
