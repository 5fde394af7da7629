package routing

import (
	"testing"
	"time"
)

func TestOfferExpiry(t *testing.T) {
	m := Match{ConversationID: "a", CounselorID: 1, LanguageFallback: true}
	o := m.Offer(t0, 0)
	if !o.Expires.Equal(t0.Add(DefaultOfferTimeout)) || !o.LanguageFallback {
		t.Fatalf("Offer = %+v, want default timeout and the fallback flag", o)
	}
	offers := []Offer{o, Match{ConversationID: "b", CounselorID: 2}.Offer(t0, time.Minute)}
	tests := []struct {
		after time.Duration
		want  int
	}{
		{29 * time.Second, 0},
		{30 * time.Second, 1}, // expiring at now counts as expired
		{time.Minute, 2},
	}
	for _, tt := range tests {
		if got := Expired(offers, t0.Add(tt.after)); len(got) != tt.want {
			t.Errorf("after %v: %d expired, want %d", tt.after, len(got), tt.want)
		}
	}
}

func TestAfterMiss(t *testing.T) {
	c := counselor(1, "en")
	c, busy := AfterMiss(c, MissPolicy{})
	if busy || c.Misses != 1 || c.Status != StatusAvailable {
		t.Fatalf("first miss: %+v busy=%v; want still available with 1 miss", c, busy)
	}
	c, busy = AfterMiss(c, DefaultMissPolicy)
	if !busy || c.Status != StatusBusy || c.Misses != 0 {
		t.Fatalf("second miss: %+v busy=%v; want busy and the count reset", c, busy)
	}

	// Accepting in between starts the count again.
	c = counselor(1, "en")
	c, _ = AfterMiss(c, DefaultMissPolicy)
	c = AfterAccept(c, at(5))
	if c.Misses != 0 || c.Active != 1 || !c.IdleSince.Equal(at(5)) {
		t.Fatalf("AfterAccept = %+v", c)
	}
	if c, busy = AfterMiss(c, DefaultMissPolicy); busy {
		t.Fatalf("miss after an accept set busy: %+v", c)
	}

	// Someone who went on break meanwhile stays on break.
	c = with(counselor(1, "en"), func(c *Counselor) { c.Status = StatusBreak; c.Misses = 2 })
	if c, busy = AfterMiss(c, MissPolicy{MaxMisses: 3}); busy || c.Status != StatusBreak {
		t.Fatalf("on break: %+v busy=%v", c, busy)
	}
}
