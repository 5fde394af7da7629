package transparency

import (
	"context"
	"time"

	"helpline/counselors/report"
)

// Sources for features that keep their own anonymous daily counts: each
// reads them for the report's period through a function the feature
// provides, so that this package needs none of theirs (cmd/internal/server
// plugs them in).

// DailyEvents returns anonymous counts of [from, to) by day and event
// (e.g. "card", "consented"), as routing/referral/refer.Service.Counts does.
type DailyEvents func(ctx context.Context, from, to time.Time) (map[string]map[string]int64, error)

// EventsSource makes a section with one table: how many of each event in
// the period, every event of events shown (0 when none happened), in that
// order.
func EventsSource(section, table string, events []string, counts DailyEvents) Source {
	return eventsSource{section, table, events, counts}
}

type eventsSource struct {
	section, table string
	events         []string
	counts         DailyEvents
}

func (s eventsSource) Contribute(ctx context.Context, p Period) (Contribution, error) {
	byDay, err := s.counts(ctx, p.From, p.To.AddDate(0, 0, 1)) // the period's last day included
	if err != nil {
		return Contribution{}, err
	}
	t := mustTable(report.Outcome)
	for _, e := range s.events {
		t.Add(0, e)
	}
	for _, byEvent := range byDay {
		for e, n := range byEvent {
			t.Add(int(n), e)
		}
	}
	return Contribution{Section: s.section, Tables: []RawTable{{Key: s.table, Table: t}}}, nil
}

// FieldCount is one anonymous count of a form's answer: how many answered
// value to field (a wrap-up's, say), on one day.
type FieldCount struct {
	Field, Value string
	N            int64
}

// FieldCounts returns the counts of [from, to) (counselors/wrapup's
// DailyCounts; days and form versions may come apart: they add up).
type FieldCounts func(ctx context.Context, from, to time.Time) ([]FieldCount, error)

// FieldsSource makes a section with a table per field, each by value,
// linked (every field splits the same population, the completed forms, so
// a suppressed cell cannot be worked out from another field's total).
func FieldsSource(section string, counts FieldCounts) Source {
	return fieldsSource{section, counts}
}

type fieldsSource struct {
	section string
	counts  FieldCounts
}

func (s fieldsSource) Contribute(ctx context.Context, p Period) (Contribution, error) {
	list, err := s.counts(ctx, p.From, p.To.AddDate(0, 0, 1))
	if err != nil {
		return Contribution{}, err
	}
	tables := map[string]*report.RawTable{}
	var order []string
	for _, c := range list {
		t, ok := tables[c.Field]
		if !ok {
			t = mustTable(report.Category)
			tables[c.Field] = t
			order = append(order, c.Field)
		}
		t.Add(int(c.N), c.Value)
	}
	out := Contribution{Section: s.section}
	for _, field := range order {
		out.Tables = append(out.Tables, RawTable{Key: field, Table: tables[field], Linked: s.section})
	}
	return out, nil
}
