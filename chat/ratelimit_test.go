package chat

import "testing"

// AllowPair(a, b) is the bucket of Allow(a + "/" + b), and asking it again
// makes no new key.
func TestLimiterPairIsTheJoinedKey(t *testing.T) {
	l := NewLimiter(0.001, 2)
	if !l.AllowPair("conv", "seeker") || !l.Allow("conv/seeker") {
		t.Fatal("a new bucket refused its burst")
	}
	if l.AllowPair("conv", "seeker") {
		t.Error("the third event of a burst of 2 was allowed: AllowPair and Allow did not share the bucket")
	}
	if !l.AllowPair("conv", "counselor") {
		t.Error("another side's bucket was refused")
	}
	if n := testing.AllocsPerRun(100, func() { l.AllowPair("conv", "seeker") }); n != 0 {
		t.Errorf("%v allocations asking a known bucket, want 0", n)
	}
}
