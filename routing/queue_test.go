package routing

import (
	"slices"
	"testing"
	"time"

	"helpline/chat"
)

func TestOrder(t *testing.T) {
	returned := waiting("returned", chat.AudienceSelf, "", 5)
	returned.Priority = PriorityReturned
	ws := []Waiting{
		waiting("new-late", chat.AudienceSelf, "", 3),
		returned,
		waiting("new-b", chat.AudienceSelf, "", 1),
		waiting("new-a", chat.AudienceSelf, "", 1), // same time as new-b: id decides
	}
	in := slices.Clone(ws)
	var got []string
	for _, w := range Order(ws) {
		got = append(got, w.ConversationID)
	}
	want := []string{"returned", "new-a", "new-b", "new-late"}
	if !slices.Equal(got, want) {
		t.Errorf("Order = %v, want %v", got, want)
	}
	if !slices.EqualFunc(ws, in, func(a, b Waiting) bool { return a.ConversationID == b.ConversationID }) {
		t.Error("Order modified its input")
	}
	for id, pos := range map[string]int{"returned": 1, "new-a": 2, "new-late": 4, "missing": 0} {
		if got := Position(ws, id); got != pos {
			t.Errorf("Position(%q) = %d, want %d", id, got, pos)
		}
	}
}

func TestAbandoned(t *testing.T) {
	seen := func(id string, queuedMin, seenMin int) Waiting {
		w := waiting(id, chat.AudienceSelf, "", queuedMin)
		if seenMin >= 0 {
			w.SeenAt = at(seenMin)
		}
		return w
	}
	ws := []Waiting{
		seen("recent", 0, 9),
		seen("exactly-grace", 0, 8), // gone for exactly the grace time: still waiting
		seen("gone", 0, 1),
		seen("never-seen-new", 9, -1),
		seen("never-seen-old", 0, -1),
		seen("requeued", 9, 1), // seen long ago, but back in the queue just now
	}
	got := Abandoned(ws, at(10), DefaultGrace)
	if want := []string{"gone", "never-seen-old"}; !slices.Equal(got, want) {
		t.Errorf("Abandoned = %v, want %v (more than %v away)", got, want, DefaultGrace)
	}
}

func TestFromConversation(t *testing.T) {
	c := chat.Conversation{ID: "c1", Audience: chat.AudienceUnknown, Language: "es", QueuedAt: t0.Add(time.Second),
		Priority: PriorityReturned, RequiredSkill: chat.AudienceYoung, Passed: []int64{7}, SeekerSeenAt: t0.Add(time.Minute)}
	w := FromConversation(c)
	if w.ConversationID != "c1" || w.Audience != chat.AudienceUnknown || w.Language != "es" ||
		!w.QueuedAt.Equal(c.QueuedAt) || w.Priority != PriorityReturned || w.Skill != chat.AudienceYoung ||
		!w.SeenAt.Equal(c.SeekerSeenAt) || !w.Excluded[7] || len(w.Passed) != 0 {
		t.Errorf("FromConversation = %+v", w)
	}
}
