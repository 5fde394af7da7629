package routing

import (
	"slices"
	"strings"
	"time"

	"helpline/chat"
)

// Status says whether a counsellor takes new conversations. The counsellor
// sets it; AfterMiss may set it to busy.
type Status string

const (
	StatusAvailable Status = "available" // gets offers
	StatusBusy      Status = "busy"      // no new offers; current chats go on
	StatusBreak     Status = "break"     // away for a while, still on shift
	StatusOffline   Status = "offline"   // not working
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusAvailable, StatusBusy, StatusBreak, StatusOffline:
		return true
	}
	return false
}

// OnShift reports whether a counsellor with this status is working today, even
// if not taking offers right now. A break counts: telling a seeker "no one who
// speaks Spanish is on shift" while the Spanish speaker is making tea would be
// untrue, and they are better served by waiting a few minutes.
func (s Status) OnShift() bool {
	return s == StatusAvailable || s == StatusBusy || s == StatusBreak
}

// Counselor is what routing needs to know about one counsellor right now.
type Counselor struct {
	ID          int64
	Status      Status
	Capacity    int             // conversations at once, as the counsellor set it
	MaxCapacity int             // the supervisor's limit; 0 means Capacity alone
	Active      int             // conversations assigned and not ended
	Languages   []string        // e.g. "en", "es"
	Audiences   []chat.Audience // trained for; empty means self and other, not young
	IdleSince   time.Time       // when they last got a conversation or came on shift
	Misses      int             // offers in a row that timed out (see AfterMiss)
}

// Free is how many more conversations c can take: their own capacity, capped
// by the supervisor's maximum, minus what they have. Never negative.
func (c Counselor) Free() int {
	limit := c.Capacity
	if c.MaxCapacity > 0 {
		limit = min(limit, c.MaxCapacity)
	}
	return max(0, limit-c.Active)
}

// Speaks reports whether c speaks lang. Only the primary subtag counts and case
// does not, so a seeker who chose "es-MX" is served by a counsellor with "es".
func (c Counselor) Speaks(lang string) bool {
	lang = baseLang(lang)
	return slices.ContainsFunc(c.Languages, func(l string) bool { return baseLang(l) == lang })
}

// TrainedFor reports whether c may talk with a seeker of audience a. Young
// people need counsellors trained for young people, always; an empty audience
// ("prefer not to say") may go to anyone.
func (c Counselor) TrainedFor(a chat.Audience) bool {
	if a == chat.AudienceUnknown {
		return true
	}
	if len(c.Audiences) == 0 {
		return a == chat.AudienceSelf || a == chat.AudienceOther
	}
	return slices.Contains(c.Audiences, a)
}

// Trained reports whether c may take w as far as training goes: both the
// seeker's audience and the skill a transfer asked for.
func Trained(c Counselor, w Waiting) bool {
	return c.TrainedFor(w.Audience) && c.TrainedFor(w.Skill)
}

// Eligible reports whether c may be offered w by skills alone: trained for it,
// speaking the seeker's language if they chose one, and not excluded from it.
// Status, capacity and Passed are Choose's business, and so is the language
// fallback when no one on shift speaks the language.
func Eligible(c Counselor, w Waiting) bool {
	return Trained(c, w) && !w.Excluded[c.ID] && (w.Language == "" || c.Speaks(w.Language))
}

func baseLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	return s
}
