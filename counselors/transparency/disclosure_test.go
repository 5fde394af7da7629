package transparency

import (
	"context"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors/report"
)

// An attacker who knows the rule reads a published figure as the range of
// raw counts it can stand for.
func possible(p report.Policy, f report.Figure, limit int) []int {
	var out []int
	for raw := 0; raw <= limit; raw++ {
		if pub, _ := p.Count(raw); pub.Count == f.Count && pub.Suppressed == f.Suppressed {
			out = append(out, raw)
		} else if f.Suppressed && f.Reason != report.ReasonSmallCount && raw >= p.SuppressBelow {
			out = append(out, raw) // withheld: any count that would have been shown
		}
	}
	return out
}

// sums is every sum the cells of a published table of one dimension can
// have, with its shown total if any.
func sums(p report.Policy, tb report.PublishedTable, limit int) map[int]bool {
	reach := map[int]bool{0: true}
	for r := range tb.Rows {
		next := map[int]bool{}
		for s := range reach {
			for _, v := range possible(p, tb.Cells[r][0], limit) {
				if s+v <= limit {
					next[s+v] = true
				}
			}
		}
		reach = next
	}
	if !tb.Total.Suppressed {
		for s := range reach {
			if pub, _ := p.Count(s); pub != tb.Total {
				delete(reach, s)
			}
		}
	}
	return reach
}

// recover is the attack on one suppressed cell of table target: by brute
// force, every value it can take such that the table adds up to a total
// that every linked table (and its own published total) allows.
func recoverCell(p report.Policy, target report.PublishedTable, row string, linked []report.PublishedTable, limit int) map[int]bool {
	totals := sums(p, target, limit)
	for _, tb := range linked {
		other := sums(p, tb, limit)
		for s := range totals {
			if !other[s] {
				delete(totals, s)
			}
		}
	}
	values := map[int]bool{}
	var walk func(r, sum, hidden int)
	walk = func(r, sum, hidden int) {
		if r == len(target.Rows) {
			if totals[sum] {
				values[hidden] = true
			}
			return
		}
		for _, v := range possible(p, target.Cells[r][0], limit) {
			h := hidden
			if target.Rows[r] == row {
				h = v
			}
			if sum+v <= limit {
				walk(r+1, sum+v, h)
			}
		}
	}
	walk(0, 0, -1)
	return values
}

// One young person wrote in on 2 November beside 8 and 8 of the other
// groups. Published without linking the breakdowns, the total that the
// month (and language, region, outcome) tables give away pins that 1;
// with them linked it stays one of several values. And the difference
// between an overlapping two-day report and a one-day report leaves the
// count of that day open too.
func TestSuppressedCountIsNotRecoveredFromTotalsOrOverlappingPeriods(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	s := stores{chat: chat.NewMemoryStore(c.now)}
	for _, g := range []struct {
		n int
		a chat.Audience
	}{{20, chat.AudienceSelf}, {10, chat.AudienceYoung}} {
		for i := 0; i < g.n; i++ {
			s.chat.CreateConversation(ctx, chat.NewConversation{Audience: g.a, Language: "es"})
		}
	}
	c.t = c.t.AddDate(0, 0, 1)
	for _, g := range []struct {
		n int
		a chat.Audience
	}{{8, chat.AudienceSelf}, {8, chat.AudienceOther}, {1, chat.AudienceYoung}} {
		for i := 0; i < g.n; i++ {
			s.chat.CreateConversation(ctx, chat.NewConversation{Audience: g.a, Language: "es"})
		}
	}
	p := report.DefaultPolicy()
	svc, _ := New(s.chat, nil, p)
	build := func(from, to string) (report.PublishedTable, []report.PublishedTable) {
		period, err := Days(from, to)
		if err != nil {
			t.Fatal(err)
		}
		r, err := svc.Build(ctx, period)
		if err != nil {
			t.Fatal(err)
		}
		contacts := section(t, r, "contacts")
		var linked []report.PublishedTable
		for _, tb := range contacts.Tables {
			if tb.Key != "by_audience" {
				linked = append(linked, tb.Table)
			}
		}
		return table(t, contacts, "by_audience"), linked
	}
	const limit = 80

	// The attack works on the tables published one by one: it is real.
	raw, _ := report.NewRawTable(report.Audience)
	raw.Add(8, "self")
	raw.Add(8, "other")
	raw.Add(1, "young")
	unlinked, _ := report.Publish(raw, p)
	month, _ := report.NewRawTable(report.Month)
	month.Add(17, "2026-11")
	monthPub, _ := report.Publish(month, p)
	if got := recoverCell(p, unlinked, "young", []report.PublishedTable{monthPub}, limit); len(got) != 1 || !got[1] {
		t.Fatalf("without linking, the attack should pin the young count at 1; it finds %v", got)
	}

	// From totals: the report of 2 November alone.
	day2, linked := build("2026-11-02", "2026-11-02")
	if !cell(t, day2, "young").Suppressed {
		t.Fatalf("1 young person is shown: %+v", day2)
	}
	if got := recoverCell(p, day2, "young", linked, limit); len(got) < 2 {
		t.Errorf("the young count of 2 November is recovered from the totals: %v (tables %+v)", got, day2)
	}

	// From two overlapping periods: 1–2 November minus 1 November.
	both, _ := build("2026-11-01", "2026-11-02")
	first, _ := build("2026-11-01", "2026-11-01")
	diffs := map[int]bool{}
	for _, a := range possible(p, cell(t, both, "young"), limit) {
		for _, b := range possible(p, cell(t, first, "young"), limit) {
			if d := a - b; d >= 1 && d < p.SuppressBelow {
				diffs[d] = true
			}
		}
	}
	if len(diffs) < 2 {
		t.Errorf("the young count of 2 November is recovered from overlapping periods: %v", diffs)
	}
}
