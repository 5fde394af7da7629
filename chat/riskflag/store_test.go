package riskflag

import (
	"context"
	"slices"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// storeRig is one store with a chat store beside it on the same backend,
// so that flags belong to real conversations.
type storeRig struct {
	flags Store
	chat  interface {
		chat.Store
		chat.Retention
	}
}

func testSealer(t testing.TB) *chat.Sealer {
	s, err := chat.ParseKeys(chat.NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// forEachStore runs test against the memory and PostgreSQL stores: the
// contract both keep.
func forEachStore(t *testing.T, test func(t *testing.T, r storeRig)) {
	t.Run("memory", func(t *testing.T) {
		mem := chat.NewMemoryStore(nil)
		flags := NewMemoryStore()
		mem.OnForget(flags.Forget)
		test(t, storeRig{flags: flags, chat: mem})
	})
	t.Run("postgres", func(t *testing.T) {
		pool, _ := migrationstest.MustOpen(t)
		seal := testSealer(t)
		test(t, storeRig{flags: NewPostgresStore(pool, seal), chat: chat.NewPostgresStore(pool, seal, nil)})
	})
}

func TestStoreAddsEachFlagOnceAndSaysWhenToEscalate(t *testing.T) {
	forEachStore(t, func(t *testing.T, r storeRig) {
		ctx := context.Background()
		c, err := r.chat.CreateConversation(ctx, chat.NewConversation{Language: "es"})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
		f := Flag{ID: chat.NewID(), ConversationID: c.ID, Seq: 1, Category: CategorySelfHarm, Imminent: true, List: "es", Version: "v1",
			Words: []string{"Quiero morir"}, Phrases: []string{"quiero morir"}, CreatedAt: at}
		add := func(what string, f Flag, wantAdded, wantEscalate bool) {
			t.Helper()
			added, escalate, err := r.flags.Add(ctx, f)
			if err != nil || added != wantAdded || escalate != wantEscalate {
				t.Fatalf("%s: added %v escalate %v err %v; want %v %v", what, added, escalate, err, wantAdded, wantEscalate)
			}
		}
		add("the first flag", f, true, true)
		retry := f
		retry.ID = chat.NewID() // a retry makes a new id; the message, category and list are the same
		add("the same message again", retry, false, false)
		second := f
		second.ID, second.Seq, second.List, second.CreatedAt = chat.NewID(), 2, "en", at.Add(time.Second)
		add("a second flag before any escalation went through", second, true, true)
		if err := r.flags.MarkEscalated(ctx, c.ID, f.ID); err != nil {
			t.Fatal(err)
		}
		third := f
		third.ID, third.Seq, third.CreatedAt = chat.NewID(), 3, at.Add(2*time.Second)
		add("a flag of an escalated category", third, true, false)
		other := f
		other.ID, other.Seq, other.Category, other.Imminent, other.CreatedAt = chat.NewID(), 4, CategoryChildAtRiskNow, true, at.Add(3*time.Second)
		add("another category", other, true, true)
		got, err := r.flags.List(ctx, c.ID)
		if err != nil || len(got) != 4 {
			t.Fatalf("List = %d flags, %v", len(got), err)
		}
		g := got[0]
		if g.Seq != 1 || g.Category != CategorySelfHarm || !g.Imminent || g.List != "es" || g.Version != "v1" || !g.Escalated ||
			!slices.Equal(g.Words, []string{"Quiero morir"}) || !slices.Equal(g.Phrases, []string{"quiero morir"}) || !g.CreatedAt.Equal(at) {
			t.Fatalf("flag read back: %+v", g)
		}
		if got[1].Seq != 2 || got[1].Escalated || got[2].Seq != 3 || got[3].Seq != 4 {
			t.Fatalf("order or marks: %+v", got[1:])
		}
		if none, err := r.flags.List(ctx, "not-a-conversation"); err != nil || len(none) != 0 {
			t.Fatalf("an unknown conversation: %v, %v", none, err)
		}
	})
}

func TestFlagsGoWithTheirConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, r storeRig) {
		ctx := context.Background()
		c, err := r.chat.CreateConversation(ctx, chat.NewConversation{Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.flags.Add(ctx, Flag{ID: chat.NewID(), ConversationID: c.ID, Seq: 1, Category: CategorySelfHarm,
			List: "en", Version: "v1", Words: []string{"kill myself"}, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.chat.End(ctx, c.ID, chat.EndedBySeeker); err != nil {
			t.Fatal(err)
		}
		if err := r.chat.DeleteConversation(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := r.flags.List(ctx, c.ID); err != nil || len(got) != 0 {
			t.Fatalf("after the conversation was deleted its flags are %v, %v", got, err)
		}
	})
}

// Key rotation re-seals a flag's words, which then still open.
func TestRotationReSealsRiskFlags(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	old := chat.NewKey("k1")
	oldSeal, _ := chat.ParseKeys(old)
	c, err := chat.NewPostgresStore(pool, oldSeal, nil).CreateConversation(ctx, chat.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewPostgresStore(pool, oldSeal).Add(ctx, Flag{ID: chat.NewID(), ConversationID: c.ID, Seq: 1, Category: CategorySelfHarm,
		List: "es", Version: "v1", Words: []string{"me quiero morir"}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	both, err := chat.ParseKeys(chat.NewKey("k2") + "," + old)
	if err != nil {
		t.Fatal(err)
	}
	report, err := chat.NewPostgresStore(pool, both, nil).RotateKeys(ctx, 10)
	if err != nil || report.Resealed["risk_flags"] != 1 || len(report.Left) != 0 {
		t.Fatalf("rotation: %+v, %v", report, err)
	}
	got, err := NewPostgresStore(pool, both).List(ctx, c.ID)
	if err != nil || len(got) != 1 || got[0].Words[0] != "me quiero morir" {
		t.Fatalf("after rotation: %+v, %v", got, err)
	}
	var keyID string
	if err := pool.QueryRow(ctx, `SELECT key_id FROM risk_flags`).Scan(&keyID); err != nil || keyID != "k2" {
		t.Fatalf("key after rotation %q, %v", keyID, err)
	}
}
