package transparency

import (
	"context"
	"testing"
	"time"

	"helpline/counselors/report"
)

// TestProfileSourceDescribesOnePopulation: every breakdown declares its
// values (true zeros shown), the rest of the population gets its own row,
// histograms become median and p90, shares take the population as their
// denominator, and all tables are protected together: one table's small
// count withholds every table's total, so the population cannot be read
// off another table and differenced.
func TestProfileSourceDescribesOnePopulation(t *testing.T) {
	p, err := Month("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	var asked [2]time.Time
	counts := []FieldCount{
		{"by_reason", "self_harm", 20}, {"by_reason", "self_harm", 10}, {"by_reason", "need_advice", 3},
		{"deadline", "met", 25}, {"deadline", "missed", 5},
		{"acknowledged", "1", 20}, {"acknowledged", "3", 10}, {"acknowledged", "nonsense", 4},
	}
	src := ProfileSource("escalations",
		[]Breakdown{
			{Field: "by_reason", Dimension: report.ReasonDim, Values: []string{"child_at_risk", "self_harm", "need_advice"}},
			{Field: "deadline", Dimension: report.Outcome, Values: []string{"met", "missed"}, Rest: "pending"},
		},
		[]Histogram{{Field: "acknowledged", Bounds: []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute}}},
		[]Proportion{{Key: "deadline_missed", Field: "deadline", Value: "missed"}},
		func(_ context.Context, from, to time.Time) ([]FieldCount, error) {
			asked = [2]time.Time{from, to}
			return counts, nil
		})
	c, err := src.Contribute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !asked[1].Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("asked up to %v, want the period's last day included", asked[1])
	}
	if len(c.Tables) != 2 || c.Tables[0].Linked != "escalations" || c.Tables[1].Linked != "escalations" {
		t.Fatalf("tables %+v; want two, linked", c.Tables)
	}
	reasons, deadline := c.Tables[0].Table, c.Tables[1].Table
	if reasons.Get("child_at_risk") != 0 || reasons.Get("self_harm") != 30 || reasons.Get("need_advice") != 3 {
		t.Errorf("reasons child %d, self harm %d, advice %d; want 0, 30 (two days), 3", reasons.Get("child_at_risk"), reasons.Get("self_harm"), reasons.Get("need_advice"))
	}
	if deadline.Get("pending") != 3 {
		t.Errorf("pending %d; want 33 raised − 30 met or missed = 3", deadline.Get("pending"))
	}
	if len(c.Durations) != 1 || c.Durations[0].Counts[1] != 20 || c.Durations[0].Counts[3] != 10 || c.Durations[0].Counts[0] != 0 {
		t.Errorf("durations %+v", c.Durations)
	}
	if len(c.Shares) != 1 || c.Shares[0].Numerator != 5 || c.Shares[0].Denominator != 33 || c.Shares[0].Of != "deadline" {
		t.Errorf("shares %+v; want 5 of 33, shown with the deadline table", c.Shares)
	}

	sec, err := publish(c, report.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range sec.Tables {
		if !tb.Table.Total.Suppressed {
			t.Errorf("%s shows its total %d beside a small count in a linked table", tb.Key, tb.Table.Total.Count)
		}
	}
	if got := sec.Tables[0].Table.Cells[2][0]; !got.Suppressed {
		t.Errorf("three escalations asking for advice shown as %+v", got)
	}
	if pct := sec.Percentages[0].Percent; !pct.Suppressed {
		t.Errorf("the share missed is shown (%+v) while the deadline table's total is not", pct)
	}
	if w := sec.Waits[0].Summary; w.Suppressed || w.MedianSeconds != 120 || w.P90Seconds != 600 {
		t.Errorf("acknowledged within %+v; want median 2 min, p90 10 min over 30", w)
	}
}
