package transparency

import (
	"context"
	"testing"
	"time"

	"helpline/counselors/report"
)

// TestFeatureSourcesAddTheirSections: an events source shows every event it
// names (zero ones too) over the whole period, its last day included; a
// fields source makes a linked table per field.
func TestFeatureSourcesAddTheirSections(t *testing.T) {
	p, err := Month("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	var asked [2]time.Time
	events := EventsSource("referrals", "by_event", []string{"card", "consented"}, func(_ context.Context, from, to time.Time) (map[string]map[string]int64, error) {
		asked = [2]time.Time{from, to}
		return map[string]map[string]int64{"2026-11-03": {"card": 12}, "2026-11-30": {"card": 3}}, nil
	})
	c, err := events.Contribute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !asked[0].Equal(p.From) || !asked[1].Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("asked for %v, want all of November, its last day included", asked)
	}
	if c.Section != "referrals" || len(c.Tables) != 1 || c.Tables[0].Key != "by_event" {
		t.Fatalf("contribution %+v", c)
	}
	pub, err := report.Publish(c.Tables[0].Table, report.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.Rows) != 2 || pub.Rows[0] != "card" || pub.Cells[0][0].Count != 15 || pub.Rows[1] != "consented" || pub.Cells[1][0].Count != 0 {
		t.Fatalf("events over the month: rows %v, cells %+v; want card 15 (both days) and consented 0", pub.Rows, pub.Cells)
	}

	fields := FieldsSource("wrapup", func(context.Context, time.Time, time.Time) ([]FieldCount, error) {
		return []FieldCount{{"contact_type", "own_thoughts", 20}, {"contact_type", "someone_else", 10}, {"risk", "no", 30}}, nil
	})
	c, err = fields.Contribute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tables) != 2 || c.Tables[0].Key != "contact_type" || c.Tables[0].Linked != "wrapup" || c.Tables[1].Linked != "wrapup" {
		t.Fatalf("fields contribution %+v", c)
	}
}
