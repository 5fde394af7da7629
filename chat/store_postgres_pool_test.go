package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/migrations/migrationstest"
)

// The message path commits on connections that plan its statement
// generically from the start, with no statement per commit to say so,
// while the shared pool's connections keep PostgreSQL's default (so that
// every other query keeps its plans).
func TestPostgresAppendConnectionsPlanGenerically(t *testing.T) {
	pool, s := newPoolTestStore(t)
	defer s.Close()
	ctx := context.Background()
	c, err := s.CreateConversation(ctx, NewConversation{Audience: AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	const commits = 8 // more than the 5 custom plans PostgreSQL tries before it may choose
	for i := range commits {
		res := s.AppendBatch(ctx, []Append{{ConversationID: c.ID, Sender: SenderSeeker, Kind: KindText, Body: "hello"}})
		if res[0].Err != nil || res[0].Message.Seq != int64(i+1) {
			t.Fatalf("append %d: %+v", i, res[0])
		}
	}

	conn, err := s.appends.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var mode string
	if err := conn.QueryRow(ctx, `SHOW plan_cache_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "force_generic_plan" {
		t.Errorf("append connection: plan_cache_mode = %q, want force_generic_plan", mode)
	}
	var statements, setConfig, generic, custom int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE statement LIKE 'WITH input AS%'),
		count(*) FILTER (WHERE position('set_' || 'config' IN statement) > 0),
		coalesce(sum(generic_plans) FILTER (WHERE statement LIKE 'WITH input AS%'), 0),
		coalesce(sum(custom_plans) FILTER (WHERE statement LIKE 'WITH input AS%'), 0)
		FROM pg_prepared_statements`).Scan(&statements, &setConfig, &generic, &custom); err != nil {
		t.Fatal(err)
	}
	if statements != 1 || generic != commits || custom != 0 || setConfig != 0 {
		t.Errorf("append connection: %d append statements run %d times generically, %d custom; %d set_config statements; want 1, %d, 0, 0",
			statements, generic, custom, setConfig, commits)
	}

	if err := pool.QueryRow(ctx, `SHOW plan_cache_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "auto" {
		t.Errorf("shared pool: plan_cache_mode = %q, want PostgreSQL's default, auto", mode)
	}
}

// Close releases the store's own connections, and only those.
func TestPostgresStoreCloseReleasesItsConnections(t *testing.T) {
	pool, s := newPoolTestStore(t)
	ctx := context.Background()
	c, err := s.CreateConversation(ctx, NewConversation{Audience: AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	if res := s.AppendBatch(ctx, []Append{{ConversationID: c.ID, Sender: SenderSeeker, Kind: KindText, Body: "hello"}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if n := s.ownAppends.Stat().TotalConns(); n != 1 {
		t.Fatalf("before Close: %d append connections, want 1", n)
	}
	s.Close()
	if n := s.ownAppends.Stat().TotalConns(); n != 0 {
		t.Errorf("after Close: %d append connections, want 0", n)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Errorf("the shared pool after Close: %v", err)
	}
}

// The append statement's generic plan finds the batch's conversations by
// their primary key, never by reading the whole table, however small the
// table is when the plan is made (a thousand conversations, analysed: a
// sequential scan then looks cheaper to the planner than the index).
func TestPostgresAppendPlanReadsConversationsByKey(t *testing.T) {
	pool, s := newPoolTestStore(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO conversations (id, status, created_at, queued_at)
		SELECT gen_random_uuid(), 'waiting', now(), now() FROM generate_series(1, 1000)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE conversations`); err != nil {
		t.Fatal(err)
	}
	var id string
	if err := pool.QueryRow(ctx, `SELECT id::text FROM conversations LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if res := s.AppendBatch(ctx, []Append{{ConversationID: id, Sender: SenderSeeker, Kind: KindText, Body: "hello"}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	conn, err := s.appends.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var name string
	if err := conn.QueryRow(ctx, `SELECT name FROM pg_prepared_statements WHERE statement LIKE 'WITH input AS%'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	nulls := strings.TrimSuffix(strings.Repeat("NULL, ", 14), ", ")
	rows, err := conn.Query(ctx, `EXPLAIN EXECUTE `+pgx.Identifier{name}.Sanitize()+`(`+nulls+`)`)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if strings.Contains(plan, "Seq Scan on conversations") || !strings.Contains(plan, "conversations_pkey") {
		t.Errorf("the append statement's plan does not find conversations by their key:\n%s", plan)
	}
}

// newPoolTestStore opens a migrated database and a store on it.
func newPoolTestStore(t *testing.T) (*pgxpool.Pool, *PostgresStore) {
	t.Helper()
	pool, _ := migrationstest.MustOpen(t)
	seal, err := ParseKeys(NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	return pool, NewPostgresStore(pool, seal, nil)
}
