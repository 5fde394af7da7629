package routing_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/routing"
)

// recordingChat is a routing.Chat that only writes down what the router asks
// of it: the router needs nothing more of the chat service.
type recordingChat struct {
	mu    sync.Mutex
	calls []string
}

func (c *recordingChat) record(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, fmt.Sprintf(format, args...))
}

func (c *recordingChat) Requeue(_ context.Context, id string, counselorID int64) error {
	c.record("requeue %s from %d", id, counselorID)
	return nil
}

func (c *recordingChat) Abandon(_ context.Context, id string) error {
	c.record("abandon %s", id)
	return nil
}

func (c *recordingChat) Offer(_ context.Context, staffID int64, conv chat.Conversation, _ time.Time, _ bool) {
	c.record("offer %s to %d", conv.ID, staffID)
}

func (c *recordingChat) StaffChanged(_ context.Context, m chat.TeamMember, reason string) {
	c.record("staff %d %s %s", m.ID, m.Status, reason)
}

func (c *recordingChat) TeamChanged(context.Context) { c.record("team") }

func (c *recordingChat) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

func TestRouterActsOnlyThroughItsChatInterface(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	conversations := chat.NewMemoryStore(clk.Now)
	cfg := baseConfig()
	cfg.Now = clk.Now
	r := routing.New(cfg, routing.NewMemoryStore(), conversations)
	rec := &recordingChat{}
	r.SetChat(rec)

	r.Connected(ctx, chat.StaffInfo{ID: 1, DisplayName: "C", Role: chat.RoleCounselor, Capacity: 2, MaxCapacity: 3})
	a, _ := conversations.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf})
	if err := r.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.take(), []string{"team", "offer " + a.ID + " to 1"}; !slices.Equal(got, want) {
		t.Fatalf("on joining and the first round: %q, want %q", got, want)
	}

	// The counsellor takes it, then is gone past the grace time; a new
	// seeker waits past theirs.
	if _, _, err := conversations.Assign(ctx, a.ID, 1, "C", 2); err != nil {
		t.Fatal(err)
	}
	b, _ := conversations.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf})
	clk.Advance(cfg.SeekerGrace + time.Second)
	if err := r.Round(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"team", "requeue " + a.ID + " from 1", "abandon " + b.ID}
	if got := rec.take(); !slices.Equal(got, want) {
		t.Fatalf("after both were gone: %q, want %q", got, want)
	}
}

// Without a chat service to act through, Run says so at once instead of
// leading until a round fails on it.
func TestRunRefusesWithoutAChat(t *testing.T) {
	r := routing.New(baseConfig(), routing.NewMemoryStore(), chat.NewMemoryStore(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Run(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("Run without SetChat: %v (context: %v), want an error at once", err, ctx.Err())
	}
}
