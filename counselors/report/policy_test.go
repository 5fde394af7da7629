package report

import (
	"strings"
	"testing"
)

func TestCountRuleAtEdgeValues(t *testing.T) {
	cases := []struct {
		raw        int
		want       int
		suppressed bool
	}{
		{0, 0, false}, // a true zero is shown
		{1, 0, true},
		{2, 0, true},
		{5, 0, true},
		{7, 0, true},
		{8, 10, false},
		{10, 10, false},
		{12, 10, false},
		{13, 15, false},
		{17, 15, false},
		{18, 20, false},
		{24, 25, false},
		{25, 25, false},
		{27, 25, false},
		{28, 30, false},
		{1002, 1000, false},
		{1003, 1005, false},
	}
	p := DefaultPolicy()
	for _, c := range cases {
		got, err := p.Count(c.raw)
		if err != nil {
			t.Fatalf("Count(%d): %v", c.raw, err)
		}
		want := Figure{Count: c.want}
		if c.suppressed {
			want = Figure{Suppressed: true, Reason: ReasonSmallCount}
		}
		if got != want {
			t.Errorf("Count(%d) = %+v, want %+v", c.raw, got, want)
		}
	}
}

func TestConfiguredPolicyRoundsAndSuppressesByItsOwnThresholds(t *testing.T) {
	p := Policy{SuppressBelow: 11, RoundTo: 10, MinDenominator: 50}
	cases := []struct {
		raw, want  int
		suppressed bool
	}{
		{0, 0, false}, {10, 0, true}, {11, 10, false}, {14, 10, false},
		{15, 20, false}, // halves go up
		{24, 20, false}, {25, 30, false},
	}
	for _, c := range cases {
		got, err := p.Count(c.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got.Suppressed != c.suppressed || got.Count != c.want {
			t.Errorf("Count(%d) = %+v, want %d (suppressed %v)", c.raw, got, c.want, c.suppressed)
		}
	}
}

func TestPolicyValidation(t *testing.T) {
	cases := []struct {
		name    string
		p       Policy
		wantErr string // empty: valid
	}{
		{"default", DefaultPolicy(), ""},
		{"stricter", Policy{SuppressBelow: 11, RoundTo: 10, MinDenominator: 50}, ""},
		{"zero policy", Policy{}, "suppress_below is 0"},
		{"no suppression", Policy{SuppressBelow: 1, RoundTo: 5, MinDenominator: 25}, "suppress_below is 1"},
		{"no rounding", Policy{SuppressBelow: 8, RoundTo: 1, MinDenominator: 25}, "round_to is 1"},
		{"rounds shown counts to zero", Policy{SuppressBelow: 4, RoundTo: 10, MinDenominator: 25}, "could round to 0"},
		{"denominator below threshold", Policy{SuppressBelow: 8, RoundTo: 5, MinDenominator: 7}, "min_denominator is 7"},
		{"absurd threshold", Policy{SuppressBelow: 8, RoundTo: 5, MinDenominator: 5000}, "min_denominator is 5000"},
	}
	for _, c := range cases {
		err := c.p.Validate()
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		}
	}
	if _, err := Publish(mustTable(t, Audience), Policy{}); err == nil {
		t.Error("Publish accepted an invalid policy")
	}
	if _, err := Percentage(1, 30, Policy{}); err == nil {
		t.Error("Percentage accepted an invalid policy")
	}
	if _, err := SummariseWaits(nil, Policy{}); err == nil {
		t.Error("SummariseWaits accepted an invalid policy")
	}
}

func TestNegativeCountIsRefused(t *testing.T) {
	if _, err := DefaultPolicy().Count(-1); err == nil {
		t.Error("Count(-1) was accepted")
	}
	if err := mustTable(t, Audience).Add(-1, "self"); err == nil {
		t.Error("Add(-1) was accepted")
	}
}

func mustTable(t *testing.T, dims ...Dimension) *RawTable {
	t.Helper()
	tab, err := NewRawTable(dims...)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}
