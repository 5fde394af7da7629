package report

import (
	"testing"
	"time"
)

func TestPercentageRules(t *testing.T) {
	cases := []struct {
		num, den int
		want     Percent
	}{
		{10, 24, Percent{Suppressed: true, Reason: ReasonSmallDenominator}},
		{12, 24, Percent{Suppressed: true, Reason: ReasonSmallDenominator}},
		{0, 0, Percent{Suppressed: true, Reason: ReasonSmallDenominator}},
		{10, 25, Percent{Value: 40}},
		{0, 25, Percent{Value: 0}},    // a true zero share
		{25, 25, Percent{Value: 100}}, // nobody left out
		{8, 25, Percent{Value: 32}},
		{7, 25, Percent{Suppressed: true, Reason: ReasonSmallNumerator}},  // 28% of 25 gives 7 back
		{1, 30, Percent{Suppressed: true, Reason: ReasonSmallNumerator}},  // 3% of 30 gives 1 back
		{18, 25, Percent{Suppressed: true, Reason: ReasonSmallNumerator}}, // the other 7
		{17, 25, Percent{Value: 68}},
		{1, 8, Percent{Suppressed: true, Reason: ReasonSmallDenominator}},
		{10, 40, Percent{Value: 25}},
		{1, 200, Percent{Suppressed: true, Reason: ReasonSmallNumerator}},
		{9, 200, Percent{Value: 5}},    // 4.5% rounds up
		{13, 40, Percent{Value: 33}},   // 32.5% rounds up
		{100, 300, Percent{Value: 33}}, // 33.3%
		{200, 300, Percent{Value: 67}}, // 66.7%
	}
	for _, c := range cases {
		got, err := Percentage(c.num, c.den, DefaultPolicy())
		if err != nil {
			t.Fatalf("Percentage(%d, %d): %v", c.num, c.den, err)
		}
		if got != c.want {
			t.Errorf("Percentage(%d, %d) = %+v, want %+v", c.num, c.den, got, c.want)
		}
	}
	for _, bad := range [][2]int{{-1, 30}, {31, 30}} {
		if _, err := Percentage(bad[0], bad[1], DefaultPolicy()); err == nil {
			t.Errorf("Percentage(%d, %d) was accepted", bad[0], bad[1])
		}
	}
}

func TestWaitPercentilesNeedEnoughObservations(t *testing.T) {
	seconds := func(n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			// n, n-1, …, 1 seconds: unsorted on purpose.
			out[i] = time.Duration(n-i) * time.Second
		}
		return out
	}
	cases := []struct {
		n    int
		want Waits
	}{
		{0, Waits{Suppressed: true, Reason: ReasonFewObservations}},
		{7, Waits{Count: Figure{Suppressed: true, Reason: ReasonSmallCount}, Suppressed: true, Reason: ReasonFewObservations}},
		{24, Waits{Count: Figure{Count: 25}, Suppressed: true, Reason: ReasonFewObservations}},
		{25, Waits{Count: Figure{Count: 25}, MedianSeconds: 13, P90Seconds: 23}},
		{40, Waits{Count: Figure{Count: 40}, MedianSeconds: 20, P90Seconds: 36}},
	}
	for _, c := range cases {
		got, err := SummariseWaits(seconds(c.n), DefaultPolicy())
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%d waits: %+v, want %+v", c.n, got, c.want)
		}
	}
}

func TestWaitPercentilesRoundToWholeSecondsAndLeaveInputAlone(t *testing.T) {
	waits := make([]time.Duration, 25)
	for i := range waits {
		waits[i] = time.Duration(25-i)*time.Second + 600*time.Millisecond
	}
	got, err := SummariseWaits(waits, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if got.MedianSeconds != 14 || got.P90Seconds != 24 {
		t.Errorf("median %d s, p90 %d s; want 14 and 24", got.MedianSeconds, got.P90Seconds)
	}
	if waits[0] != 25*time.Second+600*time.Millisecond {
		t.Error("SummariseWaits reordered its caller's slice")
	}
}
