package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// dialStreams opens a console that authenticates with streams (a JSON
// list) and waits for ready.
func dialStreams(t *testing.T, ctx context.Context, base, token, streams string) *chatclient.Client {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, chatclient.WSURL(base), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": []string{base}}})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	c := chatclient.NewClient(ws)
	t.Cleanup(c.Close)
	if err := c.SendRaw(ctx, fmt.Appendf(nil, `{"type":"auth","token":%q,"streams":%s}`, token, streams)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "ready" }); err != nil {
		t.Fatal(err)
	}
	return c
}

func signInConsole(t *testing.T, ctx context.Context, srv *servertest.Server, name string) string {
	t.Helper()
	password := srv.MustCounselor(t, name, 2, servertest.Skills{})
	in, err := chatclient.Login(ctx, srv.URL, name, password)
	if err != nil {
		t.Fatal(err)
	}
	return in.Token
}

// A console that asks for no streams gets neither queue nor team; one that
// then asks for the team gets its snapshot, and unknown names are refused.
func TestConsolesGetTheStreamsTheyAskFor(t *testing.T) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			srv := servertest.Start(t, store)
			quiet := dialStreams(t, ctx, srv.URL, signInConsole(t, ctx, srv, "quiet"), `[]`)
			other := dialStreams(t, ctx, srv.URL, signInConsole(t, ctx, srv, "other"), `["queue_changes","team"]`)
			if _, err := other.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "team" }); err != nil {
				t.Fatal(err)
			}
			if _, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", ""); err != nil {
				t.Fatal(err)
			}
			// The other console hears the arrival; by then the quiet one
			// would have heard it too, had it asked.
			if _, err := other.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "queue_changes" && f.WaitingTotal == 1 }); err != nil {
				t.Fatal(err)
			}
			if err := quiet.Send(ctx, map[string]any{"type": "streams", "streams": []string{"team"}}); err != nil {
				t.Fatal(err)
			}
			var unasked []string // broadcasts that came before the team frame
			f, err := quiet.WaitFor(ctx, func(f chatclient.Frame) bool {
				if slices.Contains([]string{"queue", "queue_changes", "team_changes"}, f.Type) {
					unasked = append(unasked, string(f.Raw))
				}
				return f.Type == "team" || f.Type == "error"
			})
			if err != nil {
				t.Fatal(err)
			}
			if f.Type != "team" || f.TeamTotal != 2 || len(f.Team) != 2 {
				t.Fatalf("after streams [team]: %s, want the team of 2", f.Raw)
			}
			if len(unasked) > 0 {
				t.Errorf("a console that asked for no streams got %v", unasked)
			}
			if err := quiet.Send(ctx, map[string]any{"type": "streams", "streams": []string{"gossip"}}); err != nil {
				t.Fatal(err)
			}
			if f, err := quiet.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "error" }); err != nil || f.Code != string(chat.CodeInvalid) {
				t.Fatalf("streams [gossip]: %s, %v; want invalid", f.Raw, err)
			}
		})
	}
}

// Over PostgreSQL, a console on one instance hears, as queue_changes and
// team_changes, a seeker and a colleague who arrive on another.
func TestQueueAndTeamChangesCrossInstances(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, url := migrationstest.MustOpen(t)
	one := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	two := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	console := dialStreams(t, ctx, two.URL, signInConsole(t, ctx, two, "ana"), `["queue_changes","team"]`)
	var waiting []string
	var version int64
	var onShift int
	for _, f := range []func(){
		func() {
			if _, err := chatclient.StartConversation(ctx, one.URL, "self", "es", ""); err != nil {
				t.Fatal(err)
			}
		},
		func() { dialStreams(t, ctx, one.URL, signInConsole(t, ctx, one, "bea"), `[]`) },
	} {
		f()
	}
	_, err := console.WaitFor(ctx, func(f chatclient.Frame) bool {
		switch f.Type {
		case "queue":
			waiting, version = nil, f.QueueVersion
			for _, e := range f.Waiting {
				waiting = append(waiting, e.ConversationID)
			}
		case "queue_changes":
			if f.QueueVersion != version+1 {
				t.Errorf("queue_changes %d after %d", f.QueueVersion, version)
			}
			version = f.QueueVersion
			for _, e := range f.Entered {
				waiting = append(waiting, e.ConversationID)
			}
		case "team", "team_changes":
			onShift = f.TeamTotal
		}
		return len(waiting) == 1 && onShift == 2
	})
	if err != nil {
		raw, _ := json.Marshal(waiting)
		t.Fatalf("the console on the other instance has %s waiting and %d on shift: %v", raw, onShift, err)
	}
}
