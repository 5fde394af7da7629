package chat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/migrations/migrationstest"
)

// TestPostgresCommitCostByPart measures what one commit of the message path
// costs PostgreSQL, in CPU, and what each part of the append statement
// adds to it: the same commits are run with one part left out at a time.
// CPU is read from /proc for every process of the cluster (the postmaster,
// whose children's time includes the backends and workers that exited,
// and every live child: backends, walwriter, checkpointer, autovacuum),
// so the figure does not depend on how busy the machine is, only on what
// PostgreSQL did. It needs a cluster of its own (nothing else may run on
// it) whose files this process can read: HELPLINE_PGCOST_COMMITS=N (N
// commits per case and batch size) with HELPLINE_TEST_DATABASE_URL
// pointing at it. Results are logged (go test -v).
func TestPostgresCommitCostByPart(t *testing.T) {
	commits, _ := strconv.Atoi(os.Getenv("HELPLINE_PGCOST_COMMITS"))
	if commits <= 0 {
		t.Skip("set HELPLINE_PGCOST_COMMITS to measure PostgreSQL's CPU per commit (on a cluster of its own)")
	}
	only := os.Getenv("HELPLINE_PGCOST_CASES") // comma-separated names, to run a few
	sizes := []int{1, 4, 16}
	if s := os.Getenv("HELPLINE_PGCOST_SIZES"); s != "" { // comma-separated batch sizes
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				t.Fatalf("HELPLINE_PGCOST_SIZES: %q", s)
			}
			sizes = append(sizes, n)
		}
	}
	t.Logf("%-34s %5s %12s %12s %12s %12s", "case", "batch", "pg µs/commit", "of it conns", "go µs/commit", "WAL B/commit")
	for _, c := range commitCostCases() {
		if only != "" && !strings.Contains(","+only+",", ","+c.name+",") {
			continue
		}
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s/batch=%d", c.name, size), func(t *testing.T) {
				r := measureCommitCost(t, c, size, commits)
				t.Logf("%-34s %5d %12.1f %12.1f %12.1f %12.0f", c.name, size, r.pg, r.backends, r.goCPU, r.wal)
				fmt.Printf("COST\t%s\t%d\t%.1f\t%.1f\t%.1f\t%.0f\n", c.name, size, r.pg, r.backends, r.goCPU, r.wal)
			})
		}
	}
}

// costCase is one way of committing a batch of one-message appends.
type costCase struct {
	name    string
	params  string                                              // added to the URL: connection settings
	prepare func(ctx context.Context, pool *pgxpool.Pool) error // schema changes
	listen  bool                                                // another connection LISTENs and reads every notification
	commit  func(ctx context.Context, e *costEnv, convs []string) error
}

// costEnv is what a case commits with.
type costEnv struct {
	pool   *pgxpool.Pool
	store  *PostgresStore
	seq    map[string]int64
	body   []byte
	n      int
	origin string
}

// statementWithout is appendSQL with old replaced by new (which must
// occur in it).
func statementWithout(old, new string) string {
	if !strings.Contains(appendSQL, old) {
		panic("appendSQL has no " + old)
	}
	return strings.Replace(appendSQL, old, new, 1)
}

func commitCostCases() []costCase {
	setConfig := `SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`
	generic := "plan_cache_mode=force_generic_plan"
	noNotify := statementWithout(`count(pg_notify(`+notifyChannelSQL+`, p.payload))`, `count(p.payload)`)
	dropFK := func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := pool.Exec(ctx, `ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey`)
		return err
	}
	dropClientIndex := func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := pool.Exec(ctx, `DROP INDEX messages_client_id`)
		return err
	}
	return []costCase{
		{name: "store AppendBatch (as shipped)", listen: true, commit: commitWithStore},
		{name: "store AppendBatch, no listener", commit: commitWithStore},
		{name: "statement + set_config", listen: true, commit: commitStatement(appendSQL, setConfig)},
		{name: "statement, generic by connection", params: generic, listen: true, commit: commitStatement(appendSQL, "")},
		{name: "statement, planned each time", listen: true, commit: commitStatement(appendSQL, "")},
		{name: "statement, no listener", params: generic, commit: commitStatement(appendSQL, "")},
		{name: "no NOTIFY", params: generic, commit: commitStatement(noNotify, "")},
		{name: "no foreign key", params: generic, listen: true, prepare: dropFK, commit: commitStatement(appendSQL, "")},
		{name: "no client-id index", params: generic, listen: true, prepare: dropClientIndex, commit: commitStatement(appendSQL, "")},
		{name: "no NOTIFY, FK, client-id index", params: generic, prepare: func(ctx context.Context, pool *pgxpool.Pool) error {
			if err := dropFK(ctx, pool); err != nil {
				return err
			}
			return dropClientIndex(ctx, pool)
		}, commit: commitStatement(noNotify, "")},
		{name: "FOR KEY SHARE (unsafe)", params: generic, listen: true, commit: commitStatement(statementWithout(`ORDER BY v.id FOR SHARE`, `ORDER BY v.id FOR KEY SHARE`), "")},
		{name: "no row lock (unsafe)", params: generic, listen: true, commit: commitStatement(statementWithout(`ORDER BY v.id FOR SHARE`, `ORDER BY v.id`), "")},
		{name: "no seq check", params: generic, listen: true, commit: commitStatement(noSeqCheck(), "")},
		{name: "no insert order", params: generic, listen: true, commit: commitStatement(statementWithout(` ORDER BY i.c, i.q`, ``), "")},
		{name: "seq check + INSERT only", params: generic, commit: commitStatement(checkInsertSQL, "")},
		{name: "INSERT … unnest only", params: generic, commit: commitInsertOnly},
		{name: "INSERT one row (floor)", commit: commitFloor},
	}
}

func commitWithStore(ctx context.Context, e *costEnv, convs []string) error {
	batch := make([]Append, len(convs))
	for i, c := range convs {
		e.n++
		batch[i] = Append{ConversationID: c, Sender: SenderSeeker, Kind: KindText, ClientID: "c" + strconv.Itoa(e.n), Body: string(e.body)}
	}
	for _, r := range e.store.AppendBatch(ctx, batch) {
		if r.Err != nil || r.Duplicate {
			return fmt.Errorf("append: %+v", r)
		}
	}
	return nil
}

// rows returns the columns of one message per conversation of convs, and
// the expectations, as AppendBatch would send them.
func (e *costEnv) rows(convs []string) (messageRows, expectations) {
	var r messageRows
	var x expectations
	sorted := append([]string(nil), convs...)
	sort.Strings(sorted)
	for _, c := range sorted {
		e.n++
		before := e.seq[c]
		e.seq[c] = before + 1
		r.conv, r.seq, r.sender, r.senderID = append(r.conv, c), append(r.seq, before+1), append(r.sender, "seeker"), append(r.senderID, 0)
		r.kind, r.name, r.client, r.key, r.body = append(r.kind, KindText), append(r.name, ""), append(r.client, "c"+strconv.Itoa(e.n)), append(r.key, "k1"), append(r.body, e.body)
		x.conv, x.before, x.after = append(x.conv, c), append(x.before, before), append(x.after, before+1)
	}
	return r, x
}

// commitStatement sends stmt (appendSQL or a variant of it), after first
// if there is one, in one pgx batch: one implicit transaction.
func commitStatement(stmt, first string) func(context.Context, *costEnv, []string) error {
	return func(ctx context.Context, e *costEnv, convs []string) error {
		r, x := e.rows(convs)
		pb := &pgx.Batch{}
		if first != "" {
			pb.Queue(first)
		}
		pb.Queue(stmt, r.conv, r.seq, r.sender, r.senderID, r.kind, r.name, r.client, r.key, r.body,
			x.conv, x.before, x.after, time.Now(), e.origin)
		br := e.pool.SendBatch(ctx, pb)
		if first != "" {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return err
		}
		applied := 0
		for rows.Next() {
			var at int64
			var status Status
			var counselor, joined, last int64
			var ok bool
			if err := rows.Scan(&at, &status, &counselor, &joined, &last, &ok); err != nil {
				rows.Close()
				br.Close()
				return err
			}
			if ok {
				applied++
			}
		}
		rows.Close()
		if err := br.Close(); err != nil {
			return err
		}
		if applied != len(convs) {
			return fmt.Errorf("%d of %d conversations written", applied, len(convs))
		}
		return nil
	}
}

// noSeqCheck is appendSQL without its check that a conversation's
// messages still end where the batch was numbered from (the primary key
// alone refuses a number taken).
func noSeqCheck() string {
	s := statementWithout(`
		coalesce((SELECT max(m.seq) FROM messages m WHERE m.conversation_id = v.id), 0) AS last_seq`, ` 0::bigint AS last_seq`)
	if !strings.Contains(s, `l.last_seq = e.before AND `) {
		panic("appendSQL has no seq check")
	}
	return strings.Replace(s, `l.last_seq = e.before AND `, ``, 1)
}

// checkInsertSQL checks that the messages end where expected and inserts,
// in one statement, with no lock, no check of the sender, no
// notification: what is left of appendSQL without them (same parameters,
// same result columns).
const checkInsertSQL = `WITH input AS (
	SELECT t.c, t.q, t.s, t.si, t.k, t.n, t.ci, t.ki, t.b
	FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
		AS t(c, q, s, si, k, n, ci, ki, b)
), ok AS (
	SELECT e.c AS id, e.after, e.i FROM unnest($10::uuid[], $11::bigint[], $12::bigint[]) WITH ORDINALITY AS e(c, before, after, i)
	WHERE coalesce((SELECT max(m.seq) FROM messages m WHERE m.conversation_id = e.c), 0) = e.before
), ins AS (
	INSERT INTO messages (conversation_id, seq, sender, sender_id, kind, name, client_id, key_id, body, sent_at)
	SELECT i.c, i.q, i.s, nullif(i.si, 0), i.k, i.n, nullif(i.ci, ''), i.ki, i.b, $13 FROM input i JOIN ok ON ok.id = i.c ORDER BY i.c, i.q
)
SELECT ok.i, 'waiting', 0::bigint, 0::bigint, ok.after, $14 <> '' FROM ok`

// commitInsertOnly inserts the rows and nothing else: no lock, no check,
// no notification.
func commitInsertOnly(ctx context.Context, e *costEnv, convs []string) error {
	r, _ := e.rows(convs)
	_, err := e.pool.Exec(ctx, `INSERT INTO messages (conversation_id, seq, sender, sender_id, kind, name, client_id, key_id, body, sent_at)
		SELECT t.c, t.q, t.s, nullif(t.si, 0), t.k, t.n, nullif(t.ci, ''), t.ki, t.b, $10
		FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
			AS t(c, q, s, si, k, n, ci, ki, b)`,
		r.conv, r.seq, r.sender, r.senderID, r.kind, r.name, r.client, r.key, r.body, time.Now())
	return err
}

// commitFloor is the least a durable commit can be: one small row in a
// table without indexes, whatever the batch size.
func commitFloor(ctx context.Context, e *costEnv, convs []string) error {
	_, err := e.pool.Exec(ctx, `INSERT INTO cost_floor VALUES ($1)`, len(convs))
	return err
}

type commitCost struct{ pg, backends, goCPU, wal float64 }

// measureCommitCost runs commits batches of size one-message appends (each
// on a different conversation, round the conversations) in a schema of
// its own and returns the CPU and WAL per commit.
func measureCommitCost(t *testing.T, c costCase, size, commits int) commitCost {
	ctx := context.Background()
	pool0, url := migrationstest.MustOpen(t)
	if c.params != "" {
		url += "&" + c.params
	}
	pool := migrationstest.MustPool(t, url)
	seal, err := ParseKeys(NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	const conversations = 1000
	if _, err := pool0.Exec(ctx, `INSERT INTO conversations (id, status, created_at, queued_at)
		SELECT gen_random_uuid(), 'waiting', now(), now() FROM generate_series(1, $1)`, conversations); err != nil {
		t.Fatal(err)
	}
	// Conversations of the past (HELPLINE_PGCOST_HISTORY, ended: kept until
	// retention removes them) make the table the size it has in service,
	// which decides the plans.
	history, _ := strconv.Atoi(os.Getenv("HELPLINE_PGCOST_HISTORY"))
	if _, err := pool0.Exec(ctx, `INSERT INTO conversations (id, status, created_at, queued_at, ended_at)
		SELECT gen_random_uuid(), 'ended', now(), now(), now() FROM generate_series(1, $1)`, history); err != nil {
		t.Fatal(err)
	}
	if _, err := pool0.Exec(ctx, `ANALYZE conversations`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool0.Exec(ctx, `CREATE TABLE cost_floor (n int)`); err != nil {
		t.Fatal(err)
	}
	if c.prepare != nil {
		if err := c.prepare(ctx, pool0); err != nil {
			t.Fatal(err)
		}
	}
	var convs []string
	rows, _ := pool0.Query(ctx, `SELECT id::text FROM conversations WHERE status = 'waiting' ORDER BY id`)
	convs, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	e := &costEnv{pool: pool, store: NewPostgresStore(pool, seal, nil), seq: map[string]int64{}, body: bytes.Repeat([]byte{'x'}, 228), origin: "0123456789abcdef"}
	stopListening := func() int { return 0 }
	if c.listen {
		stopListening = listenAll(t, pool0)
	}
	next := 0
	run := func(n int) {
		for range n {
			batch := make([]string, size)
			for i := range batch {
				batch[i] = convs[next%len(convs)]
				next++
			}
			if err := c.commit(ctx, e, batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(200) // prepared statements, plans, the store's cache
	if _, err := pool0.Exec(ctx, `CHECKPOINT`); err != nil {
		t.Fatal(err)
	}
	dataDir := clusterDataDir(t, pool0)
	pg0, be0 := clusterCPU(t, dataDir)
	go0, wal0 := processCPU(), walLSN(t, pool0)
	run(commits)
	pg1, be1 := clusterCPU(t, dataDir)
	go1, wal1 := processCPU(), walLSN(t, pool0)
	n := float64(commits)
	if heard := stopListening(); c.listen && heard < commits {
		t.Errorf("the listener heard %d notifications in %d commits or more", heard, commits)
	}
	return commitCost{pg: (pg1 - pg0).Seconds() * 1e6 / n, backends: (be1 - be0).Seconds() * 1e6 / n,
		goCPU: (go1 - go0).Seconds() * 1e6 / n, wal: float64(wal1-wal0) / n}
}

// listenAll LISTENs on the store's channel on a connection of its own and
// reads every notification, as a broker does, until stopped. It lists
// itself in message_listeners as another instance would (an origin no
// store here has): commits notify only while another instance is listed.
func listenAll(t *testing.T, pool *pgxpool.Pool) func() int {
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ch string
	if err := conn.QueryRow(ctx, `SELECT `+notifyChannelSQL).Scan(&ch); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	const origin = "cost-test listener"
	if _, err := conn.Exec(ctx, `INSERT INTO message_listeners (origin, seen) VALUES ($1, now()) ON CONFLICT DO NOTHING`, origin); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	heard := 0
	go func() {
		defer close(done)
		for {
			if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
				return
			}
			heard++
		}
	}()
	return func() int {
		cancel()
		<-done
		c := conn.Hijack()
		defer c.Close(context.Background())
		if _, err := pool.Exec(context.Background(), `DELETE FROM message_listeners WHERE origin = $1`, origin); err != nil {
			t.Error(err)
		}
		return heard
	}
}

func clusterDataDir(t *testing.T, pool *pgxpool.Pool) string {
	var dir string
	if err := pool.QueryRow(context.Background(), `SHOW data_directory`).Scan(&dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func walLSN(t *testing.T, pool *pgxpool.Pool) int64 {
	var n int64
	if err := pool.QueryRow(context.Background(), `SELECT pg_current_wal_lsn() - '0/0'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// clusterCPU is the CPU time the cluster in dataDir has used so far: the
// postmaster's own and its exited children's, plus every live child's;
// and, of that, what its client backends (connections) used.
func clusterCPU(t *testing.T, dataDir string) (total, backends time.Duration) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatalf("this measurement reads the cluster's processes: %v", err)
	}
	postmaster, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var ticks, clientTicks int64
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		f, err := procStat(p)
		if err != nil {
			continue
		}
		switch {
		case f.pid == postmaster:
			ticks += f.utime + f.stime + f.cutime + f.cstime
		case f.ppid == postmaster:
			ticks += f.utime + f.stime
			// A client backend calls itself "postgres: USER DATABASE HOST(PORT) …".
			if cmd, err := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline")); err == nil && bytes.Contains(cmd, []byte("(")) {
				clientTicks += f.utime + f.stime
			}
		}
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(ticks) * time.Second / clockTicks, time.Duration(clientTicks) * time.Second / clockTicks
}

type statFields struct{ pid, ppid, utime, stime, cutime, cstime int64 }

func procStat(path string) (statFields, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return statFields{}, err
	}
	// The command is in parentheses and may hold spaces; the fields follow it.
	s := string(b)
	close := strings.LastIndexByte(s, ')')
	open := strings.IndexByte(s, '(')
	if open < 0 || close < 0 {
		return statFields{}, fmt.Errorf("%s: malformed", path)
	}
	pid, _ := strconv.ParseInt(strings.TrimSpace(s[:open]), 10, 64)
	sc := bufio.NewScanner(strings.NewReader(s[close+1:]))
	sc.Split(bufio.ScanWords)
	var fields []string
	for sc.Scan() {
		fields = append(fields, sc.Text())
	}
	if len(fields) < 15 {
		return statFields{}, fmt.Errorf("%s: short", path)
	}
	num := func(i int) int64 { n, _ := strconv.ParseInt(fields[i], 10, 64); return n }
	// fields[0] is the state (field 3 of stat): ppid is field 4, utime..cstime 14..17.
	return statFields{pid: pid, ppid: num(1), utime: num(11), stime: num(12), cutime: num(13), cstime: num(14)}, nil
}

// processCPU is the CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPostgresCommitCostAB measures two ways of committing the same
// batches against each other, alternating blocks of commits on the same
// tables, so that what drifts during a run (the tables' size, autovacuum,
// other work on the machine) falls on both: the plan_cache_mode statement
// per commit against the setting on the connection, and a LISTENing
// connection against none. HELPLINE_PGCOST_AB=N commits per way and batch
// size (HELPLINE_PGCOST_SIZES, default 1 and 4), on a cluster of its own.
func TestPostgresCommitCostAB(t *testing.T) {
	commits, _ := strconv.Atoi(os.Getenv("HELPLINE_PGCOST_AB"))
	if commits <= 0 {
		t.Skip("set HELPLINE_PGCOST_AB to compare ways of committing (on a cluster of its own)")
	}
	sizes := []int{1, 4}
	if s := os.Getenv("HELPLINE_PGCOST_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, _ := strconv.Atoi(f)
			sizes = append(sizes, max(n, 1))
		}
	}
	setConfig := commitStatement(appendSQL, `SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`)
	plain := commitStatement(appendSQL, "")
	for _, size := range sizes {
		t.Run(fmt.Sprintf("batch=%d", size), func(t *testing.T) {
			r := newABRun(t, size)
			generic := migrationstest.MustPool(t, r.url+"&plan_cache_mode=force_generic_plan")
			auto := migrationstest.MustPool(t, r.url)
			pairs := [][2]*abWay{
				{{name: "set_config per commit", pool: auto, commit: setConfig, listen: true}, {name: "generic by connection", pool: generic, commit: plain, listen: true}},
				{{name: "LISTENing connection", pool: generic, commit: plain, listen: true}, {name: "no LISTENing connection", pool: generic, commit: plain}},
			}
			const blocks = 10
			for _, p := range pairs {
				for _, w := range p {
					r.block(w, 100) // prepared statements, plans
					w.pg, w.goCPU = 0, 0
				}
				for b := range blocks {
					for i := range p {
						r.block(p[(i+b)%2], commits/blocks) // each goes first in half the blocks
					}
				}
				for _, w := range p {
					n := float64(commits / blocks * blocks)
					t.Logf("%-26s batch %2d: PostgreSQL %6.1f µs/commit, this process %6.1f µs/commit", w.name, size, w.pg.Seconds()*1e6/n, w.goCPU.Seconds()*1e6/n)
					fmt.Printf("AB\t%s\t%d\t%.1f\t%.1f\n", w.name, size, w.pg.Seconds()*1e6/n, w.goCPU.Seconds()*1e6/n)
				}
			}
		})
	}
}

// abWay is one way of committing, and the CPU its blocks have used.
type abWay struct {
	name      string
	pool      *pgxpool.Pool
	commit    func(context.Context, *costEnv, []string) error
	listen    bool
	pg, goCPU time.Duration
}

// abRun is the schema and conversations two ways share.
type abRun struct {
	t       *testing.T
	pool0   *pgxpool.Pool
	url     string
	dataDir string
	convs   []string
	next    int
	size    int
	e       *costEnv
}

func newABRun(t *testing.T, size int) *abRun {
	ctx := context.Background()
	pool0, url := migrationstest.MustOpen(t)
	if _, err := pool0.Exec(ctx, `INSERT INTO conversations (id, status, created_at, queued_at)
		SELECT gen_random_uuid(), 'waiting', now(), now() FROM generate_series(1, 1000)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool0.Exec(ctx, `ANALYZE conversations`); err != nil {
		t.Fatal(err)
	}
	rows, _ := pool0.Query(ctx, `SELECT id::text FROM conversations ORDER BY id`)
	convs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return &abRun{t: t, pool0: pool0, url: url, dataDir: clusterDataDir(t, pool0), convs: convs, size: size,
		e: &costEnv{seq: map[string]int64{}, body: bytes.Repeat([]byte{'x'}, 228), origin: "0123456789abcdef"}}
}

// block runs n commits w's way and adds their CPU to w's.
func (r *abRun) block(w *abWay, n int) {
	ctx := context.Background()
	r.e.pool = w.pool
	stop := func() int { return 0 }
	if w.listen {
		stop = listenAll(r.t, r.pool0)
	}
	pg0, _ := clusterCPU(r.t, r.dataDir)
	go0 := processCPU()
	for range n {
		batch := make([]string, r.size)
		for i := range batch {
			batch[i] = r.convs[r.next%len(r.convs)]
			r.next++
		}
		if err := w.commit(ctx, r.e, batch); err != nil {
			r.t.Fatal(err)
		}
	}
	pg1, _ := clusterCPU(r.t, r.dataDir)
	go1 := processCPU()
	stop()
	w.pg, w.goCPU = w.pg+pg1-pg0, w.goCPU+go1-go0
}
