package routing

import (
	"cmp"
	"slices"
	"time"

	"helpline/chat"
)

// Priorities: higher goes first. A seeker who already reached a counsellor and
// lost them (disconnect, transfer) should not start again at the back; a
// waiting seeker whose words matched an imminent risk list (chat/riskflag)
// goes before everyone. They are chat's (it stores them on the
// conversation when it queues, returns or prioritises it); these names
// refer to them, for the rules written here. Order: risk, returned, new.
const (
	PriorityNew      = chat.PriorityNew
	PriorityReturned = chat.PriorityReturned // their counsellor disconnected, or they were transferred
	PriorityRisk     = chat.PriorityRisk     // an imminent risk flag while waiting
)

// DefaultGrace is how long a waiting seeker may be out of touch (a phone
// switching networks, a locked screen) before they lose their place. It must
// be well above the interval at which the caller refreshes SeenAt.
const DefaultGrace = 2 * time.Minute

// Waiting is one conversation in the queue.
type Waiting struct {
	ConversationID string
	Audience       chat.Audience
	Language       string // "" when the seeker did not choose
	Priority       int
	QueuedAt       time.Time
	SeenAt         time.Time      // last time the seeker's browser was known to be connected
	Skill          chat.Audience  // training a transfer asked for; "" for none
	Passed         map[int64]bool // counsellors who let it pass this round
	Excluded       map[int64]bool // counsellors never to offer it to (e.g. transferred away from)
}

// FromConversation is the Waiting for a conversation in the queue. The store's
// Passed list means "not to offer it to again" (transferred away from), so it
// becomes Excluded; counsellors who let an offer time out this round are the
// caller's to add to Passed.
func FromConversation(c chat.Conversation) Waiting {
	w := Waiting{ConversationID: c.ID, Audience: c.Audience, Language: c.Language,
		Priority: c.Priority, QueuedAt: c.QueuedAt, SeenAt: c.SeekerSeenAt, Skill: c.RequiredSkill}
	if len(c.Passed) > 0 {
		w.Excluded = make(map[int64]bool, len(c.Passed))
		for _, id := range c.Passed {
			w.Excluded[id] = true
		}
	}
	return w
}

// Order returns the queue in serving order: higher Priority first, then the
// longest waiting, then by id so that the order never flickers. ws is not
// modified.
func Order(ws []Waiting) []Waiting {
	out := slices.Clone(ws)
	slices.SortFunc(out, func(a, b Waiting) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		if c := a.QueuedAt.Compare(b.QueuedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ConversationID, b.ConversationID)
	})
	return out
}

// Position is the 1-based place of id in the whole ordered queue, 0 if it is
// not there. For many seekers at once use Positions.
func Position(ws []Waiting, id string) int {
	return Positions(ws)[id]
}

// Positions maps every conversation id in ws to its 1-based place.
func Positions(ws []Waiting) map[string]int {
	out := make(map[string]int, len(ws))
	for i, w := range Order(ws) {
		out[w.ConversationID] = i + 1
	}
	return out
}

// Abandoned lists the conversations whose seeker has not been seen for longer
// than grace, counting from when they joined the queue if they were never
// seen; the caller ends them. A seeker away for less keeps their place, and is
// still offered: what the counsellor writes waits for them.
func Abandoned(ws []Waiting, now time.Time, grace time.Duration) []string {
	var out []string
	for _, w := range ws {
		seen := w.SeenAt
		if seen.Before(w.QueuedAt) {
			seen = w.QueuedAt
		}
		if now.Sub(seen) > grace {
			out = append(out, w.ConversationID)
		}
	}
	return out
}
