package routing

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"helpline/chat"
)

// with returns c changed by f, to keep tables short.
func with(c Counselor, f func(*Counselor)) Counselor { f(&c); return c }

func matchesString(ms []Match) string {
	var s []string
	for _, m := range ms {
		x := fmt.Sprintf("%s→%d", m.ConversationID, m.CounselorID)
		if m.LanguageFallback {
			x += " fallback"
		}
		if m.NewRound {
			x += " new-round"
		}
		s = append(s, x)
	}
	return fmt.Sprint(s)
}

func TestChoose(t *testing.T) {
	self := func(id string, min int) Waiting { return waiting(id, chat.AudienceSelf, "", min) }
	passed := func(w Waiting, ids ...int64) Waiting {
		w.Passed = map[int64]bool{}
		for _, id := range ids {
			w.Passed[id] = true
		}
		return w
	}
	returned := self("returned", 9)
	returned.Priority = PriorityReturned
	excluded := self("x", 0)
	excluded.Excluded = map[int64]bool{1: true}
	excludedPassed := passed(excluded, 2)

	tests := []struct {
		name   string
		ws     []Waiting
		cs     []Counselor
		offers []Offer
		want   string
	}{
		{
			name: "most free capacity wins",
			ws:   []Waiting{self("a", 0)},
			cs: []Counselor{
				with(counselor(1, "en"), func(c *Counselor) { c.Capacity = 3; c.Active = 2 }),
				with(counselor(2, "en"), func(c *Counselor) { c.Capacity = 3; c.Active = 0 }),
			},
			want: "[a→2]",
		},
		{
			name: "equal capacity: longest idle wins, then lowest id",
			ws:   []Waiting{self("a", 0), self("b", 1), self("c", 2)},
			cs: []Counselor{
				with(counselor(3, "en"), func(c *Counselor) { c.IdleSince = at(-10) }),
				counselor(2, "en"),
				with(counselor(1, "en"), func(c *Counselor) { c.IdleSince = at(-30) }),
			},
			want: "[a→1 b→3 c→2]",
		},
		{
			name: "one pending offer per counsellor, never beyond free capacity",
			ws:   []Waiting{self("a", 0), self("b", 1), self("c", 2)},
			cs: []Counselor{
				with(counselor(1, "en"), func(c *Counselor) { c.Capacity = 5 }),
				with(counselor(2, "en"), func(c *Counselor) { c.Capacity = 2; c.Active = 2 }),
			},
			want: "[a→1]",
		},
		{
			name:   "pending offers hold their conversation and counsellor; expired ones do not",
			ws:     []Waiting{self("a", 0), self("b", 1), self("c", 2)},
			cs:     []Counselor{counselor(1, "en"), counselor(2, "en"), counselor(3, "en")},
			offers: []Offer{{ConversationID: "a", CounselorID: 1, Expires: at(10).Add(time.Second)}, {ConversationID: "b", CounselorID: 2, Expires: at(10)}},
			want:   "[b→2 c→3]",
		},
		{
			name: "only available counsellors get offers",
			ws:   []Waiting{self("a", 0)},
			cs: []Counselor{
				with(counselor(1, "en"), func(c *Counselor) { c.Status = StatusBusy }),
				with(counselor(2, "en"), func(c *Counselor) { c.Status = StatusBreak }),
				with(counselor(3, "en"), func(c *Counselor) { c.Status = StatusOffline }),
			},
			want: "[]",
		},
		{
			name: "returned seekers go first",
			ws:   []Waiting{self("early", 0), returned},
			cs:   []Counselor{counselor(1, "en")},
			want: "[returned→1]",
		},
		{
			name: "Passed: the next counsellor gets it",
			ws:   []Waiting{passed(self("a", 0), 1)},
			cs:   []Counselor{with(counselor(1, "en"), func(c *Counselor) { c.Capacity = 5 }), counselor(2, "en")},
			want: "[a→2]",
		},
		{
			name: "Passed by every free counsellor: new round, usual order",
			ws:   []Waiting{passed(self("a", 0), 1, 2)},
			cs:   []Counselor{counselor(1, "en"), with(counselor(2, "en"), func(c *Counselor) { c.IdleSince = at(-5) })},
			want: "[a→2 new-round]",
		},
		{
			name: "Passed, and the only other counsellor is full: offered again rather than left waiting",
			ws:   []Waiting{passed(self("a", 0), 1)},
			cs:   []Counselor{counselor(1, "en"), with(counselor(2, "en"), func(c *Counselor) { c.Active = 2 })},
			want: "[a→1 new-round]",
		},
		{
			name: "Excluded is never offered, even in a new round",
			ws:   []Waiting{excludedPassed},
			cs:   []Counselor{counselor(1, "en"), counselor(2, "en")},
			want: "[x→2 new-round]",
		},
		{
			name: "a later seeker is matched when an earlier one cannot be",
			ws:   []Waiting{waiting("young", chat.AudienceYoung, "", 0), self("b", 1)},
			cs:   []Counselor{counselor(1, "en")},
			want: "[b→1]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchesString(Choose(tt.ws, tt.cs, tt.offers, at(10)))
			if got != tt.want {
				t.Errorf("Choose = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestChooseLanguage(t *testing.T) {
	es := func(aud chat.Audience) Waiting { return waiting("a", aud, "es", 0) }
	speakerWith := func(s Status, active int) Counselor {
		return with(counselor(1, "es"), func(c *Counselor) { c.Status = s; c.Active = active })
	}
	en := counselor(2, "en")
	enYoung := counselor(3, "en", chat.AudienceYoung)

	tests := []struct {
		name string
		w    Waiting
		cs   []Counselor
		want string
	}{
		{"speaker free", es(chat.AudienceSelf), []Counselor{speakerWith(StatusAvailable, 0), en}, "[a→1]"},
		{"speaker full: wait for them", es(chat.AudienceSelf), []Counselor{speakerWith(StatusAvailable, 2), en}, "[]"},
		{"speaker busy: still on shift, wait", es(chat.AudienceSelf), []Counselor{speakerWith(StatusBusy, 0), en}, "[]"},
		{"speaker on break: still on shift, wait", es(chat.AudienceSelf), []Counselor{speakerWith(StatusBreak, 0), en}, "[]"},
		{"speaker offline: fall back", es(chat.AudienceSelf), []Counselor{speakerWith(StatusOffline, 0), en}, "[a→2 fallback]"},
		{"no speaker at all: fall back", es(chat.AudienceSelf), []Counselor{en}, "[a→2 fallback]"},
		{"young: speaker untrained for young, fall back to a young-trained one",
			es(chat.AudienceYoung), []Counselor{speakerWith(StatusAvailable, 0), en, enYoung}, "[a→3 fallback]"},
		{"young: nobody trained for young, never matched",
			es(chat.AudienceYoung), []Counselor{speakerWith(StatusAvailable, 0), en}, "[]"},
		{"young, no language, only untrained counsellors: never matched",
			waiting("a", chat.AudienceYoung, "", 0), []Counselor{en}, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchesString(Choose([]Waiting{tt.w}, tt.cs, nil, at(10)))
			if got != tt.want {
				t.Errorf("Choose = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestChooseNeverExceedsCapacity runs many rounds, accepting every offer, and
// checks that no counsellor ever goes beyond their free capacity and no young
// person reaches an untrained counsellor.
func TestChooseNeverExceedsCapacity(t *testing.T) {
	cs := []Counselor{
		with(counselor(1, "en,es"), func(c *Counselor) { c.Capacity = 3 }),
		with(counselor(2, "en", chat.AudienceYoung), func(c *Counselor) { c.Capacity = 2; c.MaxCapacity = 1 }),
		with(counselor(3, "es"), func(c *Counselor) { c.Capacity = 2; c.Active = 1 }),
	}
	auds := []chat.Audience{chat.AudienceSelf, chat.AudienceYoung, chat.AudienceOther, chat.AudienceUnknown}
	var ws []Waiting
	for i := range 20 {
		ws = append(ws, waiting(fmt.Sprintf("w%02d", i), auds[i%4], []string{"", "en", "es"}[i%3], i))
	}
	byID := map[int64]int{}
	for i, c := range cs {
		byID[c.ID] = i
	}
	for round := range 10 {
		ms := Choose(ws, cs, nil, at(30+round))
		for _, m := range ms {
			c := &cs[byID[m.CounselorID]]
			w := ws[slices.IndexFunc(ws, func(w Waiting) bool { return w.ConversationID == m.ConversationID })]
			if w.Audience == chat.AudienceYoung && !c.TrainedFor(chat.AudienceYoung) {
				t.Fatalf("round %d: young seeker %s offered to untrained counsellor %d", round, w.ConversationID, c.ID)
			}
			if c.Free() == 0 {
				t.Fatalf("round %d: counsellor %d offered %s with no free capacity", round, c.ID, m.ConversationID)
			}
			*c = AfterAccept(*c, at(30+round))
			ws = slices.DeleteFunc(ws, func(w Waiting) bool { return w.ConversationID == m.ConversationID })
		}
	}
	for _, c := range cs {
		if c.Free() != 0 {
			t.Errorf("counsellor %d still has %d free with %d waiting", c.ID, c.Free(), len(ws))
		}
	}
}

func TestPool(t *testing.T) {
	cs := []Counselor{
		counselor(1, "es"),
		with(counselor(2, "es"), func(c *Counselor) { c.Status = StatusBusy }),
		with(counselor(3, "es"), func(c *Counselor) { c.Status = StatusOffline }),
		counselor(4, "en"),
	}
	if pool, fb := Pool(waiting("a", chat.AudienceSelf, "es", 0), cs); len(pool) != 2 || fb {
		t.Errorf("es: pool of %d, fallback %v; want 2, false", len(pool), fb)
	}
	if pool, fb := Pool(waiting("a", chat.AudienceSelf, "fr", 0), cs); len(pool) != 3 || !fb {
		t.Errorf("fr: pool of %d, fallback %v; want 3, true", len(pool), fb)
	}
	if pool, _ := Pool(waiting("a", chat.AudienceYoung, "", 0), cs); len(pool) != 0 {
		t.Errorf("young: pool of %d, want 0", len(pool))
	}
}
