package answers_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors/answers"
	"helpline/migrations/migrationstest"
)

// Retiring a shared answer takes it out of the counsellors' search and
// keeps it for the managers; an edit keeps it retired; reinstating brings
// it back. Both stores.
func TestRetireSharedAnswers(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) answers.Store{
		"memory": func(t *testing.T) answers.Store { return answers.NewMemoryStore() },
		"postgres": func(t *testing.T) answers.Store {
			pool, _ := migrationstest.MustOpen(t)
			return answers.NewPostgresStore(pool)
		},
	} {
		t.Run(name, func(t *testing.T) { retireContract(t, open(t)) })
	}
}

func retireContract(t *testing.T, store answers.Store) {
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	log := &audit{}
	s := answers.New(store, log, func() time.Time { return at })
	alex := answers.Staff{ID: 1, Role: chat.RoleCounselor, Audiences: []string{"young"}}
	root := answers.Staff{ID: 9, Role: chat.RoleAdmin}
	ids := func(list []answers.Answer) []string {
		out := []string{}
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	for _, a := range []answers.Answer{
		{ID: "svc", Language: "es", Scope: answers.ScopeService, Title: "Bienvenida", Body: "Hola, gracias por escribir"},
		{ID: "team", Language: "en", Scope: answers.ScopeTeam, Team: "young", Title: "Young", Body: "Thanks for writing"},
	} {
		if _, err := s.Save(ctx, root, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Save(ctx, alex, answers.Answer{ID: "mine", Language: "en", Scope: answers.ScopeOwn, Title: "Mine", Body: "Thanks"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Shared(ctx, root, answers.Filter{}); !slices.Equal(ids(got), []string{"svc", "team"}) {
		t.Fatalf("shared answers: %v (never anyone's own)", ids(got))
	}
	if _, err := s.Shared(ctx, alex, answers.Filter{}); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Fatalf("a counsellor listed the shared answers to manage: %v", err)
	}
	if _, err := s.Retire(ctx, alex, "team"); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Fatalf("a counsellor retired a shared answer: %v", err)
	}
	if _, err := s.Retire(ctx, root, "mine"); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Fatalf("an admin retired a counsellor's own answer: %v", err)
	}
	got, err := s.Retire(ctx, root, "team")
	if err != nil || !got.RetiredAt.Equal(at) {
		t.Fatalf("retire: %+v %v", got, err)
	}
	if again, err := s.Retire(ctx, root, "team"); err != nil || !again.RetiredAt.Equal(at) {
		t.Fatalf("retiring twice: %+v %v", again, err)
	}
	if list, _ := s.Visible(ctx, alex, "", ""); slices.Contains(ids(list), "team") {
		t.Fatalf("a retired answer is still offered: %v", ids(list))
	}
	if list, _ := s.Shared(ctx, root, answers.Filter{}); slices.Contains(ids(list), "team") {
		t.Fatalf("retired listed without asking: %v", ids(list))
	}
	if list, _ := s.Shared(ctx, root, answers.Filter{Retired: true, Scope: answers.ScopeTeam, Team: "young", Language: "en", Query: "writing"}); !slices.Equal(ids(list), []string{"team"}) {
		t.Fatalf("filtered with retired: %v", ids(list))
	}
	// An edit keeps it retired (and the store keeps the time).
	if _, err := s.Save(ctx, root, answers.Answer{ID: "team", Language: "en", Scope: answers.ScopeTeam, Team: "young", Title: "Young people", Body: "Thanks"}); err != nil {
		t.Fatal(err)
	}
	if a, err := store.Get(ctx, "team"); err != nil || !a.RetiredAt.Equal(at) || a.Title != "Young people" {
		t.Fatalf("after an edit: %+v %v", a, err)
	}
	if _, err := s.Reinstate(ctx, root, "team"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Visible(ctx, alex, "en", ""); !slices.Contains(ids(list), "team") {
		t.Fatalf("reinstated but not offered: %v", ids(list))
	}
	want := []string{"answer.save answer:svc", "answer.save answer:team", "answer.save answer:mine", "answer.retire answer:team",
		"answer.save answer:team", "answer.reinstate answer:team"}
	if !slices.Equal(log.actions, want) {
		t.Fatalf("audit %q, want %q", log.actions, want)
	}
	log.fail = true
	if _, err := s.Retire(ctx, root, "svc"); chat.ErrorCode(err) != chat.CodeUnavailable {
		t.Fatalf("retired without an audit row: %v", err)
	}
	if a, _ := store.Get(ctx, "svc"); a.Retired() {
		t.Fatal("retired although not audited")
	}
}
