package main

import (
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// What a newcomer sees in the first minutes: the in-memory demo, as
// `go run ./cmd/helpline` starts it.

const demoPassword = "demo password for tests"

func demoMode() servertest.Options {
	return offerMode(map[string]string{"HELPLINE_DEMO": "true", "HELPLINE_DEMO_PASSWORD": demoPassword,
		"HELPLINE_OFFER_TIMEOUT": "10s"})
}

// A young person in the demo is told the truth while only the supervisor
// (not trained for young people) is on shift, and is offered to the demo
// counsellor, who is trained for young people, as soon as they sign in.
func TestDemoYoungSeekerReachesTheDemoCounselorTrainedForYoungPeople(t *testing.T) {
	srv := servertest.Start(t, "memory", demoMode())
	ctx := testCtx(t)
	sam, _ := signIn(t, ctx, srv, "supervisor", demoPassword)

	young := startSeeker(t, ctx, srv, "young", "en")
	f, err := young.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "position" && f.Wait.NoneSuitable })
	if err != nil {
		t.Fatalf("with only the supervisor on shift the young seeker never heard none_suitable: %v", err)
	}
	if f.Wait.NoneOnShift {
		t.Fatalf("told no one is on shift while the supervisor is: %s", f.Raw)
	}

	alex, _ := signIn(t, ctx, srv, "counselor", demoPassword)
	offer := waitOffer(t, ctx, alex)
	if offer.Conversation.ID != young.started.ConversationID || offer.Conversation.Audience != "young" {
		t.Fatalf("offer to the demo counsellor = %s", offer.Raw)
	}
	accept(t, ctx, alex, offer.Conversation.ID)
	if m := nextMessage(t, ctx, young.Client); m.Kind != "joined" || m.Name != "Alex" {
		t.Fatalf("seeker saw %s", m.Raw)
	}
	noFrame(t, sam, time.Second, func(f chatclient.Frame) bool { return f.Type == "offer" })
}
