package chat_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type retentionStore interface {
	chat.Store
	chat.Retention
}

func forEachRetentionStore(t *testing.T, test func(t *testing.T, s retentionStore, clock *fakeClock)) {
	open := map[string]func(t *testing.T, clock *fakeClock) retentionStore{
		"memory": func(t *testing.T, clock *fakeClock) retentionStore { return chat.NewMemoryStore(clock.Now) },
		"postgres": func(t *testing.T, clock *fakeClock) retentionStore {
			pool, _ := migrationstest.MustOpen(t)
			return chat.NewPostgresStore(pool, MustSealer(t), clock.Now)
		},
	}
	for name, o := range open {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
			test(t, o(t, clock), clock)
		})
	}
}

func TestRetentionDeletesOnlyExpiredConversations(t *testing.T) {
	forEachRetentionStore(t, func(t *testing.T, s retentionStore, clock *fakeClock) {
		ctx := context.Background()
		old := mustCreate(t, s)
		mustAppend(t, s, seekerText(old.ID, "o1", "viejo"))
		s.Assign(ctx, old.ID, 3, "Ana", 3)
		s.End(ctx, old.ID, chat.EndedBySeeker)
		clock.Set(clock.Now().Add(40 * 24 * time.Hour))
		recent := mustCreate(t, s)
		mustAppend(t, s, seekerText(recent.ID, "r1", "reciente"))

		n, err := s.DeleteExpired(ctx, clock.Now().Add(-30*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
		}
		if _, err := s.Conversation(ctx, old.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("expired conversation still there: %v", err)
		}
		if _, err := s.Messages(ctx, old.ID, 0, 0); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("expired messages still there: %v", err)
		}
		if msgs, err := s.Messages(ctx, recent.ID, 0, 0); err != nil || len(msgs) != 1 {
			t.Fatalf("recent conversation lost messages: %d, %v", len(msgs), err)
		}
		counts, err := s.DailyCounts(ctx)
		if err != nil || len(counts) != 1 {
			t.Fatalf("DailyCounts = %+v, %v", counts, err)
		}
		want := chat.DailyCount{Day: "2026-11-01", Audience: chat.AudienceSelf, Language: "es", EndedBy: chat.EndedBySeeker, Answered: true, Count: 1}
		if counts[0] != want {
			t.Fatalf("count = %+v, want %+v", counts[0], want)
		}
		// Running again removes nothing more: several instances may run it.
		if n, _ := s.DeleteExpired(ctx, clock.Now().Add(-30*24*time.Hour)); n != 0 {
			t.Fatalf("second run deleted %d", n)
		}
	})
}

func TestSeekerDeletesOnlyTheirOwnConversation(t *testing.T) {
	forEachRetentionStore(t, func(t *testing.T, s retentionStore, clock *fakeClock) {
		ctx := context.Background()
		mine, theirs := mustCreate(t, s), mustCreate(t, s)
		mustAppend(t, s, seekerText(mine.ID, "m", "mío"), seekerText(theirs.ID, "t", "suyo"))
		if err := s.DeleteConversation(ctx, mine.ID); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("deleting a conversation still open: %v", err)
		}
		s.End(ctx, mine.ID, chat.EndedBySeeker)
		if err := s.DeleteConversation(ctx, mine.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Conversation(ctx, mine.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("deleted conversation still there: %v", err)
		}
		if msgs, err := s.Messages(ctx, theirs.ID, 0, 0); err != nil || len(msgs) != 1 || msgs[0].Body != "suyo" {
			t.Fatalf("someone else's conversation was touched: %v %v", msgs, err)
		}
		if err := s.DeleteConversation(ctx, chat.NewID()); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("deleting an unknown conversation: %v", err)
		}
	})
}

func TestPostgresStoresOnlyCiphertextAndRotatesKeys(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	k1, k2 := chat.NewKey("k1"), chat.NewKey("k2")
	old, _ := chat.ParseKeys(k1)
	s := chat.NewPostgresStore(pool, old, nil)
	c := mustCreate(t, s)
	secret := "a sentence nobody should find in a dump"
	mustAppend(t, s, seekerText(c.ID, "s1", secret), seekerText(c.ID, "s2", secret+" again"))

	var raw bytes.Buffer
	rows, _ := pool.Query(ctx, `SELECT key_id, body FROM messages`)
	for rows.Next() {
		var key string
		var body []byte
		rows.Scan(&key, &body)
		if key != "k1" {
			t.Errorf("key id %q, want k1", key)
		}
		raw.Write(body)
	}
	rows.Close()
	if raw.Len() == 0 || strings.Contains(raw.String(), "nobody should find") {
		t.Fatalf("message text is readable in the database (%d bytes read)", raw.Len())
	}

	rotated, _ := chat.ParseKeys(k2 + "," + k1)
	report, err := chat.NewPostgresStore(pool, rotated, nil).RotateKeys(ctx, 0)
	if err != nil || report.Resealed["messages"] != 2 {
		t.Fatalf("RotateKeys = %+v, %v", report, err)
	}
	onlyNew, _ := chat.ParseKeys(k2)
	msgs, err := chat.NewPostgresStore(pool, onlyNew, nil).Messages(ctx, c.ID, 0, 0)
	if err != nil || len(msgs) != 2 || msgs[0].Body != secret {
		t.Fatalf("after rotation, with the old key removed: %v %v", msgs, err)
	}
	if _, err := chat.NewPostgresStore(pool, old, nil).Messages(ctx, c.ID, 0, 0); err == nil {
		t.Fatal("the retired key still opens rotated messages")
	}
}
