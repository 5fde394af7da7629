package chat

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The listener registry (table message_listeners). A message commit
// notifies only when some instance other than its writer is listed
// (othersListenSQL), so an instance that is alone pays for no NOTIFY, nor
// its own listener for waking to drop it. What keeps every committed
// message heard:
//
//   - A listener lists itself only once its LISTEN is active, and hands out
//     EventResync (its followers read the store again) only after every
//     transaction that was running when its row was committed has ended
//     (awaitOlder). A commit that did not see the row began before it was
//     committed, so it has ended by then, and the resync reads it; every
//     later commit sees the row and notifies.
//   - The listener beats on its own connection (a failed beat is a lost
//     connection: reconnect, list again, resync). Rows not beaten for
//     StaleAfter are removed by whichever instance beats; an instance that
//     finds its own row gone lists itself again and resyncs, so what was
//     committed unannounced meanwhile is delayed, not lost.
//   - Times are the database's (now()), so instances' clocks do not matter.
//   - A clean shutdown removes the row; a crashed instance's row stays until
//     stale, and until then commits keep notifying: harmless.
//
// Waiting on transaction ids (pg_snapshot_xmin) would not do: a statement
// takes its snapshot before it is given an id (at its first write), so a
// commit that did not see the row can hold an id newer than the row's.
// Every transaction holds its virtual transaction id from its start, so
// the wait is on those (pg_locks), as CREATE INDEX CONCURRENTLY waits.

// othersListenSQL, followed by the writer's NotifyOrigin as a parameter
// and ")", is true when an instance other than the writer is listening:
// the condition of every message notification.
const othersListenSQL = `EXISTS (SELECT 1 FROM message_listeners r WHERE r.origin <> `

// ListenerTiming sets how a PostgresBroker's listener keeps its row in the
// registry. Zero fields take the defaults.
type ListenerTiming struct {
	// Heartbeat is how often the listener renews its row (default 10 s).
	Heartbeat time.Duration
	// StaleAfter is how old a row's heartbeat may be before any instance
	// removes it (default six heartbeats).
	StaleAfter time.Duration
	// Poll is how often the wait after listing looks again (default 10 ms).
	Poll time.Duration
	// Beats and Polls, when set, replace the timers of Heartbeat and Poll:
	// each value received is one beat, or one more look (tests drive them).
	Beats, Polls <-chan time.Time
}

func (t ListenerTiming) withDefaults() ListenerTiming {
	if t.Heartbeat <= 0 {
		t.Heartbeat = 10 * time.Second
	}
	if t.StaleAfter <= 0 {
		t.StaleAfter = 6 * t.Heartbeat
	}
	if t.Poll <= 0 {
		t.Poll = 10 * time.Millisecond
	}
	return t
}

func (t ListenerTiming) beat() <-chan time.Time {
	if t.Beats != nil {
		return t.Beats
	}
	return time.After(t.Heartbeat)
}

func (t ListenerTiming) poll() <-chan time.Time {
	if t.Polls != nil {
		return t.Polls
	}
	return time.After(t.Poll)
}

// olderTransactionsSQL lists the virtual transaction ids of the
// transactions of this database's client sessions running now, but this
// session's (message commits come only from client sessions).
const olderTransactionsSQL = `SELECT coalesce(array_agg(l.virtualxid), '{}') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE l.locktype = 'virtualxid' AND l.granted AND l.virtualxid = l.virtualtransaction AND l.pid <> pg_backend_pid()
	AND a.datname = current_database() AND a.backend_type = 'client backend'`

// join lists the listener on conn (its LISTEN already active) and returns
// once every transaction running when the row was committed has ended,
// beating meanwhile. The caller then hands out EventResync.
func (b *PostgresBroker) join(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `INSERT INTO message_listeners (origin, seen) VALUES ($1, now())
		ON CONFLICT (origin) DO UPDATE SET seen = now()`, b.origin); err != nil {
		return err
	}
	var older []string
	if err := conn.QueryRow(ctx, olderTransactionsSQL).Scan(&older); err != nil {
		return err
	}
	beat := b.timing.beat()
	for len(older) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-beat:
			// A long transaction must not make the row look stale.
			b.log.Info("message listener still waiting for transactions older than its registration", "count", len(older))
			if there, err := b.beat(ctx, conn); err != nil || !there {
				if err != nil {
					return err
				}
				return b.join(ctx, conn) // removed meanwhile: list again, wait again
			}
			beat = b.timing.beat()
			continue
		case <-b.timing.poll():
		}
		if err := conn.QueryRow(ctx, `SELECT coalesce(array_agg(virtualxid), '{}') FROM pg_locks
			WHERE locktype = 'virtualxid' AND granted AND virtualxid = ANY($1::text[])`, older).Scan(&older); err != nil {
			return err
		}
	}
	return nil
}

// beat renews the listener's row and removes the stale rows of others. It
// reports whether the row was still there.
func (b *PostgresBroker) beat(ctx context.Context, conn *pgx.Conn) (bool, error) {
	tag, err := conn.Exec(ctx, `WITH stale AS (
		DELETE FROM message_listeners WHERE origin <> $1 AND seen < now() - $2::bigint * interval '1 millisecond'
	) UPDATE message_listeners SET seen = now() WHERE origin = $1`, b.origin, b.timing.StaleAfter.Milliseconds())
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// leave removes the listener's row, on a clean shutdown (ctx has ended, so
// on a context of its own). Should it fail, the row goes stale.
func (b *PostgresBroker) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := b.pool.Exec(ctx, `DELETE FROM message_listeners WHERE origin = $1`, b.origin); err != nil {
		b.log.Warn("could not remove this instance from the message listeners; its row goes stale", "error", err)
	}
}

// untilTick returns a context that ends with ctx or at the first value
// from tick.
func untilTick(ctx context.Context, tick <-chan time.Time) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-tick:
			cancel()
		case <-c.Done():
		}
	}()
	return c, cancel
}
