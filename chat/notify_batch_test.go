package chat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// A batch over many conversations announces them in few notifications, each
// under NOTIFY's 8,000 bytes, and another instance's broker hears every
// conversation at the sequence number it reached.
func TestPostgresBatchNotifiesInFewPayloads(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	store := chat.NewPostgresStore(pool, MustSealer(t), nil)
	const convs = 250
	var batch []chat.Append
	want := map[string]int64{}
	for i := range convs {
		c := mustCreate(t, store)
		batch = append(batch, seekerText(c.ID, fmt.Sprintf("a%d", i), "hola"))
		want[c.ID] = 1
		if i%3 == 0 {
			batch = append(batch, seekerText(c.ID, fmt.Sprintf("b%d", i), "¿hay alguien?"))
			want[c.ID] = 2
		}
	}

	raw := listenRaw(t, url, store)
	other := chat.NewPostgresBroker(migrationstest.MustPool(t, url), quietLog())
	sub := subscribe(t, other, other)

	for i, res := range mustAppend(t, store, batch...) {
		if res.Err != nil {
			t.Fatalf("append %d: %v", i, res.Err)
		}
	}
	heard := map[string]int64{}
	for len(heard) < convs {
		e := sub.next(t)
		if e.Type != chat.EventMessages || e.Writer != store.NotifyOrigin() {
			t.Fatalf("event %+v, want messages written by %s", e, store.NotifyOrigin())
		}
		if _, dup := heard[e.ConversationID]; dup {
			t.Fatalf("conversation %s announced twice", e.ConversationID)
		}
		heard[e.ConversationID] = e.Seq
	}
	for id, seq := range want {
		if heard[id] != seq {
			t.Fatalf("conversation %s announced at seq %d, want %d", id, heard[id], seq)
		}
	}
	// 250 conversations: three notifications (120, 120, 10), not 250.
	payloads := raw.collect(t, 3)
	for _, p := range payloads {
		if len(p) >= 8000 {
			t.Fatalf("a payload of %d bytes: over NOTIFY's limit", len(p))
		}
	}
	// Notifications come in commit order: the next one is the next commit's.
	last := batch[0].ConversationID
	mustAppend(t, store, seekerText(last, "after", "sigo aquí"))
	if next := raw.collect(t, 1)[0]; next != fmt.Sprintf("%s:%d:%s", last, want[last]+1, store.NotifyOrigin()) {
		t.Fatalf("the notification after the batch's three is %q: the batch sent more than three", next[:min(len(next), 80)])
	}
}

// rawListener is a bare LISTEN on the store's message channel, to count the
// notifications themselves.
type rawListener struct {
	conn *pgx.Conn
}

func listenRaw(t *testing.T, url string, store *chat.PostgresStore) *rawListener {
	t.Helper()
	pool := migrationstest.MustPool(t, url)
	ctx := context.Background()
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := c.Hijack()
	t.Cleanup(func() { conn.Close(context.Background()) })
	var channel string
	if err := conn.QueryRow(ctx, `SELECT 'helpline_m_' || left(md5(current_schema()), 16)`).Scan(&channel); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return &rawListener{conn: conn}
}

func (l *rawListener) collect(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		ctx, cancel := context.WithTimeout(context.Background(), eventWait)
		note, err := l.conn.WaitForNotification(ctx)
		cancel()
		if err != nil {
			t.Fatalf("notification %d of %d: %v", len(out)+1, n, err)
		}
		if strings.Count(note.Payload, ",")+1 > 120 {
			t.Fatalf("a notification for %d conversations, more than one payload may carry", strings.Count(note.Payload, ",")+1)
		}
		out = append(out, note.Payload)
	}
	return out
}
