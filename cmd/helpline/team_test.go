package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// The team list on consoles: the whole team once when a console connects,
// then only what changed, and every console ends with the same, exact team.

// teamConsole is a console that keeps the team list as the browser does,
// reading every frame as it comes.
type teamConsole struct {
	name string
	mu   sync.Mutex
	team chatclient.Team
	full []int // sizes of the team frames received
	diff []int // sizes of the team_changes frames received
	// changes of a few fields of a member already listed
	fields int
}

func watchTeam(t *testing.T, c *chatclient.Client, name string) *teamConsole {
	tc := &teamConsole{name: name, team: chatclient.Team{}}
	go func() {
		for {
			f, err := c.Next(context.Background())
			if err != nil {
				return
			}
			tc.mu.Lock()
			if tc.team.Apply(f) {
				if f.Type == "team" {
					tc.full = append(tc.full, len(f.Raw))
				} else {
					tc.diff = append(tc.diff, len(f.Raw))
					tc.fields += len(f.Changed)
				}
			}
			tc.mu.Unlock()
		}
	}()
	return tc
}

func (tc *teamConsole) snapshot() (team chatclient.Team, full, diff []int) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return maps.Clone(tc.team), slices.Clone(tc.full), slices.Clone(tc.diff)
}

// waitTeam waits until every console's team satisfies ok.
func waitTeam(t *testing.T, ctx context.Context, consoles []*teamConsole, ok func(chatclient.Team) bool) {
	t.Helper()
	for _, tc := range consoles {
		for {
			team, _, _ := tc.snapshot()
			if ok(team) {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("console %s never had the team wanted; it has %s", tc.name, describeTeam(team))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// describeTeam lists a team by display name, for failure messages.
func describeTeam(team chatclient.Team) string {
	var out []string
	for _, m := range team {
		out = append(out, fmt.Sprintf("%s:%s/%d", m.DisplayName, m.Status, m.Active))
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}

func TestConsolesKeepTheExactTeamFromChanges(t *testing.T) {
	// A short grace, so that a counsellor who signs out leaves the team soon.
	forEachStoreWith(t, servertest.Options{Env: map[string]string{"HELPLINE_COUNSELOR_GRACE": "2s"}}, func(t *testing.T, srv *servertest.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		// A team big enough that a change is much smaller than the whole.
		var consoles []*teamConsole
		for i := range 8 {
			name := fmt.Sprintf("fill%d", i)
			c, _ := signIn(t, ctx, srv, name, srv.MustCounselor(t, name, 2, servertest.Skills{Languages: []string{"es", "en"}}))
			consoles = append(consoles, watchTeam(t, c, name))
		}
		before, _ := signIn(t, ctx, srv, "ana", srv.MustCounselor(t, "ana", 2, servertest.Skills{Languages: []string{"es"}}))
		consoles = append(consoles, watchTeam(t, before, "before"))
		waitTeam(t, ctx, consoles, func(team chatclient.Team) bool { return len(team) == 9 })
		// Changes from here on are the series: count only those.
		seen := map[*teamConsole]int{}
		for _, tc := range consoles {
			_, _, diff := tc.snapshot()
			seen[tc] = len(diff)
		}

		// The series: someone signs in, takes a conversation, changes
		// status; a console connects in the middle of it; someone else
		// signs in; the first signs out.
		luis, luisIn := signIn(t, ctx, srv, "luis", srv.MustCounselor(t, "luis", 2, servertest.Skills{Languages: []string{"es"}}))
		waitTeam(t, ctx, consoles, func(team chatclient.Team) bool { return len(team) == 10 })
		s := startSeeker(t, ctx, srv, "self", "es")
		accept(t, ctx, luis, s.started.ConversationID)
		if err := luis.Send(ctx, map[string]any{"type": "status", "status": "busy"}); err != nil {
			t.Fatal(err)
		}
		middle, _ := signIn(t, ctx, srv, "middle", srv.MustAccount(t, "middle", "Admin middle", chat.RoleAdmin, 1))
		consoles = append(consoles, watchTeam(t, middle, "middle"))
		marta, _ := signIn(t, ctx, srv, "marta", srv.MustCounselor(t, "marta", 3, servertest.Skills{Languages: []string{"en"}}))
		if err := marta.Send(ctx, map[string]any{"type": "status", "status": "break"}); err != nil {
			t.Fatal(err)
		}
		if err := chatclient.PostJSON(ctx, srv.URL+"/api/staff/logout", luisIn.Token, nil, http.StatusNoContent, nil); err != nil {
			t.Fatal(err)
		}
		// This console connects while Luis is still on the team.
		after, _ := signIn(t, ctx, srv, "after", srv.MustAccount(t, "after", "Admin after", chat.RoleAdmin, 1))
		consoles = append(consoles, watchTeam(t, after, "after"))

		// Luis gone, Marta on a break, everyone else available, no one busy with a conversation.
		settled := func(team chatclient.Team) bool {
			if len(team) != 10 {
				return false
			}
			for _, m := range team {
				want := "available"
				if m.DisplayName == "Consejero marta" {
					want = "break"
				}
				if m.DisplayName == "Consejero luis" || m.Status != want || m.Active != 0 {
					return false
				}
			}
			return true
		}
		waitTeam(t, ctx, consoles, settled)
		// Everything sent has arrived (no change is pending: the team settled
		// more than a refresh ago); then every console has exactly the team a
		// console connecting now gets whole.
		time.Sleep(1500 * time.Millisecond)
		last, _ := signIn(t, ctx, srv, "last", srv.MustAccount(t, "last", "Admin last", chat.RoleAdmin, 1))
		f, err := last.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "team" })
		if err != nil {
			t.Fatal(err)
		}
		server := chatclient.Team{}
		server.Apply(f)
		if !settled(server) {
			t.Fatalf("a new console got %s", describeTeam(server))
		}
		var diffs, fields int
		for _, tc := range consoles {
			tc.mu.Lock()
			fields += tc.fields
			tc.mu.Unlock()
			team, full, diff := tc.snapshot()
			if !reflect.DeepEqual(team, server) {
				t.Errorf("console %s has %+v\nthe server %+v", tc.name, team, server)
			}
			if len(full) != 1 {
				t.Errorf("console %s got the whole team %d times, want once", tc.name, len(full))
			}
			for _, n := range diff[seen[tc]:] {
				if n >= len(f.Raw)/2 {
					t.Errorf("console %s got a change of %d bytes; the whole team is %d", tc.name, n, len(f.Raw))
				}
			}
			diffs += len(diff) - seen[tc]
		}
		if diffs == 0 || fields == 0 {
			t.Errorf("consoles got %d team_changes, %d changes of listed members; want some of each", diffs, fields)
		}
	})
}
