package oversight_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/oversight"
	"helpline/migrations/migrationstest"
)

// fixture is one store of each kind with chat's store beside it, so that
// conversations exist and can be deleted.
type fixture struct {
	chat   chat.Store
	sup    oversight.Store
	delete func(id string)
	raw    func(t *testing.T, whisperID string) []byte // PostgreSQL: the stored body as it is on disk
}

var factories = map[string]func(t *testing.T) fixture{
	"memory": func(t *testing.T) fixture {
		mem := chat.NewMemoryStore(nil)
		sup := oversight.NewMemoryStore(func(id string) bool { _, err := mem.Conversation(context.Background(), id); return err == nil })
		mem.OnForget(sup.Forget)
		return fixture{chat: mem, sup: sup, delete: func(id string) { remove(t, mem, id) }}
	},
	"postgres": func(t *testing.T) fixture {
		pool, _ := migrationstest.MustOpen(t)
		seal, err := chat.ParseKeys(chat.NewKey("k1"))
		if err != nil {
			t.Fatal(err)
		}
		pg := chat.NewPostgresStore(pool, seal, nil)
		raw := func(t *testing.T, id string) []byte {
			var b []byte
			if err := pool.QueryRow(context.Background(), `SELECT body FROM whispers WHERE id = $1`, id).Scan(&b); err != nil {
				t.Fatal(err)
			}
			return b
		}
		return fixture{chat: pg, sup: oversight.NewPostgresStore(pool, seal), delete: func(id string) { remove(t, pg, id) }, raw: raw}
	},
}

// remove ends and erases a conversation, as a seeker's "delete" does.
func remove(t *testing.T, s interface {
	chat.Store
	chat.Retention
}, id string) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.End(ctx, id, chat.EndedBySeeker); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConversation(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func forEachStore(t *testing.T, test func(t *testing.T, f fixture)) {
	for name, open := range factories {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

func newConversation(t *testing.T, s chat.Store) string {
	t.Helper()
	c, err := s.CreateConversation(context.Background(), chat.NewConversation{Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestWhisperStore: whispers are kept per conversation, oldest first, stored
// once per (staff member, client id), refused for a conversation that does
// not exist, and deleted with their conversation.
func TestWhisperStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		a, b := newConversation(t, f.chat), newConversation(t, f.chat)
		at := time.Now().UTC().Truncate(time.Microsecond)
		w1 := oversight.Whisper{ID: chat.NewID(), ConversationID: a, StaffID: 5, StaffName: "Sam", ClientID: "w1", Body: "Pregúntale si está a salvo ahora", CreatedAt: at}
		got, dup, err := f.sup.AddWhisper(ctx, w1)
		if err != nil || dup || got != w1 {
			t.Fatalf("AddWhisper = %+v %v %v", got, dup, err)
		}
		retry := w1
		retry.ID, retry.Body = chat.NewID(), "otra cosa"
		if got, dup, err := f.sup.AddWhisper(ctx, retry); err != nil || !dup || got != w1 {
			t.Fatalf("a retried whisper = %+v %v %v, want the first one", got, dup, err)
		}
		w2 := oversight.Whisper{ID: chat.NewID(), ConversationID: a, StaffID: 6, StaffName: "Lu", ClientID: "w1", Body: "second", CreatedAt: at.Add(time.Second)}
		if _, dup, err := f.sup.AddWhisper(ctx, w2); err != nil || dup {
			t.Fatalf("another supervisor's whisper with the same client id: %v %v", dup, err)
		}
		if _, _, err := f.sup.AddWhisper(ctx, oversight.Whisper{ID: chat.NewID(), ConversationID: chat.NewID(), StaffID: 5, ClientID: "x", Body: "x", CreatedAt: at}); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("a whisper to no conversation: %v", err)
		}
		if f.raw != nil && strings.Contains(string(f.raw(t, w1.ID)), "salvo") {
			t.Fatal("a whisper is stored in clear")
		}
		list, err := f.sup.Whispers(ctx, a)
		if err != nil || len(list) != 2 || list[0] != w1 || list[1] != w2 {
			t.Fatalf("Whispers = %+v %v", list, err)
		}
		if list, _ := f.sup.Whispers(ctx, b); len(list) != 0 {
			t.Fatalf("another conversation's whispers: %+v", list)
		}
		if list, err := f.sup.Whispers(ctx, "not-an-id"); err != nil || len(list) != 0 {
			t.Fatalf("Whispers of a malformed id = %v %v", list, err)
		}
		f.delete(a)
		if list, _ := f.sup.Whispers(ctx, a); len(list) != 0 {
			t.Fatalf("whispers outlived their conversation: %+v", list)
		}
	})
}

// TestWatchStore: each instance's rows are exactly what it last synced;
// rows not refreshed since the cut-off no longer count; a deleted
// conversation's rows go, and syncing one does not fail the rest.
func TestWatchStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		a, b := newConversation(t, f.chat), newConversation(t, f.chat)
		t0 := time.Now().UTC().Truncate(time.Microsecond)
		sam := oversight.Watch{ConversationID: a, StaffID: 5, Name: "Sam", Role: "supervisor", Since: t0}
		lu := oversight.Watch{ConversationID: a, StaffID: 6, Name: "Lu", Role: "admin", Since: t0.Add(time.Second)}
		samB := oversight.Watch{ConversationID: b, StaffID: 5, Name: "Sam", Role: "supervisor", Since: t0}
		if err := f.sup.SyncWatches(ctx, "one", []oversight.Watch{sam, samB}, t0); err != nil {
			t.Fatal(err)
		}
		if err := f.sup.SyncWatches(ctx, "two", []oversight.Watch{lu}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := f.sup.Watches(ctx, []string{a}, t0)
		if err != nil || len(got) != 2 || got[0] != sam || got[1] != lu {
			t.Fatalf("Watches(a) = %+v %v", got, err)
		}
		if got, _ := f.sup.Watches(ctx, nil, t0); len(got) != 3 {
			t.Fatalf("Watches(all) = %+v", got)
		}
		// Instance one has not refreshed since t0: past the cut-off its rows do not count.
		if got, _ := f.sup.Watches(ctx, nil, t0.Add(time.Second)); len(got) != 1 || got[0] != lu {
			t.Fatalf("Watches after the cut-off = %+v", got)
		}
		// Instance one stops watching b; then a is deleted.
		if err := f.sup.SyncWatches(ctx, "one", []oversight.Watch{sam}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.sup.Watches(ctx, []string{b}, t0); len(got) != 0 {
			t.Fatalf("a watch that stopped is still listed: %+v", got)
		}
		f.delete(a)
		if got, _ := f.sup.Watches(ctx, nil, t0); len(got) != 0 {
			t.Fatalf("watches outlived their conversation: %+v", got)
		}
		if err := f.sup.SyncWatches(ctx, "one", []oversight.Watch{sam, samB}, t0.Add(2*time.Minute)); err != nil {
			t.Fatalf("syncing a watch of a deleted conversation: %v", err)
		}
		if got, _ := f.sup.Watches(ctx, nil, t0); len(got) != 1 || got[0] != samB {
			t.Fatalf("Watches = %+v, want only b's", got)
		}
		if got, err := f.sup.Watches(ctx, []string{"bogus"}, t0); err != nil || len(got) != 0 {
			t.Fatalf("Watches(bogus) = %v %v", got, err)
		}
	})
}
