package chat_test

import (
	"testing"
	"time"

	"helpline/chat"
)

// TestPauseMarkersHoldUntilTheyExpireAndAreNothingElse: a pause marker
// holds for its time and no longer, and is neither a seeker's credential nor
// a staff token; neither of those is a pause marker.
func TestPauseMarkersHoldUntilTheyExpireAndAreNothingElse(t *testing.T) {
	_, spec := testKey(t, "k1")
	now := tokenNow
	tk, err := chat.NewTokens(spec, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	marker, until := tk.IssuePause(time.Hour)
	if got, ok := tk.VerifyPause(marker); !ok || !got.Equal(until.Truncate(time.Second)) {
		t.Fatalf("fresh marker: %v %v, want it to hold until %v", got, ok, until)
	}
	if _, err := tk.Verify(marker); err == nil {
		t.Fatal("a pause marker was accepted as a credential")
	}
	seeker, _ := tk.IssueSeeker(testConversationID, time.Hour)
	staff, _ := tk.IssueStaff(7, chat.RoleCounselor, "sid", time.Hour)
	for _, other := range []string{seeker, staff} {
		if _, ok := tk.VerifyPause(other); ok {
			t.Fatal("a credential was accepted as a pause marker")
		}
	}
	now = now.Add(2 * time.Hour)
	if _, ok := tk.VerifyPause(marker); ok {
		t.Fatal("an expired pause marker still holds")
	}
}
