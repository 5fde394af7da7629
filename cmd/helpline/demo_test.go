package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
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
		"HELPLINE_OFFER_TIMEOUT": "10s", "HELPLINE_COUNSELOR_GRACE": "30s"})
}

// A young person in the demo is told the truth while only the supervisor
// (not trained for young people) is on shift, and is offered to the demo
// counsellor, who is trained for young people, as soon as they sign in.
func TestDemoYoungSeekerReachesTheDemoCounselorTrainedForYoungPeople(t *testing.T) {
	srv := servertest.Start(t, "memory", demoMode())
	// The demo accounts hash their passwords at full strength: allow for a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
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
	offer, err := alex.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "offer" })
	if err != nil {
		log := srv.Log.String()
		t.Fatalf("the demo counsellor was never offered the young seeker: %v\nserver log (end): %s", err, log[max(0, len(log)-4000):])
	}
	if offer.Conversation.ID != young.started.ConversationID || offer.Conversation.Audience != "young" {
		t.Fatalf("offer to the demo counsellor = %s", offer.Raw)
	}
	accept(t, ctx, alex, offer.Conversation.ID)
	if m := nextMessage(t, ctx, young.Client); m.Kind != "joined" || m.Name != "Alex" {
		t.Fatalf("seeker saw %s", m.Raw)
	}
	noFrame(t, sam, time.Second, func(f chatclient.Frame) bool { return f.Type == "offer" })
}

// A taken address stops the server before any demo account exists, so no
// password is printed for a server that never ran, and the error names the
// address and what to do.
func TestTakenAddressFailsBeforeAnyPasswordIsPrinted(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	env := map[string]string{"HELPLINE_ADDR": addr, "HELPLINE_DEMO_PASSWORD": demoPassword}
	var stdout bytes.Buffer
	err = run(testCtx(t), nil, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, io.Discard)
	if err == nil {
		t.Fatal("run succeeded on a taken address")
	}
	if msg := err.Error(); !strings.Contains(msg, "HELPLINE_ADDR="+addr) || !strings.Contains(msg, "free address") {
		t.Errorf("error %q does not name the address and what to do", msg)
	}
	if out := stdout.String(); strings.Contains(strings.ToLower(out), "password") || strings.Contains(out, demoPassword) {
		t.Errorf("stdout of a server that never ran shows passwords:\n%s", out)
	}
}

// The start banner says when only this machine can reach the server.
func TestBannerSaysWhenOnlyThisMachineCanReachIt(t *testing.T) {
	env := map[string]string{"HELPLINE_ADDR": "127.0.0.1:0", "HELPLINE_DEMO": "false"} // no slow password hashing
	stdout := &servertest.SafeBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, func(k string) string { return env[k] }, stdout, io.Discard) }()
	defer func() {
		cancel()
		<-done
	}()
	// Serving has begun once the banner is out and /healthz answers.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(stdout.String(), "this machine") || !answers(banneredURL(stdout.String())); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no banner and no /healthz within a minute:\n%s", stdout.String())
		}
	}
	if out := stdout.String(); !strings.Contains(out, "Listening on 127.0.0.1:") || !strings.Contains(out, "only this machine can reach it") {
		t.Errorf("banner does not say the server is reachable from this machine only:\n%s", out)
	}
}

// banneredURL is the help-seeker page the banner names, or "".
func banneredURL(banner string) string {
	_, rest, ok := strings.Cut(banner, "Help-seeker page: ")
	if !ok {
		return ""
	}
	url, _, _ := strings.Cut(rest, "\n")
	return url
}

func answers(url string) bool {
	if url == "" {
		return false
	}
	resp, err := http.Get(url + "healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
