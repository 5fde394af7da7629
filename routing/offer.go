package routing

import "time"

// DefaultOfferTimeout is how long a counsellor has to accept an offer before it
// goes to the next one.
const DefaultOfferTimeout = 30 * time.Second

// Offer is a conversation offered to one counsellor until Expires.
type Offer struct {
	ConversationID   string
	CounselorID      int64
	Expires          time.Time
	LanguageFallback bool // copied from the Match, for the seeker's message
}

// Offer turns m into an offer made at now; timeout <= 0 means the default.
func (m Match) Offer(now time.Time, timeout time.Duration) Offer {
	if timeout <= 0 {
		timeout = DefaultOfferTimeout
	}
	return Offer{ConversationID: m.ConversationID, CounselorID: m.CounselorID,
		Expires: now.Add(timeout), LanguageFallback: m.LanguageFallback}
}

// Expired returns the offers that ran out at or before now. For each, the
// caller withdraws it, adds the counsellor to the conversation's Passed set and
// applies AfterMiss; the next Choose offers the conversation to someone else.
func Expired(offers []Offer, now time.Time) []Offer {
	var out []Offer
	for _, o := range offers {
		if !now.Before(o.Expires) {
			out = append(out, o)
		}
	}
	return out
}

// MissPolicy says when a counsellor who keeps missing offers is set to busy,
// so seekers stop being offered to an empty chair.
type MissPolicy struct {
	MaxMisses int // misses in a row before busy; 0 means DefaultMissPolicy's
}

// DefaultMissPolicy sets a counsellor to busy after two missed offers in a row.
var DefaultMissPolicy = MissPolicy{MaxMisses: 2}

// AfterMiss records that c let an offer time out. After MaxMisses in a row an
// available counsellor is set to busy (setBusy reports that change, so the
// caller can tell them why) and the count starts again. An explicit "pass" by
// a counsellor who is there is not a miss: add them to Passed, nothing more.
func AfterMiss(c Counselor, p MissPolicy) (_ Counselor, setBusy bool) {
	limit := p.MaxMisses
	if limit <= 0 {
		limit = DefaultMissPolicy.MaxMisses
	}
	c.Misses++
	if c.Misses >= limit {
		c.Misses = 0
		if c.Status == StatusAvailable {
			c.Status = StatusBusy
			return c, true
		}
	}
	return c, false
}

// AfterAccept records that c accepted a conversation at now: misses start
// again, and the idle clock restarts so that others are preferred next.
func AfterAccept(c Counselor, now time.Time) Counselor {
	c.Misses = 0
	c.Active++
	c.IdleSince = now
	return c
}
