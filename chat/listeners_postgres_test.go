package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// listener is one instance's PostgresBroker running, with the events it
// hands out and the channels that drive its heartbeat and waits.
type listener struct {
	events       chan chat.Event
	beats, polls chan time.Time
	cancel       context.CancelFunc
	done         chan struct{}
}

// startListener runs a broker listed under origin ("" keeps the broker's
// own name). With polls nil the wait after listing looks on a timer, and
// startListener returns once the listener has handed out its first
// resync: it is listed and hears every commit from then on.
func startListener(t *testing.T, url, origin string, polls chan time.Time) *listener {
	t.Helper()
	b := chat.NewPostgresBroker(migrationstest.MustPool(t, url), quietLog())
	if origin != "" {
		b.SetOrigin(origin)
	}
	l := &listener{events: make(chan chat.Event, 1024), beats: make(chan time.Time), polls: polls, done: make(chan struct{})}
	timing := chat.ListenerTiming{Beats: l.beats, StaleAfter: time.Minute}
	if polls != nil {
		timing.Polls = polls
	}
	b.SetListenerTiming(timing)
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() {
		defer close(l.done)
		b.Run(ctx, func(e chat.Event) { l.events <- e })
	}()
	t.Cleanup(l.stop)
	if polls == nil {
		l.awaitResync(t)
	}
	return l
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
}

func (l *listener) awaitResync(t *testing.T) {
	t.Helper()
	for {
		select {
		case e := <-l.events:
			if e.Type == chat.EventResync {
				return
			}
		case <-time.After(eventWait):
			t.Fatalf("no resync within %v", eventWait)
		}
	}
}

// beat makes the listener beat and returns once that beat is done: the
// second value is taken only when it waits for the next beat again.
func (l *listener) beat(t *testing.T) {
	t.Helper()
	for range 2 {
		select {
		case l.beats <- time.Now():
		case <-time.After(eventWait):
			t.Fatalf("the listener did not wait for a beat within %v", eventWait)
		}
	}
}

func listed(t *testing.T, pool *pgxpool.Pool, origin string) bool {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM message_listeners WHERE origin = $1`, origin).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// nextNotification returns the next payload raw hears, having sent a
// marker notification after everything committed so far: "marker" when
// nothing was notified since the last look.
func nextNotification(t *testing.T, pool *pgxpool.Pool, raw *rawListener) string {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `SELECT pg_notify('helpline_m_' || left(md5(current_schema()), 16), 'marker')`); err != nil {
		t.Fatal(err)
	}
	return raw.collect(t, 1)[0]
}

// An instance that is alone sends no notification for its commits, a
// message's or a state change's; once another instance listens they
// notify again, and when it stops (removing its row) they stop again.
func TestPostgresCommitsNotifyOnlyWhileAnotherInstanceListens(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	store := chat.NewPostgresStore(pool, MustSealer(t), nil)
	raw := listenRaw(t, url, store) // a bare LISTEN: not an instance
	startListener(t, url, store.NotifyOrigin(), nil)
	c := mustCreate(t, store)

	mustAppend(t, store, seekerText(c.ID, "a", "hola"))
	if got := nextNotification(t, pool, raw); got != "marker" {
		t.Fatalf("alone, a message commit notified %q", got)
	}
	other := startListener(t, url, "", nil)
	mustAppend(t, store, seekerText(c.ID, "b", "¿hay alguien?"))
	if got, want := raw.collect(t, 1)[0], c.ID+":2:"+store.NotifyOrigin(); got != want {
		t.Fatalf("with another instance listening, the commit notified %q, want %q", got, want)
	}
	other.stop()
	var rows int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM message_listeners`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d listeners listed after the other instance stopped, want this one only", rows)
	}
	mustAppend(t, store, seekerText(c.ID, "c", "sigo aquí"))
	if _, _, err := store.End(context.Background(), c.ID, "seeker"); err != nil {
		t.Fatal(err)
	}
	if got := nextNotification(t, pool, raw); got != "marker" {
		t.Fatalf("alone again, a commit notified %q", got)
	}
}

// The start-up race: a message statement whose snapshot was taken before a
// new instance listed itself commits unannounced after it, so the new
// instance may hand out its resync only after that commit. Here the
// statement is the store's own, held by a row lock across the listing.
func TestPostgresListenerResyncsAfterCommitsOlderThanItsListing(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	store := chat.NewPostgresStore(pool, MustSealer(t), nil)
	raw := listenRaw(t, url, store)
	c := mustCreate(t, store)
	ctx := context.Background()
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx)
	if _, err := lock.Exec(ctx, `SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE`, c.ID); err != nil {
		t.Fatal(err)
	}
	appended := make(chan []chat.AppendResult, 1)
	go func() { appended <- store.AppendBatch(ctx, []chat.Append{seekerText(c.ID, "a", "hola")}) }()
	awaitBlockedAppend(t, pool)

	newcomer := startListener(t, url, "", make(chan time.Time))
	newcomer.looksWithoutResync(t)
	lock.Rollback(ctx)
	if res := <-appended; res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if got := nextNotification(t, pool, raw); got != "marker" {
		t.Fatalf("the held statement notified %q: it saw the listing, the race was not exercised", got)
	}
	newcomer.resyncsAfterLooks(t)
}

// The same race with a transaction that holds no transaction id while the
// new instance lists itself (its snapshot taken by a read, its first write
// later): a wait on transaction ids (pg_snapshot_xmin) would not wait for
// it. Repeatable read keeps its snapshot to its commit, as one statement
// does in read committed.
func TestPostgresListenerWaitsForOlderTransactionsWithoutAnID(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	store := chat.NewPostgresStore(pool, MustSealer(t), nil)
	raw := listenRaw(t, url, store)
	c := mustCreate(t, store)
	ctx := context.Background()
	older, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback(ctx)
	if _, err := older.Exec(ctx, `SELECT count(*) FROM message_listeners`); err != nil {
		t.Fatal(err)
	}
	newcomer := startListener(t, url, "", make(chan time.Time))
	newcomer.looksWithoutResync(t)
	if _, err := older.Exec(ctx, `UPDATE conversations SET region = region WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := older.Exec(ctx, `SELECT pg_notify('helpline_m_' || left(md5(current_schema()), 16), 'older')
		WHERE EXISTS (SELECT 1 FROM message_listeners WHERE origin <> 'writer')`); err != nil {
		t.Fatal(err)
	}
	if err := older.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := nextNotification(t, pool, raw); got != "marker" {
		t.Fatalf("the older transaction notified %q: it saw the listing, the race was not exercised", got)
	}
	newcomer.resyncsAfterLooks(t)
}

// looksWithoutResync lets a listener waiting after its listing look three
// times (each value after the first is taken once a look found older
// transactions still running) and fails if it hands out anything.
func (l *listener) looksWithoutResync(t *testing.T) {
	t.Helper()
	for range 3 {
		select {
		case l.polls <- time.Now():
		case e := <-l.events:
			t.Fatalf("the new instance handed out %s while a transaction older than its listing was running", e.Type)
		case <-time.After(eventWait):
			t.Fatal("the new instance did not look for older transactions")
		}
	}
}

// resyncsAfterLooks lets the listener look until it hands out an event,
// which must be its resync.
func (l *listener) resyncsAfterLooks(t *testing.T) {
	t.Helper()
	for {
		select {
		case l.polls <- time.Now():
			continue
		case e := <-l.events:
			if e.Type != chat.EventResync {
				t.Fatalf("the new instance handed out %s first, want a resync", e.Type)
			}
		case <-time.After(eventWait):
			t.Fatal("no resync after the older transaction committed")
		}
		return
	}
}

// awaitBlockedAppend returns once an append statement waits for a row lock.
func awaitBlockedAppend(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for time.Now().Before(deadline) {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH input AS%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		<-time.After(time.Millisecond) // a condition polled, not a timing
	}
	t.Fatal("the append never waited for the conversation's lock")
}

// A row whose heartbeat is stale is removed by another instance's beat (a
// row seen at 'infinity' never is); the instance it belonged to finds it
// gone at its own next beat, lists itself again and resyncs.
func TestPostgresStaleListenerIsRemovedAndListsItselfAgain(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	store := chat.NewPostgresStore(pool, MustSealer(t), nil)
	ctx := context.Background()
	mine := startListener(t, url, store.NotifyOrigin(), nil)
	other := startListener(t, url, "", nil)
	if _, err := pool.Exec(ctx, `INSERT INTO message_listeners (origin, seen) VALUES ('upgrade', 'infinity')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE message_listeners SET seen = now() - interval '61 seconds' WHERE origin = $1`, store.NotifyOrigin()); err != nil {
		t.Fatal(err)
	}
	other.beat(t)
	if listed(t, pool, store.NotifyOrigin()) {
		t.Fatal("a row a minute stale was not removed")
	}
	if !listed(t, pool, "upgrade") {
		t.Fatal("a row seen at infinity was removed")
	}
	mine.beat(t)
	mine.awaitResync(t)
	if !listed(t, pool, store.NotifyOrigin()) {
		t.Fatal("the instance whose row was removed did not list itself again")
	}
	// A fresh row survives others' beats.
	other.beat(t)
	if !listed(t, pool, store.NotifyOrigin()) {
		t.Fatal("a fresh row was removed")
	}
}
