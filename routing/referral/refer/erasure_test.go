package refer_test

import (
	"context"
	"errors"
	"testing"

	"helpline/chat"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
)

// Erasing a conversation takes the outbox row of a consented referral not
// yet delivered with it (pending or dead), in the same step; a delivered
// one stays to its retention; the anonymous counts stay.
func TestStoreErasureWithdrawsUndeliveredReferrals(t *testing.T) {
	stores(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		f.partner(t, ctx)
		consented := func(clientID string) (refer.Referral, referral.Delivery) {
			r := f.referral(t, ctx, clientID)
			if _, err := f.refs.Offer(ctx, r.ID, "svc", now); err != nil {
				t.Fatal(err)
			}
			d := referral.Delivery{ID: referral.NewID(), PartnerID: "svc", Body: []byte(`{"name":"Alex"}`), NextAttempt: now, CreatedAt: now}
			if _, err := f.refs.Consent(ctx, r.ID, d, now); err != nil {
				t.Fatal(err)
			}
			return r, d
		}
		pending, pd := consented("pending")
		erase := func(r refer.Referral) {
			if _, _, err := f.chat.End(ctx, r.ConversationID, chat.EndedBySeeker); err != nil {
				t.Fatal(err)
			}
			if err := f.chat.DeleteConversation(ctx, r.ConversationID); err != nil {
				t.Fatal(err)
			}
		}
		erase(pending)
		if _, err := f.outbox.Get(ctx, pd.ID); !errors.Is(err, referral.ErrNotFound) {
			t.Fatalf("the outbox row outlived the erased conversation: %v", err)
		}
		if ds, err := f.outbox.Claim(ctx, now.Add(48*3600e9), 60e9, 10); err != nil || len(ds) != 0 {
			t.Fatalf("a deliverer could still claim %d rows (%v)", len(ds), err)
		}

		delivered, dd := consented("delivered")
		ds, err := f.outbox.Claim(ctx, now, 60e9, 10)
		if err != nil || len(ds) != 1 || ds[0].ID != dd.ID {
			t.Fatalf("claim: %+v %v", ds, err)
		}
		if err := f.outbox.Finish(ctx, dd.ID, ds[0].Claim, referral.Outcome{Status: referral.StatusDelivered, Attempts: 1, At: now}); err != nil {
			t.Fatal(err)
		}
		erase(delivered)
		if row, err := f.outbox.Get(ctx, dd.ID); err != nil || row.Status != referral.StatusDelivered {
			t.Fatalf("a delivered row: %+v %v", row, err)
		}
		if n := count(t, ctx, f.refs, refer.CountConsented); n != 2 {
			t.Fatalf("consented counted %d after erasure, want 2", n)
		}
	})
}
