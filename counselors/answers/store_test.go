package answers_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors/answers"
	"helpline/migrations/migrationstest"
)

// Both stores pass the same contract, and so does the service on each.
func TestStoreContract(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) answers.Store{
		"memory": func(t *testing.T) answers.Store { return answers.NewMemoryStore() },
		"postgres": func(t *testing.T) answers.Store {
			pool, _ := migrationstest.MustOpen(t)
			return answers.NewPostgresStore(pool)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Run("store", func(t *testing.T) { storeContract(t, open(t)) })
			t.Run("service", func(t *testing.T) { serviceContract(t, open(t)) })
		})
	}
}

func storeContract(t *testing.T, s answers.Store) {
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	a := answers.Answer{ID: "a1", Language: "es", Scope: answers.ScopeOwn, OwnerID: 7, Title: "Hola", Body: "Hola {{name}}", Tags: []string{"x"}, UpdatedAt: at}
	if err := s.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "a1")
	if err != nil || got.Title != "Hola" || got.OwnerID != 7 || !slices.Equal(got.Tags, []string{"x"}) || !got.UpdatedAt.Equal(at) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	a.Title = "Buenas"
	if err := s.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.List(ctx); len(all) != 1 || all[0].Title != "Buenas" {
		t.Fatalf("after replacing: %+v", all)
	}
	if err := s.Delete(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a1"); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Delete(ctx, "a1"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

type audit struct {
	fail    bool
	actions []string
}

func (a *audit) Record(_ context.Context, _ int64, action, target, _ string) error {
	if a.fail {
		return errors.New("audit log away")
	}
	a.actions = append(a.actions, action+" "+target)
	return nil
}

func serviceContract(t *testing.T, store answers.Store) {
	ctx := context.Background()
	if n, err := answers.LoadDefaults(ctx, store, time.Now()); err != nil || n == 0 {
		t.Fatalf("LoadDefaults = %d, %v", n, err)
	}
	if n, _ := answers.LoadDefaults(ctx, store, time.Now()); n != 0 {
		t.Fatalf("LoadDefaults into a store with answers loaded %d", n)
	}
	log := &audit{}
	s := answers.New(store, log, nil)
	alex := answers.Staff{ID: 1, Role: chat.RoleCounselor, Audiences: []string{"self"}}
	kim := answers.Staff{ID: 2, Role: chat.RoleCounselor, Audiences: []string{"young"}}
	sam := answers.Staff{ID: 3, Role: chat.RoleSupervisor}

	// Search as you type: every word, accents and case ignored.
	found, err := s.Visible(ctx, alex, "es", "region derivacion")
	if err != nil || len(found) == 0 {
		t.Fatalf("search: %v, %v", found, err)
	}
	for _, a := range found {
		if a.Language != "es" || a.Scope == answers.ScopeTeam && a.Team != "self" {
			t.Errorf("alex sees %+v", a)
		}
	}
	young := func(st answers.Staff) bool {
		list, _ := s.Visible(ctx, st, "en", "young")
		return slices.ContainsFunc(list, func(a answers.Answer) bool { return a.ID == "en-young" })
	}
	if young(alex) || !young(kim) || !young(sam) {
		t.Errorf("team answer for young people: alex %v, kim %v, sam %v", young(alex), young(kim), young(sam))
	}

	// Counsellors their own; shared ones only supervisors and admins.
	own := answers.Answer{ID: "alex-1", Language: "en", Scope: answers.ScopeOwn, Title: "Mine", Body: "See you {{day}}", Tags: []string{" Close ", "close"}}
	saved, err := s.Save(ctx, alex, own)
	if err != nil || saved.OwnerID != 1 || !slices.Equal(saved.Tags, []string{"close"}) {
		t.Fatalf("own answer: %+v, %v", saved, err)
	}
	if _, err := s.Save(ctx, kim, own); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Errorf("kim overwrote alex's answer: %v", err)
	}
	if list, _ := s.Visible(ctx, kim, "en", "mine"); len(list) != 0 {
		t.Errorf("kim sees alex's own answer: %+v", list)
	}
	shared := answers.Answer{ID: "svc-1", Language: "en", Scope: answers.ScopeService, Title: "Shared", Body: "Hello"}
	if _, err := s.Save(ctx, alex, shared); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Errorf("a counsellor saved a shared answer: %v", err)
	}
	if _, err := s.Save(ctx, sam, shared); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, alex, "svc-1"); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Errorf("a counsellor deleted a shared answer: %v", err)
	}
	if _, err := s.Save(ctx, sam, answers.Answer{ID: "bad", Language: "en", Scope: answers.ScopeTeam, Team: "nobody", Title: "x", Body: "y"}); chat.ErrorCode(err) != chat.CodeInvalid {
		t.Errorf("unknown team: %v", err)
	}

	// Audited first; no audit, no change.
	log.fail = true
	if err := s.Delete(ctx, sam, "svc-1"); chat.ErrorCode(err) != chat.CodeUnavailable {
		t.Errorf("delete without audit: %v", err)
	}
	if _, err := store.Get(ctx, "svc-1"); err != nil {
		t.Errorf("deleted although not audited: %v", err)
	}
	log.fail = false
	if err := s.Delete(ctx, sam, "svc-1"); err != nil {
		t.Fatal(err)
	}
	want := []string{"answer.save answer:alex-1", "answer.save answer:svc-1", "answer.delete answer:svc-1"}
	if !slices.Equal(log.actions, want) {
		t.Errorf("audit rows %q, want %q", log.actions, want)
	}
}

func TestPlaceholders(t *testing.T) {
	got := answers.Placeholders("En {{region}} hay {{ servicio }}; {{region}} {notone} {{}}")
	if !slices.Equal(got, []string{"region", "servicio"}) {
		t.Errorf("Placeholders = %q", got)
	}
}

// The starting set exists in both languages, and only its shared answers
// and two teams' are in it.
func TestDefaultsInBothLanguages(t *testing.T) {
	set, err := answers.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, a := range set {
		n[a.Language]++
	}
	if n["es"] == 0 || n["es"] != n["en"] || len(n) != 2 {
		t.Errorf("answers per language: %v", n)
	}
}
