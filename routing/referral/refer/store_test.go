package refer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
	"helpline/routing/referral/webhook"
)

// fixture is a referral store with its outbox and the chat store whose
// conversations the referrals belong to.
type fixture struct {
	refs   refer.Store
	outbox referral.Store
	chat   interface {
		CreateConversation(context.Context, chat.NewConversation) (chat.Conversation, error)
		DeleteConversation(context.Context, string) error
		End(context.Context, string, string) (chat.Conversation, chat.Message, error)
	}
}

// stores runs the contract suite on both stores.
func stores(t *testing.T, test func(t *testing.T, f fixture)) {
	t.Run("memory", func(t *testing.T) {
		mem := chat.NewMemoryStore(nil)
		outbox := referral.NewMemoryStore()
		refs := refer.NewMemoryStore(outbox)
		mem.OnForget(refs.Forget)
		test(t, fixture{refs: refs, outbox: outbox, chat: mem})
	})
	t.Run("postgres", func(t *testing.T) {
		pool, _ := migrationstest.MustOpen(t)
		seal, err := chat.ParseKeys(chat.NewKey("t1"))
		if err != nil {
			t.Fatal(err)
		}
		outbox := referral.NewPostgresStore(pool, seal)
		test(t, fixture{refs: refer.NewPostgresStore(pool, outbox), outbox: outbox, chat: chat.NewPostgresStore(pool, seal, nil)})
	})
}

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func (f fixture) referral(t *testing.T, ctx context.Context, clientID string) refer.Referral {
	t.Helper()
	c, err := f.chat.CreateConversation(ctx, chat.NewConversation{Audience: "self", Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	r := refer.Referral{ID: refer.RecordID(c.ID, clientID), ConversationID: c.ID, ServiceID: "svc", ServiceName: "Servicio",
		StaffID: 7, Seq: 3, Code: "R-TEST-" + clientID, CreatedAt: now}
	got, err := f.refs.Add(ctx, r)
	if err != nil || got != r {
		t.Fatalf("add: %+v %v", got, err)
	}
	return r
}

func (f fixture) partner(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := f.outbox.PutPartner(ctx, referral.Partner{ID: "svc", Name: "P", URL: "https://p.example.org/", Secrets: []string{webhook.NewSecret()}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, ctx context.Context, s refer.Store, event string) int64 {
	t.Helper()
	c, err := s.Counts(ctx, now.Add(-24*time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return c[now.Format(time.DateOnly)][event]
}

func TestStoreAddIsIdempotentAndCounted(t *testing.T) {
	stores(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		r := f.referral(t, ctx, "a")
		again := r
		again.ServiceName, again.Code = "Otro", "R-OTHER"
		if got, err := f.refs.Add(ctx, again); err != nil || got != r {
			t.Fatalf("adding the same id again: %+v %v, want the stored one", got, err)
		}
		if n := count(t, ctx, f.refs, refer.CountCard); n != 1 {
			t.Fatalf("cards counted %d, want 1", n)
		}
		list, err := f.refs.ForConversation(ctx, r.ConversationID)
		if err != nil || len(list) != 1 || list[0] != r {
			t.Fatalf("for conversation: %+v %v", list, err)
		}
		if _, err := f.refs.Get(ctx, "rf_missing"); !errors.Is(err, refer.ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestStoreConsentWritesTheOutboxRowWithIt(t *testing.T) {
	stores(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		f.partner(t, ctx)
		r := f.referral(t, ctx, "b")
		d := referral.Delivery{ID: referral.NewID(), PartnerID: "svc", Body: []byte(`{}`), NextAttempt: now, CreatedAt: now}
		if _, err := f.refs.Consent(ctx, r.ID, d, now); !errors.Is(err, refer.ErrState) {
			t.Fatalf("consent before an offer: %v", err)
		}
		if _, err := f.outbox.Get(ctx, d.ID); !errors.Is(err, referral.ErrNotFound) {
			t.Fatalf("outbox row without consent: %v", err)
		}
		if got, err := f.refs.Offer(ctx, r.ID, "svc", now); err != nil || got.Warm != refer.WarmOffered {
			t.Fatalf("offer: %+v %v", got, err)
		}
		bad := d
		bad.PartnerID = "no-such-partner"
		if _, err := f.refs.Consent(ctx, r.ID, bad, now); err == nil {
			t.Fatal("consent with an outbox row that cannot be written succeeded")
		}
		if got, _ := f.refs.Get(ctx, r.ID); got.Warm != refer.WarmOffered || got.DeliveryID != "" {
			t.Fatalf("a failed consent changed the referral: %+v", got)
		}
		got, err := f.refs.Consent(ctx, r.ID, d, now)
		if err != nil || got.Warm != refer.WarmConsented || got.DeliveryID != d.ID {
			t.Fatalf("consent: %+v %v", got, err)
		}
		if row, err := f.outbox.Get(ctx, d.ID); err != nil || row.Status != referral.StatusPending {
			t.Fatalf("outbox row: %+v %v", row, err)
		}
		if byD, err := f.refs.ByDelivery(ctx, d.ID); err != nil || byD.ID != r.ID {
			t.Fatalf("by delivery: %+v %v", byD, err)
		}
		if byC, err := f.refs.ByCode(ctx, "svc", r.Code); err != nil || byC.ID != r.ID {
			t.Fatalf("by code: %+v %v", byC, err)
		}
		if _, err := f.refs.ByCode(ctx, "another", r.Code); !errors.Is(err, refer.ErrNotFound) {
			t.Fatalf("another partner's code: %v", err)
		}
		if w, err := f.refs.SetWarm(ctx, r.ID, []refer.Warm{refer.WarmConsented}, refer.WarmWithdrawn, refer.CountWithdrawn, now); err != nil || w.Warm != refer.WarmWithdrawn {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		if _, err := f.refs.SetWarm(ctx, r.ID, []refer.Warm{refer.WarmConsented}, refer.WarmWithdrawn, refer.CountWithdrawn, now); !errors.Is(err, refer.ErrState) {
			t.Fatalf("withdrawing twice in the store: %v", err)
		}
		for event, want := range map[string]int64{refer.CountWarmOffered: 1, refer.CountConsented: 1, refer.CountWithdrawn: 1} {
			if n := count(t, ctx, f.refs, event); n != want {
				t.Errorf("%s counted %d, want %d", event, n, want)
			}
		}
	})
}

func TestStoreContactMadeOnceAndRecordsGoWithTheConversation(t *testing.T) {
	stores(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		r := f.referral(t, ctx, "c")
		for range 2 {
			got, err := f.refs.ContactMade(ctx, r.ID, now)
			if err != nil || !got.ContactMadeAt.Equal(now) {
				t.Fatalf("contact made: %+v %v", got, err)
			}
		}
		if n := count(t, ctx, f.refs, refer.CountContactMade); n != 1 {
			t.Fatalf("contact made counted %d, want 1", n)
		}
		if _, _, err := f.chat.End(ctx, r.ConversationID, chat.EndedBySeeker); err != nil {
			t.Fatal(err)
		}
		if err := f.chat.DeleteConversation(ctx, r.ConversationID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.refs.Get(ctx, r.ID); !errors.Is(err, refer.ErrNotFound) {
			t.Fatalf("the referral outlived its conversation: %v", err)
		}
		if n := count(t, ctx, f.refs, refer.CountCard); n != 1 {
			t.Fatalf("the anonymous count went with it: %d", n)
		}
	})
}
