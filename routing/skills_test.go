package routing

import (
	"testing"

	"helpline/chat"
)

func TestEligible(t *testing.T) {
	var (
		adultEN  = counselor(1, "en")                     // no audiences listed: self and other
		youngES  = counselor(2, "es", chat.AudienceYoung) // young only
		allEN    = counselor(3, "en", chat.AudienceSelf, chat.AudienceYoung, chat.AudienceOther)
		otherBil = counselor(4, "en,es", chat.AudienceOther)
	)
	transferredToYoung := waiting("t", chat.AudienceUnknown, "", 0)
	transferredToYoung.Skill = chat.AudienceYoung
	excluded := waiting("x", chat.AudienceSelf, "", 0)
	excluded.Excluded = map[int64]bool{1: true}

	tests := []struct {
		name string
		w    Waiting
		want [4]bool // adultEN, youngES, allEN, otherBil
	}{
		{"young, no language: only young-trained", waiting("a", chat.AudienceYoung, "", 0), [4]bool{false, true, true, false}},
		{"young, en: young-trained who speak en", waiting("b", chat.AudienceYoung, "en", 0), [4]bool{false, false, true, false}},
		{"self, any language", waiting("c", chat.AudienceSelf, "", 0), [4]bool{true, false, true, false}},
		{"other, es", waiting("d", chat.AudienceOther, "es", 0), [4]bool{false, false, false, true}},
		{"unknown audience: anyone", waiting("e", chat.AudienceUnknown, "", 0), [4]bool{true, true, true, true}},
		{"unknown audience, es-MX", waiting("f", chat.AudienceUnknown, "es-MX", 0), [4]bool{false, true, false, true}},
		{"transferred to young skill", transferredToYoung, [4]bool{false, true, true, false}},
		{"excluded counsellor", excluded, [4]bool{false, false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, c := range []Counselor{adultEN, youngES, allEN, otherBil} {
				if got := Eligible(c, tt.w); got != tt.want[i] {
					t.Errorf("Eligible(counsellor %d) = %v, want %v", c.ID, got, tt.want[i])
				}
			}
		})
	}
}

func TestFree(t *testing.T) {
	tests := []struct {
		capacity, max, active, want int
	}{
		{3, 0, 1, 2},
		{3, 5, 0, 3},
		{4, 2, 1, 1}, // the supervisor's maximum wins
		{2, 0, 3, 0}, // over capacity (capacity lowered mid-shift): never negative
	}
	for _, tt := range tests {
		c := Counselor{Capacity: tt.capacity, MaxCapacity: tt.max, Active: tt.active}
		if got := c.Free(); got != tt.want {
			t.Errorf("Free(capacity %d, max %d, active %d) = %d, want %d", tt.capacity, tt.max, tt.active, got, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	for s, onShift := range map[Status]bool{StatusAvailable: true, StatusBusy: true, StatusBreak: true, StatusOffline: false} {
		if !s.Valid() || s.OnShift() != onShift {
			t.Errorf("%q: Valid %v, OnShift %v", s, s.Valid(), s.OnShift())
		}
	}
	if Status("away").Valid() {
		t.Error(`"away" is valid`)
	}
}
