package transparency

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors/feedback"
	"helpline/counselors/report"
	"helpline/migrations/migrationstest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type stores struct {
	chat interface {
		chat.Store
		chat.Tallies
	}
	feedback feedback.Store
}

func forEachStore(t *testing.T, test func(t *testing.T, s stores, c *clock)) {
	open := map[string]func(t *testing.T, c *clock) stores{
		"memory": func(t *testing.T, c *clock) stores {
			return stores{chat.NewMemoryStore(c.now), feedback.NewMemoryStore()}
		},
		"postgres": func(t *testing.T, c *clock) stores {
			pool, _ := migrationstest.MustOpen(t)
			seal, err := chat.ParseKeys(chat.NewKey("k1"))
			if err != nil {
				t.Fatal(err)
			}
			return stores{chat.NewPostgresStore(pool, seal, c.now), feedback.NewPostgresStore(pool, seal)}
		},
	}
	for name, o := range open {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
			test(t, o(t, c), c)
		})
	}
}

// arrive creates n conversations of one audience and language; answered of
// them are joined after wait and ended after length, the rest left by the
// seeker while waiting.
func arrive(t *testing.T, s stores, c *clock, n, answered int, a chat.Audience, lang string, wait, length time.Duration) []string {
	t.Helper()
	ctx := context.Background()
	start := c.t
	var ids []string
	for i := 0; i < n; i++ {
		c.t = start
		conv, err := s.chat.CreateConversation(ctx, chat.NewConversation{Audience: a, Language: lang})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, conv.ID)
		c.t = start.Add(wait)
		if i < answered {
			if _, _, err := s.chat.Assign(ctx, conv.ID, int64(100+i), "C", 1); err != nil {
				t.Fatal(err)
			}
			c.t = start.Add(wait + length)
			s.chat.End(ctx, conv.ID, chat.EndedByCounselor)
		} else {
			s.chat.End(ctx, conv.ID, chat.EndedBySeeker)
		}
	}
	c.t = start
	return ids
}

func section(t *testing.T, r Report, key string) Section {
	t.Helper()
	for _, s := range r.Sections {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no section %q in %+v", key, r)
	return Section{}
}

func table(t *testing.T, s Section, key string) report.PublishedTable {
	t.Helper()
	for _, tb := range s.Tables {
		if tb.Key == key {
			return tb.Table
		}
	}
	t.Fatalf("no table %q in section %s", key, s.Key)
	return report.PublishedTable{}
}

func cell(t *testing.T, tb report.PublishedTable, value string) report.Figure {
	t.Helper()
	for r, v := range tb.Rows {
		if v == value {
			return tb.Cells[r][0]
		}
	}
	t.Fatalf("no row %q in %v", value, tb.Rows)
	return report.Figure{}
}

// The monthly report is made from the tallies and the feedback scores
// alone, on both stores, with every figure through the disclosure rule.
func TestMonthlyReportFromTallies(t *testing.T) {
	forEachStore(t, func(t *testing.T, s stores, c *clock) {
		ctx := context.Background()
		ids := arrive(t, s, c, 40, 30, chat.AudienceSelf, "es", 2*time.Minute+30*time.Second, 25*time.Minute)
		arrive(t, s, c, 3, 3, chat.AudienceYoung, "en", 20*time.Second, 10*time.Minute)
		s.chat.AddTally(ctx, chat.TurnedAway("hours", c.t))
		// A December arrival is not in November's report.
		c.t = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		arrive(t, s, c, 1, 0, chat.AudienceOther, "es", time.Minute, 0)
		fb := feedback.New(s.feedback, nil, nil)
		for i := 0; i < 9; i++ {
			s.feedback.Submit(ctx, ids[i], feedback.Record{Week: "2026-W45", Language: "es", Helpful: 4, Feeling: 4})
		}
		svc, err := New(s.chat, fb, report.DefaultPolicy())
		if err != nil {
			t.Fatal(err)
		}
		month, _ := Month("2026-11")
		r, err := svc.Build(ctx, month)
		if err != nil {
			t.Fatal(err)
		}
		contacts := section(t, r, "contacts")
		audience := table(t, contacts, "by_audience")
		if f := cell(t, audience, "self"); f.Count != 40 || f.Suppressed {
			t.Errorf("self: %+v, want 40", f)
		}
		if f := cell(t, audience, "young"); !f.Suppressed {
			t.Errorf("3 young people must not be shown: %+v", f)
		}
		if f := cell(t, audience, "other"); f.Suppressed || f.Count != 0 {
			t.Errorf("other in November: %+v, want a true 0", f)
		}
		if !audience.Total.Suppressed {
			t.Errorf("the total beside a suppressed cell is shown: %+v", audience.Total)
		}
		outcome := table(t, contacts, "by_outcome")
		if f := cell(t, outcome, OutcomeAnswered); f.Count != 35 { // 33 → 35
			t.Errorf("answered: %+v, want 35", f)
		}
		if f := cell(t, outcome, OutcomeLeftQueue); f.Count != 10 { // 10
			t.Errorf("left the queue: %+v, want 10", f)
		}
		for _, w := range contacts.Waits {
			switch w.Key {
			case "wait": // 30 of 33 waited 2m30s: the median is in the bucket up to 3 minutes
				if w.Summary.Suppressed || w.Summary.MedianSeconds != 180 || w.Summary.P90Seconds != 180 {
					t.Errorf("wait: %+v, want median and p90 at most 3 minutes", w.Summary)
				}
			case "length":
				if w.Summary.Suppressed || w.Summary.MedianSeconds != 30*60 {
					t.Errorf("length: %+v, want a median of at most 30 minutes", w.Summary)
				}
			case "wait_before_leaving": // 10 observations
				if !w.Summary.Suppressed {
					t.Errorf("waits of 10 people must not be summarised: %+v", w.Summary)
				}
			}
		}
		if f := cell(t, table(t, section(t, r, "unmet_demand"), "turned_away_by_reason"), "hours"); !f.Suppressed {
			t.Errorf("one arrival turned away must not be shown as a count: %+v", f)
		}
		if f := cell(t, table(t, section(t, r, "feedback"), "helpful"), "4"); f.Count != 10 {
			t.Errorf("9 who found it very helpful: %+v, want 10", f)
		}
		var csv bytes.Buffer
		if err := r.WriteCSV(&csv); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(csv.String(), "contacts,by_audience,audience,self,,,40,\n") ||
			!strings.Contains(csv.String(), "contacts,by_audience,audience,young,,,,*\n") {
			t.Errorf("CSV:\n%s", csv.String())
		}
		js, err := json.Marshal(r)
		if err != nil || !strings.Contains(string(js), `"period":{"from":"2026-11-01","to":"2026-11-30"}`) {
			t.Errorf("JSON %s, %v", js, err)
		}
	})
}
