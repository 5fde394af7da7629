package care_test

import (
	"context"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors/care"
	"helpline/migrations/migrationstest"
)

var ctx = context.Background()

type world struct {
	care care.Store
	chat chat.Store
}

func worlds(t *testing.T, f func(t *testing.T, w world)) {
	t.Run("memory", func(t *testing.T) {
		mem := chat.NewMemoryStore(nil)
		cs := care.NewMemoryStore()
		mem.OnForget(cs.Forget)
		f(t, world{cs, mem})
	})
	t.Run("postgres", func(t *testing.T) {
		pool, _ := migrationstest.MustOpen(t)
		seal, err := chat.ParseKeys(chat.NewKey("k1"))
		if err != nil {
			t.Fatal(err)
		}
		f(t, world{care.NewPostgresStore(pool), chat.NewPostgresStore(pool, seal, nil)})
	})
}

func (w world) conversation(t *testing.T) string {
	t.Helper()
	c, err := w.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func activity(t *testing.T, s care.Store, id int64, since time.Time) care.Activity {
	t.Helper()
	all, err := s.Activity(ctx, []int64{id}, since)
	if err != nil {
		t.Fatal(err)
	}
	return all[id]
}

func TestStoreContract(t *testing.T) {
	worlds(t, func(t *testing.T, w world) {
		s := w.care
		a, b := w.conversation(t), w.conversation(t)
		// Flagged while waiting: the spell that begins later starts marked.
		if err := s.Mark(ctx, a, care.MarkRiskFlag, t0); err != nil {
			t.Fatal(err)
		}
		if ended, err := s.Changed(ctx, a, []int64{7}, t0); err != nil || len(ended) != 0 {
			t.Fatalf("taking a: %v %v", ended, err)
		}
		// A repeat of the same holders changes nothing; a supervisor joins.
		if ended, err := s.Changed(ctx, a, []int64{7, 9}, t0.Add(10*time.Minute)); err != nil || len(ended) != 0 {
			t.Fatalf("joining a: %v %v", ended, err)
		}
		if _, err := s.Changed(ctx, b, []int64{7}, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.Mark(ctx, b, care.MarkEscalation, t0.Add(6*time.Minute)); err != nil {
			t.Fatal(err)
		}
		// b is handed to 8: 7's spell in b ends, marked escalated.
		ended, err := s.Changed(ctx, b, []int64{8}, t0.Add(20*time.Minute))
		if err != nil || len(ended) != 1 || ended[0].StaffID != 7 || !ended[0].Escalated || !ended[0].HighRisk ||
			!ended[0].End.Equal(t0.Add(20*time.Minute)) {
			t.Fatalf("transfer of b ended %+v, %v", ended, err)
		}
		// a ends: both its spells end, both marked high-risk.
		ended, err = s.Changed(ctx, a, nil, t0.Add(30*time.Minute))
		if err != nil || len(ended) != 2 || !ended[0].HighRisk || !ended[1].HighRisk || ended[0].Escalated {
			t.Fatalf("end of a ended %+v, %v", ended, err)
		}
		got := activity(t, s, 7, t0.Add(-time.Hour))
		if len(got.Spells) != 2 || !got.Spells[0].Start.Equal(t0) || !got.Spells[1].Escalated || got.Spells[0].Escalated {
			t.Fatalf("7's spells: %+v", got.Spells)
		}
		if got := activity(t, s, 7, t0.Add(25*time.Minute)); len(got.Spells) != 1 {
			t.Fatalf("since 09:25, 7 has %+v", got.Spells)
		}
		if got := activity(t, s, 8, t0); len(got.Spells) != 1 || !got.Spells[0].End.IsZero() || !got.Spells[0].Escalated {
			t.Fatalf("8's open spell, which inherits b's marks: %+v", got.Spells)
		}

		// Breaks: one open at a time; another status ends it.
		for _, step := range []struct {
			on bool
			at time.Duration
		}{{true, 40}, {true, 45}, {false, 55}, {false, 56}, {true, 70}} {
			if err := s.Break(ctx, 7, step.on, t0.Add(step.at*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		got = activity(t, s, 7, t0)
		if len(got.Breaks) != 2 || !got.Breaks[0].Start.Equal(t0.Add(40*time.Minute)) || !got.Breaks[0].End.Equal(t0.Add(55*time.Minute)) ||
			!got.Breaks[1].End.IsZero() {
			t.Fatalf("breaks: %+v", got.Breaks)
		}

		// Expiry: what ended before the cutoff goes, the rest stays.
		n, err := s.Expire(ctx, t0.Add(25*time.Minute))
		// 7's spell in b (ended 09:20) and 8's, open since 09:20 and so stale; not the breaks.
		if err != nil || n != 2 {
			t.Fatalf("expired %d, %v; want 2", n, err)
		}
		got = activity(t, s, 7, t0.Add(-time.Hour))
		if len(got.Spells) != 1 || got.Spells[0].Escalated || len(got.Breaks) != 2 {
			t.Fatalf("after expiry 7 keeps %+v", got)
		}
		if _, err := s.Expire(ctx, t0.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := activity(t, s, 7, time.Time{}); len(got.Spells)+len(got.Breaks) != 0 {
			t.Fatalf("after everything expired: %+v", got)
		}
	})
}

// A conversation deleted (the seeker's erasure, retention) leaves its spells
// as bare durations: still counted, no longer linked to it.
func TestDeletedConversationLeavesTheTime(t *testing.T) {
	worlds(t, func(t *testing.T, w world) {
		s := w.care
		id := w.conversation(t)
		if _, err := s.Changed(ctx, id, []int64{7}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Mark(ctx, id, care.MarkRiskFlag, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Changed(ctx, id, nil, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.chat.End(ctx, id, chat.EndedByAbandoned); err != nil {
			t.Fatal(err)
		}
		if err := w.chat.(chat.Retention).DeleteConversation(ctx, id); err != nil {
			t.Fatal(err)
		}
		got := activity(t, s, 7, t0)
		if len(got.Spells) != 1 || !got.Spells[0].HighRisk || !got.Spells[0].End.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after deletion: %+v", got.Spells)
		}
		// Nothing is linked any more: a change for the deleted id ends nothing.
		if ended, err := s.Changed(ctx, id, nil, t0.Add(2*time.Hour)); err != nil || len(ended) != 0 {
			t.Fatalf("a change after deletion ended %+v, %v", ended, err)
		}
	})
}
