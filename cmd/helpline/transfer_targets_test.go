package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// askTransferTargets sends transfer_targets for id and returns the display
// names of the answer's targets, or the error code it got instead.
func askTransferTargets(t *testing.T, ctx context.Context, c *chatclient.Client, id string) (names []string, errCode string) {
	t.Helper()
	if err := c.Send(ctx, map[string]any{"type": "transfer_targets", "conversation_id": id}); err != nil {
		t.Fatal(err)
	}
	f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool {
		return f.Type == "transfer_targets" || f.Type == "error"
	})
	if err != nil {
		t.Fatalf("no answer to transfer_targets: %v", err)
	}
	if f.Type == "error" {
		return nil, f.Code
	}
	var answer struct {
		ConversationID string `json:"conversation_id"`
		Targets        []struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
			Status      string `json:"status"`
			Active      *int   `json:"active"`
			Capacity    *int   `json:"capacity"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(f.Raw, &answer); err != nil || answer.ConversationID != id || answer.Targets == nil {
		t.Fatalf("transfer_targets answer = %s %v", f.Raw, err)
	}
	for _, m := range answer.Targets {
		if m.ID == "" || m.Status != "available" || m.Active == nil || m.Capacity == nil || *m.Active >= *m.Capacity {
			t.Fatalf("target %+v in %s: want an id, available, with room", m, f.Raw)
		}
		names = append(names, m.DisplayName)
	}
	sort.Strings(names)
	return names, ""
}

func TestTransferTargetsFollowTheTransferRule(t *testing.T) {
	forEachStoreWith(t, servertest.Options{}, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		young := servertest.Skills{Audiences: []string{"young"}}
		s := startSeeker(t, ctx, srv, "young", "es")
		id := s.started.ConversationID
		holder, _ := signIn(t, ctx, srv, "origen", srv.MustCounselor(t, "origen", 2, young))
		accept(t, ctx, holder, id)
		signIn(t, ctx, srv, "destino", srv.MustCounselor(t, "destino", 2, young))
		signIn(t, ctx, srv, "adultos", srv.MustCounselor(t, "adultos", 2, servertest.Skills{})) // not trained for young people
		resting, _ := signIn(t, ctx, srv, "descanso", srv.MustCounselor(t, "descanso", 2, young))
		if err := resting.Send(ctx, map[string]any{"type": "status", "status": "break"}); err != nil {
			t.Fatal(err)
		}
		stranger, _ := signIn(t, ctx, srv, "ajena", srv.MustCounselor(t, "ajena", 2, young))
		supervisor, _ := signIn(t, ctx, srv, "jefa", srv.MustAccount(t, "jefa", "Supervisora", chat.RoleSupervisor, 2))
		team := chatclient.Team{}
		settled := func(f chatclient.Frame) bool {
			if !team.Apply(f) || len(team) < 6 {
				return false
			}
			for _, m := range team {
				if m.DisplayName == "Consejero descanso" && m.Status != "break" {
					return false
				}
			}
			return true
		}
		if _, err := holder.WaitFor(ctx, settled); err != nil {
			t.Fatalf("the team never showed everyone, with descanso on a break: %v", err)
		}

		want := "[Consejero ajena Consejero destino]" // trained, available, with room; not the holder
		if names, code := askTransferTargets(t, ctx, holder, id); code != "" || fmt.Sprint(names) != want {
			t.Fatalf("holder's targets = %v (error %q), want %s", names, code, want)
		}
		if _, code := askTransferTargets(t, ctx, stranger, id); code != "not_found" {
			t.Fatalf("a counsellor who does not hold it got %q, want not_found", code)
		}
		if _, code := askTransferTargets(t, ctx, s.Client, id); code != "not_found" {
			t.Fatalf("the seeker got %q, want not_found", code)
		}
		if _, code := askTransferTargets(t, ctx, supervisor, id); code != "not_found" {
			t.Fatalf("a supervisor not watching got %q, want not_found", code)
		}
		if err := supervisor.Send(ctx, map[string]any{"type": "watch", "conversation_id": id}); err != nil {
			t.Fatal(err)
		}
		if _, err := supervisor.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id }); err != nil {
			t.Fatal(err)
		}
		if names, code := askTransferTargets(t, ctx, supervisor, id); code != "" || fmt.Sprint(names) != want {
			t.Fatalf("watching supervisor's targets = %v (error %q), want %s", names, code, want)
		}
	})
}

func TestQueueFrameSaysItsPageSize(t *testing.T) {
	forEachStoreWith(t, servertest.Options{}, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		c, _ := signIn(t, ctx, srv, "cola", srv.MustCounselor(t, "cola", 2, servertest.Skills{}))
		f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "queue" })
		if err != nil {
			t.Fatal(err)
		}
		var q struct {
			PageSize int `json:"page_size"`
		}
		if err := json.Unmarshal(f.Raw, &q); err != nil || q.PageSize != 20 {
			t.Fatalf("queue frame %s: page_size %d, want 20", f.Raw, q.PageSize)
		}
	})
}
