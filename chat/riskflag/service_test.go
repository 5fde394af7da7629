package riskflag

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"helpline/chat"
	"helpline/chat/wire"
)

type recordingChat struct {
	mu          sync.Mutex
	pushes      []chat.Recipients
	frames      []FlagFrame
	prioritized []string // conversation:reason
}

func (c *recordingChat) Push(_ context.Context, to chat.Recipients, p wire.Payload) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushes = append(c.pushes, to)
	c.frames = append(c.frames, p.(FlagFrame))
	return nil
}

func (c *recordingChat) Prioritize(_ context.Context, id string, priority int, reason string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if priority != chat.PriorityRisk {
		panic("unexpected priority")
	}
	c.prioritized = append(c.prioritized, id+":"+reason)
	return true, nil
}

// recordingEscalator is the fake of routing/escalation.
type recordingEscalator struct {
	mu    sync.Mutex
	calls []string // conversation|category|note
	fail  int      // how many calls fail before one goes through
}

func (e *recordingEscalator) RaiseAutomatic(_ context.Context, id, category, note string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, id+"|"+category+"|"+note)
	if e.fail > 0 {
		e.fail--
		return errors.New("the escalation store is away")
	}
	return nil
}

func newTestService(t *testing.T) (*Service, *recordingChat, *recordingEscalator, *MemoryStore) {
	lists, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	store, c, esc := NewMemoryStore(), &recordingChat{}, &recordingEscalator{}
	s := New(Config{Matcher: NewMatcher(lists), Store: store, Escalator: esc})
	s.SetChat(c)
	return s, c, esc, store
}

func seekerMessage(id string, seq int64, body string) chat.Message {
	return chat.Message{ConversationID: id, Seq: seq, Sender: chat.SenderSeeker, Kind: chat.KindText, Body: body}
}

func TestAnImminentPhraseFlagsEscalatesOnceAndPrioritizes(t *testing.T) {
	s, c, esc, store := newTestService(t)
	ctx := context.Background()
	id := chat.NewID()
	s.SeekerTexts(ctx, []chat.Message{
		seekerMessage(id, 1, "hola"),
		seekerMessage(id, 2, "Ya no quiero vivir, voy a suicidarme"),
		{ConversationID: id, Seq: 3, Sender: chat.SenderCounselor, Kind: chat.KindText, Body: "quiero morir"}, // not the seeker's
	})
	if len(c.frames) != 1 || c.pushes[0].StaffOf != id || c.pushes[0].SeekerOf != "" || len(c.pushes[0].Roles) > 0 || len(c.pushes[0].Staff) > 0 {
		t.Fatalf("pushed %+v to %+v; want one frame to the conversation's staff", c.frames, c.pushes)
	}
	f := c.frames[0]
	if f.ConversationID != id || f.Seq != 2 || f.Category != CategorySelfHarm || !f.Imminent || f.List != "es" || f.Version == "" || f.FlagID == "" {
		t.Fatalf("frame %+v", f)
	}
	if len(esc.calls) != 1 {
		t.Fatalf("escalator called %d times: %q", len(esc.calls), esc.calls)
	}
	call := esc.calls[0]
	if !strings.HasPrefix(call, id+"|self_harm|raised automatically: ") || !strings.Contains(call, `"Ya no quiero vivir"`) ||
		!strings.Contains(call, `"voy a suicidarme"`) || !strings.Contains(call, "list es, version "+f.Version) {
		t.Fatalf("escalation: %q", call)
	}
	if len(c.prioritized) != 1 || c.prioritized[0] != id+":risk:self_harm" {
		t.Fatalf("prioritized %q", c.prioritized)
	}
	flags, _ := store.List(ctx, id)
	if len(flags) != 1 || len(flags[0].Words) != 2 {
		t.Fatalf("stored %+v", flags)
	}

	// The same message again (a redelivery) changes nothing; a new one of the
	// same category flags without a second escalation; another category is not imminent.
	s.SeekerTexts(ctx, []chat.Message{seekerMessage(id, 2, "Ya no quiero vivir, voy a suicidarme"),
		seekerMessage(id, 4, "me quiero morir"), seekerMessage(id, 5, "no puedo más")})
	if len(c.frames) != 3 || len(esc.calls) != 1 {
		t.Fatalf("after more messages: %d frames, %d escalations; want 3 and 1", len(c.frames), len(esc.calls))
	}
	if c.frames[2].Category != CategoryAcuteDistress || c.frames[2].Imminent || len(c.prioritized) != 2 {
		t.Fatalf("non-imminent flag: %+v, prioritized %q", c.frames[2], c.prioritized)
	}
}

func TestWithoutAnEscalatorFlagsStillHappen(t *testing.T) {
	lists, _ := Load("")
	c := &recordingChat{}
	s := New(Config{Matcher: NewMatcher(lists), Store: NewMemoryStore()})
	s.SetChat(c)
	s.SeekerTexts(context.Background(), []chat.Message{seekerMessage(chat.NewID(), 1, "I'm alone with a child")})
	if len(c.frames) != 1 || c.frames[0].Category != CategoryChildAtRiskNow || len(c.prioritized) != 1 {
		t.Fatalf("frames %+v prioritized %q", c.frames, c.prioritized)
	}
}

// An escalation that fails is tried again with the conversation's next
// flag of the category, and only until one goes through.
func TestAFailedEscalationIsTriedAgainWithTheNextFlag(t *testing.T) {
	s, _, esc, store := newTestService(t)
	esc.fail = 1
	ctx := context.Background()
	id := chat.NewID()
	for seq, body := range []string{"quiero morir", "me quiero matar", "voy a suicidarme"} {
		s.SeekerTexts(ctx, []chat.Message{seekerMessage(id, int64(seq+1), body)})
	}
	if len(esc.calls) != 2 {
		t.Fatalf("escalator called %d times, want 2 (one failed, one went through): %q", len(esc.calls), esc.calls)
	}
	flags, _ := store.List(ctx, id)
	if len(flags) != 3 || flags[0].Escalated || !flags[1].Escalated || flags[2].Escalated {
		t.Fatalf("escalated marks: %+v", flags)
	}
}
