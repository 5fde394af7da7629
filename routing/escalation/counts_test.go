package escalation

import (
	"maps"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// countsOf reads every count of the test days as field/value → n.
func countsOf(t *testing.T, r rig) map[string]int64 {
	t.Helper()
	list, err := r.Store.(Counter).Counts(ctx, t0.AddDate(0, 0, -3), t0.AddDate(0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range list {
		out[c.Field+"/"+c.Value] += c.N
	}
	return out
}

// changed is what moved between two readings of the counts.
func changed(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, n := range after {
		if d := n - before[k]; d != 0 {
			out[k] = d
		}
	}
	for k, n := range before {
		if _, ok := after[k]; !ok {
			out[k] = -n
		}
	}
	return out
}

func expectChange(t *testing.T, r rig, step string, before map[string]int64, want map[string]int64) map[string]int64 {
	t.Helper()
	after := countsOf(t, r)
	if got := changed(before, after); !maps.Equal(got, want) {
		t.Errorf("%s changed the counts by %v, want exactly %v", step, got, want)
	}
	return after
}

// TestRaiseAcknowledgeResolveChangesExactlyTheExpectedCounts: each state
// change adds its counts and nothing else, once; a retried or repeated
// action adds nothing.
func TestRaiseAcknowledgeResolveChangesExactlyTheExpectedCounts(t *testing.T) {
	stores(t, func(t *testing.T, r rig) {
		conv := r.conversation(t)
		c := countsOf(t, r)
		e := mustRaise(t, r, raiseOf(conv, 7, "c1", ReasonSelfHarm, UrgencySoon, "nota", t0), Created)
		c = expectChange(t, r, "raise", c, map[string]int64{"by_reason/self_harm": 1, "by_urgency/soon": 1, "on_shift/supervisor_on_shift": 1})
		mustRaise(t, r, raiseOf(conv, 7, "c1", ReasonSelfHarm, UrgencySoon, "nota", t0), Repeated)
		mustRaise(t, r, raiseOf(conv, 8, "c2", ReasonSelfHarm, UrgencyNow, "más", t0.Add(time.Second)), Added)
		c = expectChange(t, r, "a retried and an added raise", c, map[string]int64{})
		if _, ok, err := r.Acknowledge(ctx, e.ID, 3, "Sam", t0.Add(100*time.Second)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		// 100 s after raising, within the 2 min the added "now" raise set.
		c = expectChange(t, r, "acknowledge", c, map[string]int64{"acknowledged/3": 1, "deadline/met": 1})
		if _, ok, _ := r.Acknowledge(ctx, e.ID, 4, "Kim", t0.Add(200*time.Second)); ok {
			t.Fatal("acknowledged twice")
		}
		c = expectChange(t, r, "a second acknowledgement", c, map[string]int64{})
		if _, ok, err := r.Resolve(ctx, e.ID, 3, "Sam", OutcomeSafetyPlanAgreed, noteOf(3, "plan"), t0.Add(time.Hour)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		c = expectChange(t, r, "resolve", c, map[string]int64{"resolution/safety_plan_agreed": 1})
		r.Resolve(ctx, e.ID, 3, "Sam", OutcomeOther, noteOf(3, "otra vez"), t0.Add(2*time.Hour))
		expectChange(t, r, "a second resolution", c, map[string]int64{})
	})
}

// TestCountsOfMissedDeadlines: a re-alert counts the deadline missed once,
// its later acknowledgement only how long it took; an acknowledgement past
// the deadline before any re-alert counts it missed; resolving an
// unacknowledged escalation acknowledges it; nobody on shift is counted;
// debriefs are not counted at all; and the counts stay when the
// conversation goes.
func TestCountsOfMissedDeadlines(t *testing.T) {
	stores(t, func(t *testing.T, r rig) {
		conv := r.conversation(t)
		c := countsOf(t, r)
		late := raiseOf(conv, 7, "m1", ReasonChildAtRisk, UrgencyNow, "", t0)
		late.NobodyOnShift = true
		e := mustRaise(t, r, late, Created)
		c = expectChange(t, r, "raise with nobody on shift", c, map[string]int64{"by_reason/child_at_risk": 1, "by_urgency/now": 1, "on_shift/nobody_on_shift": 1})
		if got, err := r.ClaimLate(ctx, t0.Add(3*time.Minute)); err != nil || len(got) != 1 {
			t.Fatal(got, err)
		}
		r.ClaimLate(ctx, t0.Add(4*time.Minute))
		c = expectChange(t, r, "re-alerting (twice asked)", c, map[string]int64{"deadline/missed": 1})
		r.Acknowledge(ctx, e.ID, 3, "Sam", t0.Add(6*time.Minute))
		c = expectChange(t, r, "acknowledging a re-alerted one", c, map[string]int64{"acknowledged/5": 1}) // 6 min: at most 10

		slow := mustRaise(t, r, raiseOf(conv, 7, "m2", ReasonAcuteDistress, UrgencyNow, "", t0), Created)
		c = countsOf(t, r)
		r.Resolve(ctx, slow.ID, 3, "Sam", OutcomeAdviceGiven, noteOf(3, ""), t0.Add(150*time.Second))
		c = expectChange(t, r, "resolving unacknowledged after the deadline", c,
			map[string]int64{"resolution/advice_given": 1, "acknowledged/4": 1, "deadline/missed": 1})

		d := mustRaise(t, r, raiseOf(conv, 7, "m3", ReasonDebrief, UrgencyWhenPossible, "", t0), Created)
		r.ClaimLate(ctx, t0.Add(2*time.Hour))
		r.Resolve(ctx, d.ID, 3, "Sam", OutcomeOther, noteOf(3, ""), t0.Add(3*time.Hour))
		c = expectChange(t, r, "a debrief", c, map[string]int64{})

		if _, _, err := r.chat.End(ctx, conv, chat.EndedBySeeker); err != nil {
			t.Fatal(err)
		}
		if err := r.chat.(chat.Retention).DeleteConversation(ctx, conv); err != nil {
			t.Fatal(err)
		}
		expectChange(t, r, "deleting the conversation", c, map[string]int64{})
		for _, n := range mustCounts(t, r) {
			if strings.Contains(n.Day+n.Field+n.Value, conv) || strings.Contains(n.Value, e.ID) {
				t.Errorf("a count names the conversation or escalation: %+v", n)
			}
		}
	})
}

func mustCounts(t *testing.T, r rig) []Count {
	list, err := r.Store.(Counter).Counts(ctx, t0.AddDate(0, 0, -1), t0.AddDate(0, 0, 1))
	if err != nil || len(list) == 0 {
		t.Fatal(list, err)
	}
	for _, c := range list {
		if c.Day != t0.Format(time.DateOnly) {
			t.Errorf("count on %s, want every count on the day raised (%s)", c.Day, t0.Format(time.DateOnly))
		}
	}
	return list
}

func noteOf(staff int64, body string) Note {
	return Note{ID: chat.NewID(), StaffID: staff, StaffName: "Sam", Kind: NoteResolve, Body: body, At: t0}
}

// TestPostgresCountsShareTheChangesTransaction: when the counts cannot be
// written, the change they count is not made either (and so a count is
// never missing for a change that was made).
func TestPostgresCountsShareTheChangesTransaction(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	seal := testSealer(t)
	r := rig{NewPostgresStore(pool, seal), chat.NewPostgresStore(pool, seal, nil)}
	conv := r.conversation(t)
	e := mustRaise(t, r, raiseOf(conv, 7, "t1", ReasonSelfHarm, UrgencyNow, "", t0), Created)
	if _, err := pool.Exec(ctx, `ALTER TABLE escalation_counts RENAME TO escalation_counts_away`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Raise(ctx, raiseOf(conv, 7, "t2", ReasonChildAtRisk, UrgencyNow, "", t0)); err == nil {
		t.Error("a raise was stored without its counts")
	}
	if _, changed, err := r.Acknowledge(ctx, e.ID, 3, "Sam", t0.Add(time.Minute)); err == nil || changed {
		t.Errorf("acknowledged without its counts: %v %v", changed, err)
	}
	if got, err := r.ClaimLate(ctx, t0.Add(time.Hour)); err == nil || len(got) != 0 {
		t.Errorf("re-alerted without its counts: %v %v", got, err)
	}
	if _, changed, err := r.Resolve(ctx, e.ID, 3, "Sam", OutcomeOther, noteOf(3, ""), t0.Add(time.Hour)); err == nil || changed {
		t.Errorf("resolved without its counts: %v %v", changed, err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE escalation_counts_away RENAME TO escalation_counts`); err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(ctx, e.ID)
	if err != nil || got.Status != StatusOpen || !got.LateAlertedAt.IsZero() || len(got.Notes) != 1 {
		t.Fatalf("after the failed changes the escalation is %+v, %v; want it open as raised", got, err)
	}
	if open, _ := r.Unresolved(ctx); len(open) != 1 {
		t.Errorf("%d unresolved escalations; the refused raise must not be among them", len(open))
	}
}
