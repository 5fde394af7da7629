package main

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// pushTestFrame is a frame chat knows nothing of, as a feature would add.
type pushTestFrame struct {
	Mark string `json:"mark"`
}

func (pushTestFrame) FrameType() string { return "push_test" }

func staffID(t *testing.T, in chatclient.SignedIn) int64 {
	t.Helper()
	id, err := strconv.ParseInt(in.Staff.ID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// expectPushes checks that c gets a push_test frame with each of want, and
// none with another mark.
func expectPushes(t *testing.T, ctx context.Context, name string, c *chatclient.Client, want ...string) {
	t.Helper()
	for _, mark := range want {
		f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool {
			return f.Type == "push_test" && strings.Contains(string(f.Raw), `"`+mark+`"`)
		})
		if err != nil {
			t.Fatalf("%s did not get the %s push: %v", name, mark, err)
		}
		var p pushTestFrame
		if err := f.As(&p); err != nil || p.Mark != mark {
			t.Fatalf("%s: push decoded as %+v, %v", name, p, err)
		}
	}
	noFrame(t, c, 300*time.Millisecond, func(f chatclient.Frame) bool {
		var p pushTestFrame
		return f.Type == "push_test" && (f.As(&p) != nil || !slices.Contains(want, p.Mark))
	})
}

// A frame pushed through Service.Push reaches exactly its recipients: staff
// by id, by role, the staff attached to a conversation, and a conversation's
// seeker on that conversation's socket only.
func TestPushReachesOnlyItsRecipients(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		a, b := mustSeeker(t, ctx, srv), mustSeeker(t, ctx, srv)
		holder, _ := signIn(t, ctx, srv, "ana", srv.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 3))
		idle, idleIn := signIn(t, ctx, srv, "beto", srv.MustAccount(t, "beto", "Beto", chat.RoleCounselor, 3))
		sup, _ := signIn(t, ctx, srv, "sara", srv.MustAccount(t, "sara", "Sara", chat.RoleSupervisor, 3))
		accept(t, ctx, holder, a.started.ConversationID)
		pushes := []struct {
			to   chat.Recipients
			mark string
		}{
			{chat.Recipients{StaffOf: a.started.ConversationID}, "staff-of-a"},
			{chat.Recipients{SeekerOf: a.started.ConversationID}, "seeker-of-a"},
			{chat.Recipients{Staff: []int64{staffID(t, idleIn)}}, "beto"},
			{chat.Recipients{Roles: []chat.Role{chat.RoleSupervisor}}, "supervisors"},
			{chat.Recipients{StaffOf: b.started.ConversationID}, "staff-of-b"}, // nobody holds b
		}
		for _, p := range pushes {
			if err := srv.Chat.Push(ctx, p.to, pushTestFrame{Mark: p.mark}); err != nil {
				t.Fatal(err)
			}
		}
		expectPushes(t, ctx, "the counsellor holding a", holder, "staff-of-a")
		expectPushes(t, ctx, "a's seeker", a.Client, "seeker-of-a")
		expectPushes(t, ctx, "beto", idle, "beto")
		expectPushes(t, ctx, "the supervisor", sup, "supervisors")
		expectPushes(t, ctx, "b's seeker", b.Client)
	})
}

// A push too large for the broker is refused, and chat's own frame types
// cannot be pushed: nobody gets either.
func TestPushRefusesWhatCannotBeCarried(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		a := mustSeeker(t, ctx, srv)
		to := chat.Recipients{SeekerOf: a.started.ConversationID}
		if err := srv.Chat.Push(ctx, to, pushTestFrame{Mark: strings.Repeat("x", chat.MaxEventBytes)}); !errors.Is(err, chat.ErrEventTooLarge) {
			t.Fatalf("a push over the broker's limit: %v, want ErrEventTooLarge", err)
		}
		if err := srv.Chat.Push(ctx, to, forgedReady{}); chat.ErrorCode(err) != chat.CodeInvalid {
			t.Fatalf("pushing a ready frame: %v, want invalid", err)
		}
		if err := srv.Chat.Push(ctx, chat.Recipients{}, pushTestFrame{Mark: "nobody"}); chat.ErrorCode(err) != chat.CodeInvalid {
			t.Fatalf("a push to nobody: %v, want invalid", err)
		}
		expectPushes(t, ctx, "the seeker", a.Client)
		noFrame(t, a.Client, 100*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "ready" })
	})
}

type forgedReady struct{}

func (forgedReady) FrameType() string { return "ready" }

// Two instances on one database: a push from either reaches its recipients
// on the other, and nobody else there.
func TestPushReachesRecipientsOnAnotherInstance(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	one := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	two := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	a := mustSeeker(t, ctx, one)
	other := mustSeeker(t, ctx, two)
	holder, _ := signIn(t, ctx, two, "ana", two.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 3))
	idle, idleIn := signIn(t, ctx, one, "beto", one.MustAccount(t, "beto", "Beto", chat.RoleCounselor, 3))
	accept(t, ctx, holder, a.started.ConversationID)
	if err := one.Chat.Push(ctx, chat.Recipients{StaffOf: a.started.ConversationID}, pushTestFrame{Mark: "staff-of-a"}); err != nil {
		t.Fatal(err)
	}
	if err := two.Chat.Push(ctx, chat.Recipients{SeekerOf: a.started.ConversationID}, pushTestFrame{Mark: "seeker-of-a"}); err != nil {
		t.Fatal(err)
	}
	if err := two.Chat.Push(ctx, chat.Recipients{Staff: []int64{staffID(t, idleIn)}}, pushTestFrame{Mark: "beto"}); err != nil {
		t.Fatal(err)
	}
	expectPushes(t, ctx, "the counsellor on the other instance", holder, "staff-of-a")
	expectPushes(t, ctx, "the seeker on the other instance", a.Client, "seeker-of-a")
	expectPushes(t, ctx, "beto on the other instance", idle, "beto")
	expectPushes(t, ctx, "another seeker", other.Client)
}
