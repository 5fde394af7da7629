package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/flood"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// switchFlood signs a supervisor in and switches the waiting step.
func switchFlood(t *testing.T, ctx context.Context, srv *servertest.Server, user string, on bool) flood.State {
	t.Helper()
	_, in := signIn(t, ctx, srv, user, srv.MustAccount(t, user, "Sara "+user, chat.RoleSupervisor, 1))
	a := call(t, ctx, nil, "PUT", srv.URL+"/api/staff/flood", in.Token, map[string]bool{"on": on}, nil)
	if a.Status != 200 {
		t.Fatalf("switching the waiting step: %d %s", a.Status, a.Body)
	}
	var st flood.State
	mustJSON(t, a.Body, &st)
	return st
}

// solveChallenge asks for a challenge and solves it as the seeker page does.
func solveChallenge(t *testing.T, ctx context.Context, srv *servertest.Server) map[string]string {
	t.Helper()
	a := call(t, ctx, nil, "GET", srv.URL+"/api/seeker/waiting-step", "", nil, nil)
	var c flood.Challenge
	mustJSON(t, a.Body, &c)
	if a.Status != 200 || !c.On || c.Challenge == "" || c.Bits < 1 {
		t.Fatalf("challenge: %d %s", a.Status, a.Body)
	}
	for i := 0; ; i++ {
		if n := strconv.Itoa(i); flood.Solved(c.Challenge, n, c.Bits) {
			return map[string]string{"challenge": c.Challenge, "nonce": n}
		}
	}
}

func startWith(t *testing.T, ctx context.Context, srv *servertest.Server, step map[string]string) apiAnswer {
	t.Helper()
	body := map[string]any{"audience": "self", "language": "es"}
	if step != nil {
		body["waiting_step"] = step
	}
	return call(t, ctx, nil, "POST", srv.URL+"/api/seeker/conversations", "", body, nil)
}

// With the waiting step on, a start without a solved challenge is refused
// with a clear error; a solved one starts one conversation; the page
// without JavaScript waits for its ticket instead.
func TestFloodWaitingStepWithAndWithoutJavaScript(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		b := newFormBrowser(t, srv)
		_, form := b.do("GET", "/nojs/start", nil, nil) // the questions, before the flood

		st := switchFlood(t, ctx, srv, "sara", true)
		if !st.On || st.By != "Sara sara" || st.Since.IsZero() {
			t.Fatalf("switched: %+v", st)
		}
		a := startWith(t, ctx, srv, nil)
		if a.Status != http.StatusTooManyRequests || !strings.Contains(string(a.Body), `"rate_limited"`) || !strings.Contains(string(a.Body), "waiting step") {
			t.Fatalf("a start without the waiting step: %d %s", a.Status, a.Body)
		}
		step := solveChallenge(t, ctx, srv)
		if a := startWith(t, ctx, srv, map[string]string{"challenge": step["challenge"], "nonce": step["nonce"] + "0"}); a.Status != http.StatusTooManyRequests {
			t.Fatalf("a wrong answer: %d %s", a.Status, a.Body)
		}
		if a := startWith(t, ctx, srv, step); a.Status != http.StatusCreated {
			t.Fatalf("a solved challenge: %d %s", a.Status, a.Body)
		}
		if a := startWith(t, ctx, srv, step); a.Status != http.StatusTooManyRequests {
			t.Fatalf("the same answer again: %d %s", a.Status, a.Body)
		}

		// Without JavaScript: the form posted during the flood waits, calmly.
		f := fields(form)
		f.Set("audience", "self")
		status, page := b.do("POST", "/nojs/start", f, nil)
		if status != http.StatusTooManyRequests || !strings.Contains(page, `id="waiting-step"`) || !strings.Contains(page, `id="prechat-error"`) ||
			!strings.Contains(page, `http-equiv="refresh"`) || b.cookies["helpline_seeker"] != "" || b.cookies["helpline_ticket"] == "" {
			t.Fatalf("no-JS start during the flood: %d %s", status, page)
		}
		if _, page = b.do("GET", "/nojs/start", nil, nil); strings.Contains(page, `id="prechat-form"`) || !strings.Contains(page, `id="waiting-step"`) {
			t.Fatalf("the questions before the ticket is mature: %s", page)
		}
		srv.Flood.SetClock(func() time.Time { return time.Now().Add(flood.DefaultWait + time.Second) })
		_, page = b.do("GET", "/nojs/start", nil, nil)
		if !strings.Contains(page, `id="prechat-form"`) || !strings.Contains(page, `id="waiting-step-ready"`) || strings.Contains(page, `http-equiv="refresh"`) {
			t.Fatalf("the ticket is mature, yet: %s", page)
		}
		f = fields(page)
		f.Set("audience", "self")
		if status, _ := b.do("POST", "/nojs/start", f, nil); status != http.StatusSeeOther || b.cookies["helpline_seeker"] == "" {
			t.Fatalf("start with a mature ticket: %d", status)
		}
		if b.cookies["helpline_ticket"] != "" {
			t.Fatal("the used ticket stayed in the browser")
		}

		if st := switchFlood(t, ctx, srv, "ana", false); st.On {
			t.Fatalf("switched off: %+v", st)
		}
		if a := startWith(t, ctx, srv, nil); a.Status != http.StatusCreated {
			t.Fatalf("off again: %d %s", a.Status, a.Body)
		}
	})
}

// The switch is stored: another instance on the same database obeys it.
func TestFloodWaitingStepReachesEveryInstance(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	one := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	two := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	if a := startWith(t, ctx, two, nil); a.Status != http.StatusCreated {
		t.Fatalf("before: %d %s", a.Status, a.Body)
	}
	switchFlood(t, ctx, one, "sara", true)
	two.Flood.SetClock(time.Now) // past its short cache of the switch
	if a := startWith(t, ctx, two, nil); a.Status != http.StatusTooManyRequests {
		t.Fatalf("the other instance ignores the switch: %d %s", a.Status, a.Body)
	}
	if a := startWith(t, ctx, two, solveChallenge(t, ctx, one)); a.Status != http.StatusCreated {
		t.Fatalf("a challenge of one instance solved on the other: %d %s", a.Status, a.Body)
	}
}
