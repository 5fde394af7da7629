package chat

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ Broker = (*PostgresBroker)(nil)

// eventChannelSQL names the channel that carries JSON-encoded Events
// between instances (per schema, like notifyChannelSQL).
const eventChannelSQL = `'helpline_e_' || left(md5(current_schema()), 16)`

// PostgresBroker carries events between instances with LISTEN/NOTIFY: no
// broker besides the database. Message events come from the store's own
// notifications (notifyChannelSQL), sent in the same transaction as the
// messages, so an instance hears of every committed message; a commit
// notifies only while another instance is listening (the registry, see
// listeners_postgres.go).
type PostgresBroker struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	origin string // this listener's name in the registry
	timing ListenerTiming
}

// NewPostgresBroker returns a broker listing itself under a random name of
// its own: every store keeps notifying it. SetOrigin names the store whose
// messages this instance delivers itself instead.
func NewPostgresBroker(pool *pgxpool.Pool, log *slog.Logger) *PostgresBroker {
	return &PostgresBroker{pool: pool, log: log, origin: "l" + strings.ReplaceAll(NewID(), "-", "")[:15],
		timing: ListenerTiming{}.withDefaults()}
}

// SetOrigin, before Run, lists this instance's listener under origin, the
// NotifyOrigin of the store whose commits this instance hands to its own
// connections without hearing them (Config.Store): that store then sends
// no notification while no other instance listens.
func (b *PostgresBroker) SetOrigin(origin string) { b.origin = origin }

// SetListenerTiming, before Run, sets the registry's heartbeat and waits.
func (b *PostgresBroker) SetListenerTiming(t ListenerTiming) { b.timing = t.withDefaults() }

// Publish sends e to every instance. An event too large for NOTIFY is
// refused with ErrEventTooLarge before anything is sent.
func (b *PostgresBroker) Publish(ctx context.Context, e Event) error {
	payload := encodeEvent(e)
	if len(payload) > MaxEventBytes {
		return fmt.Errorf("%w: a %s event is %d bytes encoded, over PostgreSQL NOTIFY's limit of %d; nothing was sent", ErrEventTooLarge, e.Type, len(payload), MaxEventBytes)
	}
	if _, err := b.pool.Exec(ctx, `SELECT pg_notify(`+eventChannelSQL+`, $1)`, payload); err != nil {
		return fmt.Errorf("publishing a %s event: %w", e.Type, err)
	}
	return nil
}

// Run listens on a dedicated connection, reconnecting with back-off. Each
// time it listens it lists itself in the registry, waits for the commits
// that may not have seen it (join) and hands out EventResync, since
// notifications sent while it was away (or not yet listed) are lost. On
// return it removes itself from the registry.
func (b *PostgresBroker) Run(ctx context.Context, handle func(Event)) error {
	defer b.leave()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.listen(ctx, handle, func() {
			backoff = 100 * time.Millisecond
			handle(Event{Type: EventResync})
		})
		if ctx.Err() != nil {
			break
		}
		b.log.Warn("event listener lost its database connection; reconnecting", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	return nil
}

func (b *PostgresBroker) listen(ctx context.Context, handle func(Event), listening func()) error {
	pooled, err := b.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection carries LISTEN state, so it never goes back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	var messages, events string
	if err := conn.QueryRow(ctx, `SELECT `+notifyChannelSQL+`, `+eventChannelSQL).Scan(&messages, &events); err != nil {
		return err
	}
	for _, ch := range []string{messages, events} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	if err := b.join(ctx, conn); err != nil {
		return err
	}
	listening()
	for {
		if err := b.relay(ctx, conn, messages, handle); err != nil {
			return err
		}
		there, err := b.beat(ctx, conn)
		if err != nil {
			return err
		}
		if !there {
			b.log.Warn("this instance was removed from the message listeners (its heartbeat looked stale); listing it again")
			if err := b.join(ctx, conn); err != nil {
				return err
			}
			handle(Event{Type: EventResync})
		}
	}
}

// relay hands out the notifications heard on conn until the next beat.
// The wait for a notification ends at the beat by its context, which
// leaves the connection usable (pgconn's deadline handler, the default).
func (b *PostgresBroker) relay(ctx context.Context, conn *pgx.Conn, messages string, handle func(Event)) error {
	until, stop := untilTick(ctx, b.timing.beat())
	defer stop()
	for {
		n, err := conn.WaitForNotification(until)
		if err != nil {
			if ctx.Err() == nil && until.Err() != nil {
				return nil // time to beat
			}
			return err
		}
		events, ok := decodeNotification(n.Channel == messages, n.Payload)
		if !ok {
			b.log.Warn("ignoring a malformed notification", "channel", n.Channel)
		}
		for _, e := range events {
			handle(e)
		}
	}
}

// decodeNotification reads a store notification (see notifyChannelSQL:
// "<id>:<seq>[,<id>:<seq>]…:<writer>", one event per conversation, or the
// older "<id>:<seq>") or a JSON-encoded Event. A malformed payload gives no
// event at all.
func decodeNotification(fromStore bool, payload string) ([]Event, bool) {
	if fromStore {
		return decodeStoreNotification(payload)
	}
	e, err := decodeEvent(payload)
	if err != nil || e.Type == "" {
		return nil, false
	}
	return []Event{e}, true
}

func decodeStoreNotification(payload string) ([]Event, bool) {
	n := strings.Count(payload, ",") + 1
	events := make([]Event, 0, n)
	for i := range n {
		entry, rest, _ := strings.Cut(payload, ",")
		payload = rest
		id, rest, ok := strings.Cut(entry, ":")
		seq, writer, hasWriter := strings.Cut(rest, ":")
		s, err := strconv.ParseInt(seq, 10, 64)
		if !ok || err != nil || !isUUID(id) || (hasWriter && i < n-1) {
			return nil, false
		}
		events = append(events, Event{Type: EventMessages, ConversationID: id, Seq: s, Writer: writer})
	}
	// The writer is named once, after the last conversation: it wrote them all.
	for i := range events {
		events[i].Writer = events[n-1].Writer
	}
	return events, true
}
