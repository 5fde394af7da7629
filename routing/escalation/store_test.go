package escalation

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

var ctx = context.Background()

// rig is a Store with the chat store whose conversations it belongs to.
type rig struct {
	Store
	chat chat.Store
}

func (r rig) conversation(t *testing.T) string {
	t.Helper()
	c, err := r.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func testSealer(t testing.TB) *chat.Sealer {
	s, err := chat.ParseKeys(chat.NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stores runs f against both Store implementations.
func stores(t *testing.T, f func(t *testing.T, r rig)) {
	t.Run("memory", func(t *testing.T) {
		mem := chat.NewMemoryStore(nil)
		f(t, rig{NewMemoryStore(mem), mem})
	})
	t.Run("postgres", func(t *testing.T) {
		pool, _ := migrationstest.MustOpen(t)
		seal := testSealer(t)
		f(t, rig{NewPostgresStore(pool, seal), chat.NewPostgresStore(pool, seal, nil)})
	})
}

var t0 = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

func raiseOf(conversationID string, staff int64, request string, reason Reason, urgency Urgency, note string, at time.Time) Raise {
	return Raise{ID: chat.NewID(), NoteID: chat.NewID(), RequestID: request, ConversationID: conversationID, StaffID: staff,
		StaffName: "Alex", Reason: reason, Urgency: urgency, Note: note, At: at, DueAt: at.Add(DefaultDeadlines[urgency])}
}

func mustRaise(t *testing.T, s Store, r Raise, want Raised) Escalation {
	t.Helper()
	e, how, err := s.Raise(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if how != want {
		t.Fatalf("raise %s: did %d, want %d", r.RequestID, how, want)
	}
	return e
}

func TestStoreContract(t *testing.T) {
	stores(t, func(t *testing.T, r rig) {
		conv := r.conversation(t)
		t.Run("one open escalation per conversation and reason, idempotent by request id", func(t *testing.T) {
			first := mustRaise(t, r, raiseOf(conv, 7, "q1", ReasonNeedAdvice, UrgencyWhenPossible, "¿qué hago?", t0), Created)
			again := mustRaise(t, r, raiseOf(conv, 7, "q1", ReasonNeedAdvice, UrgencyWhenPossible, "¿qué hago?", t0), Repeated)
			if again.ID != first.ID || len(again.Notes) != 1 {
				t.Fatalf("a retried raise stored something: %+v", again)
			}
			added := mustRaise(t, r, raiseOf(conv, 8, "q2", ReasonNeedAdvice, UrgencyNow, "ahora es urgente", t0.Add(time.Minute)), Added)
			if added.ID != first.ID || len(added.Notes) != 2 || added.Notes[1].Body != "ahora es urgente" || added.Notes[1].StaffID != 8 {
				t.Fatalf("raising again did not add a note: %+v", added)
			}
			if added.Urgency != UrgencyNow || !added.DueAt.Equal(t0.Add(time.Minute+2*time.Minute)) {
				t.Fatalf("a more urgent raise kept urgency %s due %v", added.Urgency, added.DueAt)
			}
			less := mustRaise(t, r, raiseOf(conv, 7, "q3", ReasonNeedAdvice, UrgencyWhenPossible, "", t0.Add(2*time.Minute)), Added)
			if less.Urgency != UrgencyNow || !less.DueAt.Equal(added.DueAt) {
				t.Fatalf("a less urgent raise lowered it: %s %v", less.Urgency, less.DueAt)
			}
			other := mustRaise(t, r, raiseOf(conv, 7, "q4", ReasonChildAtRisk, UrgencyNow, "otro motivo", t0), Created)
			if other.ID == first.ID {
				t.Fatal("another reason joined the same escalation")
			}
			got, err := r.Get(ctx, first.ID)
			if err != nil || len(got.Notes) != 3 || got.Notes[0].Body != "¿qué hago?" || got.Status != StatusOpen {
				t.Fatalf("get: %+v %v", got, err)
			}
		})
		t.Run("debriefs outside a conversation: one open per counsellor", func(t *testing.T) {
			a := mustRaise(t, r, raiseOf("", 7, "d1", ReasonDebrief, UrgencyWhenPossible, "un día duro", t0), Created)
			b := mustRaise(t, r, raiseOf("", 7, "d2", ReasonDebrief, UrgencyWhenPossible, "", t0), Added)
			c := mustRaise(t, r, raiseOf("", 9, "d1", ReasonDebrief, UrgencyWhenPossible, "", t0), Created)
			if a.ID != b.ID || c.ID == a.ID || a.ConversationID != "" {
				t.Fatalf("debriefs %s %s %s", a.ID, b.ID, c.ID)
			}
			mine, err := r.RaisedBy(ctx, 9, t0.Add(-time.Hour))
			if err != nil || len(mine) != 1 || mine[0].ID != c.ID {
				t.Fatalf("raised by 9: %+v %v", mine, err)
			}
		})
		t.Run("deadlines, acknowledgement and resolution", func(t *testing.T) {
			c2 := r.conversation(t)
			e := mustRaise(t, r, raiseOf(c2, 7, "l1", ReasonSelfHarm, UrgencyNow, "", t0), Created)
			acked := mustRaise(t, r, raiseOf(c2, 7, "l2", ReasonAcuteDistress, UrgencyNow, "", t0.Add(time.Second)), Created)
			if _, changed, err := r.Acknowledge(ctx, acked.ID, 3, "Sam", t0.Add(time.Minute)); err != nil || !changed {
				t.Fatal(changed, err)
			}
			a2, changed, err := r.Acknowledge(ctx, acked.ID, 4, "Kim", t0.Add(90*time.Second))
			if err != nil || changed || a2.AckByName != "Sam" || !a2.AckAt.Equal(t0.Add(time.Minute)) || a2.Status != StatusAcknowledged {
				t.Fatalf("second acknowledgement: %+v %v %v", a2, changed, err)
			}
			late := claimIDs(t, r, t0.Add(2*time.Minute-time.Second))
			if late[e.ID] {
				t.Fatal("claimed late before its deadline")
			}
			late = claimIDs(t, r, t0.Add(2*time.Minute))
			if !late[e.ID] || late[acked.ID] {
				t.Fatalf("late at the deadline: %v", late)
			}
			if again := claimIDs(t, r, t0.Add(time.Hour)); again[e.ID] {
				t.Fatal("claimed late twice")
			}
			got, _ := r.Get(ctx, e.ID)
			if !got.Late() || !got.LateAlertedAt.Equal(t0.Add(2*time.Minute)) {
				t.Fatalf("not counted late: %+v", got)
			}
			n := Note{ID: chat.NewID(), StaffID: 3, StaffName: "Sam", Kind: NoteResolve, Body: "plan de seguridad acordado", At: t0.Add(5 * time.Minute)}
			res, changed, err := r.Resolve(ctx, e.ID, 3, "Sam", OutcomeSafetyPlanAgreed, n, n.At)
			if err != nil || !changed || res.Status != StatusResolved || res.Outcome != OutcomeSafetyPlanAgreed || res.AckByName != "Sam" {
				t.Fatalf("resolve: %+v %v %v", res, changed, err)
			}
			if _, changed, _ := r.Resolve(ctx, e.ID, 4, "Kim", OutcomeOther, Note{ID: chat.NewID(), Kind: NoteResolve, At: n.At}, n.At); changed {
				t.Fatal("resolved twice")
			}
			hist, err := r.ForConversation(ctx, c2)
			if err != nil || len(hist) != 2 || len(hist[0].Notes) != 2 || hist[0].Notes[1].Body != n.Body || hist[0].ResolvedByName != "Sam" {
				t.Fatalf("history: %+v %v", hist, err)
			}
			open, _ := r.Unresolved(ctx)
			for _, o := range open {
				if o.ID == e.ID {
					t.Fatal("a resolved escalation is still listed open")
				}
			}
			fresh := mustRaise(t, r, raiseOf(c2, 7, "l3", ReasonSelfHarm, UrgencySoon, "", t0.Add(time.Hour)), Created)
			if fresh.ID == e.ID {
				t.Fatal("raising after resolution reopened the resolved one")
			}
		})
		t.Run("deleted with the conversation at retention", func(t *testing.T) {
			c3 := r.conversation(t)
			e := mustRaise(t, r, raiseOf(c3, 7, "x1", ReasonChildAtRisk, UrgencyNow, "borrar", t0), Created)
			if _, err := r.chat.(chat.Retention).DeleteExpired(ctx, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Get(ctx, e.ID); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Fatalf("escalation outlived its conversation: %v", err)
			}
			if hist, _ := r.ForConversation(ctx, c3); len(hist) != 0 {
				t.Fatalf("history outlived its conversation: %+v", hist)
			}
			if mine, _ := r.RaisedBy(ctx, 9, t0.Add(-time.Hour)); len(mine) != 1 {
				t.Fatalf("a debrief outside any conversation went with the conversations: %+v", mine)
			}
		})
		t.Run("resolved debriefs outside a conversation expire", func(t *testing.T) {
			d := mustRaise(t, r, raiseOf("", 11, "e1", ReasonDebrief, UrgencyWhenPossible, "", t0), Created)
			open := mustRaise(t, r, raiseOf("", 12, "e2", ReasonDebrief, UrgencyWhenPossible, "", t0), Created)
			r.Resolve(ctx, d.ID, 3, "Sam", OutcomeOther, Note{ID: chat.NewID(), Kind: NoteResolve, At: t0}, t0.Add(time.Hour))
			if n, err := r.Expire(ctx, t0.Add(time.Hour)); err != nil || n != 0 {
				t.Fatalf("expired %d at the cutoff (%v)", n, err)
			}
			if n, err := r.Expire(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
				t.Fatalf("expired %d (%v), want the resolved one", n, err)
			}
			if _, err := r.Get(ctx, d.ID); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Fatalf("an expired debrief is still there: %v", err)
			}
			if _, err := r.Get(ctx, open.ID); err != nil {
				t.Fatalf("an open debrief expired: %v", err)
			}
		})
		t.Run("no escalation for a conversation that does not exist", func(t *testing.T) {
			if _, _, err := r.Raise(ctx, raiseOf(chat.NewID(), 7, "n1", ReasonNeedAdvice, UrgencyNow, "", t0)); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Fatalf("raised for a missing conversation: %v", err)
			}
		})
		t.Run("watchers", func(t *testing.T) {
			r.Watching(ctx, 3, chat.RoleSupervisor, t0)
			r.Watching(ctx, 5, chat.RoleAdmin, t0.Add(time.Minute))
			w, err := r.Watchers(ctx, t0.Add(30*time.Second))
			if err != nil || len(w) != 1 || w[5] != chat.RoleAdmin {
				t.Fatalf("watchers: %v %v", w, err)
			}
		})
	})
}

func claimIDs(t *testing.T, s Store, now time.Time) map[string]bool {
	t.Helper()
	got, err := s.ClaimLate(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range got {
		ids[e.ID] = true
	}
	return ids
}

// Many raises of one conversation and reason at once, and many deadline
// checks at once, as several instances make them: one escalation, and one
// re-alert.
func TestConcurrentRaisesAndChecks(t *testing.T) {
	stores(t, func(t *testing.T, r rig) {
		conv := r.conversation(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, _, err := r.Raise(ctx, raiseOf(conv, int64(10+i), "c", ReasonNeedAdvice, UrgencyNow, "", t0)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		hist, _ := r.ForConversation(ctx, conv)
		if len(hist) != 1 || len(hist[0].Notes) != 8 {
			t.Fatalf("concurrent raises made %d escalations", len(hist))
		}
		var mu sync.Mutex
		claimed := 0
		for range 4 {
			wg.Go(func() {
				got, err := r.ClaimLate(ctx, t0.Add(time.Hour))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				claimed += len(got)
				mu.Unlock()
			})
		}
		wg.Wait()
		if claimed != 1 {
			t.Fatalf("%d deadline checks at once re-alerted %d times", 4, claimed)
		}
	})
}

// Notes are sealed at rest: the plaintext is nowhere in the table.
func TestNotesAreSealedAtRest(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	seal := testSealer(t)
	r := rig{NewPostgresStore(pool, seal), chat.NewPostgresStore(pool, seal, nil)}
	conv := r.conversation(t)
	const secret = "el nombre del colegio"
	mustRaise(t, r, raiseOf(conv, 7, "s1", ReasonChildAtRisk, UrgencyNow, secret, t0), Created)
	var body []byte
	if err := pool.QueryRow(ctx, `SELECT body FROM escalation_notes`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte(secret)) || len(body) == 0 {
		t.Fatalf("note stored in the clear: %q", body)
	}
}
