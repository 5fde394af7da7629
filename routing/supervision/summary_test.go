package supervision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
	"helpline/routing"
	"helpline/routing/supervision"
	"helpline/routing/switchboard"
)

// The summary at its largest (every skill waiting, prioritised and paused,
// with long names) stays small: pushed at most every 2 s, it costs a
// supervisor under 1 KB/s, and it fits the broker many times over.
func TestSummaryStaysSmallAndMarksWhatMatters(t *testing.T) {
	ctx := context.Background()
	store := chat.NewMemoryStore(nil)
	pauses := switchboard.NewMemoryStore()
	langs := []string{"", "es", "en"}
	for _, a := range []chat.Audience{chat.AudienceSelf, chat.AudienceYoung, chat.AudienceOther, chat.AudienceUnknown} {
		for _, l := range langs {
			for range 3 {
				if _, err := store.CreateConversation(ctx, chat.NewConversation{Audience: a, Language: l}); err != nil {
					t.Fatal(err)
				}
			}
			pauses.Put(ctx, switchboard.Pause{Audience: a, Language: l, ByID: 1, ByName: strings.Repeat("Supervisora ", 5), Since: time.Now()})
		}
	}
	// A conversation moved ahead for risk (above returned ones).
	waiting, _ := store.Waiting(ctx)
	if _, _, err := store.Assign(ctx, waiting[0].ID, 1, "Ana", 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Requeue(ctx, waiting[0].ID, chat.RequeueTransferred, chat.PriorityReturned+10, "", 0); err != nil {
		t.Fatal(err)
	}
	router := routing.New(routing.Config{}, routing.NewMemoryStore(), store)
	sb := switchboard.New(pauses, nopChat{}, nil, map[string]bool{"es": true, "en": true}, nil, nil)
	svc := supervision.New(supervision.Config{Chat: nopChat{}, Store: store, Live: store, Team: router, Pauses: sb, Breaks: supervision.NewMemoryBreaks()})
	sum, err := svc.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prioritised := 0
	for _, q := range sum.Queue {
		prioritised += q.Prioritised
		if !q.Paused || q.Waiting != 3 {
			t.Fatalf("queue line %+v", q)
		}
	}
	if len(sum.Queue) != 12 || prioritised != 1 || sum.WaitingTotal != 36 {
		t.Fatalf("summary: %d lines, %d prioritised, %d waiting", len(sum.Queue), prioritised, sum.WaitingTotal)
	}
	frame, err := wire.Encode(sum)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the largest summary: %d bytes", len(frame))
	if len(frame) > 2000 || len(frame) > chat.MaxEventBytes/2 {
		t.Fatalf("the largest summary is %d bytes; at one every 2 s that is over 1 KB/s", len(frame))
	}
}
