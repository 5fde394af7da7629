package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
	"helpline/routing/supervision"
	"helpline/routing/switchboard"
)

// The supervisor page end to end: the summary pushed to observing pages,
// the lists over HTTP, breaks, and the switchboard on one and two instances.

// observe signs a supervisor in and opens the supervisor page's socket.
func observe(t *testing.T, ctx context.Context, srv *servertest.Server, username, name string, role chat.Role) (*chatclient.Client, string) {
	t.Helper()
	in, err := chatclient.Login(ctx, srv.URL, username, srv.MustAccount(t, username, name, role, 3))
	if err != nil {
		t.Fatal(err)
	}
	c, err := chatclient.DialObserver(ctx, srv.URL, in.Token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.WS.CloseNow() })
	return c, in.Token
}

// waitSummary waits for a supervisor_summary frame that satisfies ok.
func waitSummary(t *testing.T, ctx context.Context, c *chatclient.Client, what string, ok func(supervision.Summary) bool) supervision.Summary {
	t.Helper()
	var sum supervision.Summary
	_, err := c.WaitFor(ctx, func(f chatclient.Frame) bool {
		return f.Type == "supervisor_summary" && f.As(&sum) == nil && ok(sum)
	})
	if err != nil {
		t.Fatalf("no summary with %s: %v", what, err)
	}
	return sum
}

func getJSON(t *testing.T, ctx context.Context, url, token string, out any) {
	t.Helper()
	a := call(t, ctx, nil, "GET", url, token, nil, nil)
	if a.Status != 200 {
		t.Fatalf("GET %s: %d %s", url, a.Status, a.Body)
	}
	if err := json.Unmarshal(a.Body, out); err != nil {
		t.Fatal(err)
	}
}

func TestSupervisorPageSeesQueueTeamAndLiveConversations(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		obs, token := observe(t, ctx, srv, "sara", "Sara", chat.RoleSupervisor)
		if obs.Ready.Role != "supervisor" || len(obs.Ready.Conversations) != 0 {
			t.Fatalf("observer ready: %s", obs.Ready.Raw)
		}
		c, _ := mustCounselor(t, ctx, srv, "ana", 3)
		s := startSeeker(t, ctx, srv, "other", "es")
		sum := waitSummary(t, ctx, obs, "one person waiting in Spanish", func(s supervision.Summary) bool {
			return len(s.Queue) == 1 && s.Queue[0].Audience == "other" && s.Queue[0].Language == "es" && s.Queue[0].Waiting == 1
		})
		// The page's socket puts no one on shift: only the counsellor is.
		if sum.Team.OnShift != 1 || sum.WaitingTotal != 1 || sum.Queue[0].OldestSince.IsZero() {
			t.Fatalf("summary: %+v", sum)
		}
		id := s.started.ConversationID
		accept(t, ctx, c, id)
		send(t, ctx, s.Client, id, "m1", "hola")
		waitSummary(t, ctx, obs, "one live conversation", func(s supervision.Summary) bool {
			return s.LiveTotal == 1 && s.WaitingTotal == 0 && s.Team.Active == 1
		})
		// The summary goes to observing pages only, and they get none of the console's frames.
		noFrame(t, c, 100*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "supervisor_summary" })
		noFrame(t, obs, 100*time.Millisecond, func(f chatclient.Frame) bool {
			return f.Type == "queue" || f.Type == "team" || f.Type == "team_changes" || f.Type == "offer"
		})

		var live supervision.LivePage
		getJSON(t, ctx, srv.URL+"/api/supervisor/conversations?offset=0&limit=10", token, &live)
		if live.Total != 1 || len(live.Conversations) != 1 {
			t.Fatalf("live: %+v", live)
		}
		row := live.Conversations[0]
		if row.ID != id || row.Counselor != "Consejera ana" || row.Audience != "other" || row.LastSeekerAt.IsZero() || !row.LastCounselorAt.IsZero() || row.Watchers == nil {
			t.Fatalf("live row: %+v", row)
		}

		// A break, tracked where the status changes.
		for _, st := range []string{"break", "available"} {
			if err := c.Send(ctx, map[string]any{"type": "status", "status": st}); err != nil {
				t.Fatal(err)
			}
			waitFrame(t, ctx, c, "status "+st, func(f chatclient.Frame) bool {
				return f.Type == "status" && strings.Contains(string(f.Raw), `"`+st+`"`)
			})
		}
		var team supervision.TeamPage
		getJSON(t, ctx, srv.URL+"/api/supervisor/team", token, &team)
		if team.Total != 1 || len(team.Members) != 1 {
			t.Fatalf("team: %+v", team)
		}
		m := team.Members[0]
		if m.Status != "available" || m.Active != 1 || m.Capacity != 3 || m.InConversationsSince.IsZero() || m.LastBreakEnded.IsZero() || m.StatusSince.IsZero() {
			t.Fatalf("team member: %+v", m)
		}
		var hist struct {
			Samples []supervision.Sample `json:"samples"`
		}
		getJSON(t, ctx, srv.URL+"/api/supervisor/history", token, &hist)
		if len(hist.Samples) == 0 {
			t.Fatal("no sample of the queue at start")
		}
	})
}

// Only supervisors and admins may open the supervisor page's socket.
func TestOnlySupervisorsAndAdminsObserve(t *testing.T) {
	srv := servertest.Start(t, "memory")
	ctx := testCtx(t)
	s := mustSeeker(t, ctx, srv)
	_, counselorToken := mustCounselor(t, ctx, srv, "ana", 3)
	_, adminToken := observe(t, ctx, srv, "admi", "Admi", chat.RoleAdmin)
	for name, token := range map[string]string{"a seeker": s.started.Token, "a counsellor": counselorToken} {
		if _, err := chatclient.DialObserver(ctx, srv.URL, token); chatclient.CloseStatus(err) != chat.StatusBadToken {
			t.Errorf("%s observing: %v, want 4401", name, err)
		}
	}
	if _, err := chatclient.DialObserver(ctx, srv.URL, adminToken); err != nil {
		t.Errorf("an admin observing: %v", err)
	}
}

func pause(t *testing.T, ctx context.Context, srv *servertest.Server, token, path, audience, language string) apiAnswer {
	t.Helper()
	a := call(t, ctx, nil, "POST", srv.URL+"/api/switchboard/"+path, token, map[string]string{"audience": audience, "language": language}, nil)
	if a.Status >= 300 {
		t.Fatalf("%s: %d %s", path, a.Status, a.Body)
	}
	return a
}

func waitPaused(t *testing.T, ctx context.Context, c *chatclient.Client, by string) switchboard.View {
	t.Helper()
	var sb switchboard.Frame
	waitFrame(t, ctx, c, "the switchboard banner", func(f chatclient.Frame) bool {
		return f.Type == "switchboard" && f.As(&sb) == nil && len(sb.Paused) == 1 && sb.Paused[0].By == by
	})
	return sb.Paused[0]
}

// A paused skill gets no offers: its conversations wait to be picked by
// hand, every console is told who paused it and since when, and resuming
// lets offers flow again. Audited.
func TestSwitchboardPauseStopsOffersUntilResumed(t *testing.T) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, store, offerMode(map[string]string{"HELPLINE_OFFER_TIMEOUT": "30s"}))
			ctx := testCtx(t)
			in, err := chatclient.Login(ctx, srv.URL, "sara", srv.MustAccount(t, "sara", "Sara", chat.RoleSupervisor, 3))
			if err != nil {
				t.Fatal(err)
			}
			c, _ := mustCounselor(t, ctx, srv, "ana", 3)
			first := pause(t, ctx, srv, in.Token, "pause", "self", "")
			if again := pause(t, ctx, srv, in.Token, "pause", "self", ""); string(again.Body) != string(first.Body) {
				t.Fatalf("pausing twice: %s then %s", first.Body, again.Body)
			}
			p := waitPaused(t, ctx, c, "Sara")
			if p.Audience != "self" || p.Language != "" || p.Since.IsZero() {
				t.Fatalf("banner: %+v", p)
			}
			var list switchboard.Frame
			getJSON(t, ctx, srv.URL+"/api/switchboard", in.Token, &list)
			if len(list.Paused) != 1 {
				t.Fatalf("GET /api/switchboard: %+v", list)
			}
			a := startSeeker(t, ctx, srv, "self", "es")
			noFrame(t, c, 2500*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "offer" })
			accept(t, ctx, c, a.started.ConversationID) // picked by hand
			b := startSeeker(t, ctx, srv, "self", "en")
			noFrame(t, c, 1500*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "offer" })
			pause(t, ctx, srv, in.Token, "resume", "self", "")
			waitFrame(t, ctx, c, "the banner cleared", func(f chatclient.Frame) bool {
				return f.Type == "switchboard" && f.As(&list) == nil && len(list.Paused) == 0
			})
			offer := waitOffer(t, ctx, c)
			if offer.Conversation.ID != b.started.ConversationID {
				t.Fatalf("offer after resuming: %s", offer.Raw)
			}
			entries, err := srv.Staff.AuditLog(ctx, chat.Principal{StaffID: 0}, 50)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range entries {
				if strings.HasPrefix(e.Action, "switchboard.") {
					actions = append(actions, e.Action+" "+e.Target)
				}
			}
			slices.Sort(actions)
			if want := []string{"switchboard.pause skill:self/", "switchboard.resume skill:self/"}; !slices.Equal(actions, want) {
				t.Fatalf("audit: %v, want %v (a repeated pause is not a second one)", actions, want)
			}
		})
	}
}

// Two instances on one database: a pause set on one stops offers made by
// whichever leads, the banner reaches a counsellor on the other, and the
// summary, built once by the leader, reaches a supervisor page on either.
func TestSwitchboardAndSummaryAcrossInstances(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	opts := offerMode(map[string]string{"HELPLINE_OFFER_TIMEOUT": "30s"})
	opts.DatabaseURL = url
	one := servertest.Start(t, "postgres", opts)
	two := servertest.Start(t, "postgres", opts)
	ctx := testCtx(t)
	c, _ := mustCounselor(t, ctx, one, "ana", 3)
	obs, _ := observe(t, ctx, one, "sara", "Sara", chat.RoleSupervisor)
	in, err := chatclient.Login(ctx, two.URL, "sara", "correct horse battery sara")
	if err != nil {
		t.Fatal(err)
	}
	pause(t, ctx, two, in.Token, "pause", "other", "es")
	waitPaused(t, ctx, c, "Sara")
	s := startSeeker(t, ctx, two, "other", "es")
	waitSummary(t, ctx, obs, "the paused skill waiting", func(sum supervision.Summary) bool {
		return len(sum.Queue) == 1 && sum.Queue[0].Paused && sum.Queue[0].Waiting == 1
	})
	noFrame(t, c, 2500*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "offer" })
	// Another language of the same audience is not paused.
	other := startSeeker(t, ctx, two, "other", "en")
	if f := waitOffer(t, ctx, c); f.Conversation.ID != other.started.ConversationID {
		t.Fatalf("offered %s, want the unpaused one", f.Raw)
	}
	accept(t, ctx, c, s.started.ConversationID)
}

// TestLiveListNamesWhoIsWatching: the supervisor page's live list says who
// watches each conversation (chat/oversight's list, across instances).
func TestLiveListNamesWhoIsWatching(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		_, token := observe(t, ctx, srv, "sara", "Sara", chat.RoleSupervisor)
		c, _ := mustCounselor(t, ctx, srv, "ana", 3)
		s := startSeeker(t, ctx, srv, "other", "es")
		id := s.started.ConversationID
		accept(t, ctx, c, id)
		var live supervision.LivePage
		// A supervisor watching it from the console shows in the list.
		watcher, _ := signIn(t, ctx, srv, "tomas", srv.MustAccount(t, "tomas", "Tomás", chat.RoleSupervisor, 1))
		if err := watcher.Send(ctx, map[string]any{"type": "watch", "conversation_id": id}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			getJSON(t, ctx, srv.URL+"/api/supervisor/conversations?offset=0&limit=10", token, &live)
			if len(live.Conversations) == 1 && len(live.Conversations[0].Watchers) == 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if w := live.Conversations[0].Watchers; len(w) != 1 || w[0] != "Tomás" {
			t.Fatalf("watchers in the live list: %v, want [Tomás]", w)
		}
	})
}
