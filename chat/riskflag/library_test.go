package riskflag

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

type listAudit struct {
	fail    bool
	actions []string
}

func (a *listAudit) Record(_ context.Context, _ int64, action, target, _ string) error {
	if a.fail {
		return errors.New("audit log away")
	}
	a.actions = append(a.actions, action+" "+target)
	return nil
}

// forEachListStore runs test on both stores; open returns the same lists
// as a second instance sees them.
func forEachListStore(t *testing.T, test func(t *testing.T, open func() ListStore)) {
	t.Run("memory", func(t *testing.T) {
		mem := NewMemoryLists()
		test(t, func() ListStore { return mem })
	})
	t.Run("postgres", func(t *testing.T) {
		pool, _ := migrationstest.MustOpen(t)
		test(t, func() ListStore { return NewPostgresLists(pool) })
	})
}

func categoryOf(f *File, id string) *FileCategory {
	for i := range f.Categories {
		if f.Categories[i].ID == id {
			return &f.Categories[i]
		}
	}
	return nil
}

// An admin adds a phrase and marks a category imminent: a new version of
// the list, matched at once on this instance and on another at its next
// check, and the match names the new version. Both stores.
func TestLibraryVersions(t *testing.T) {
	forEachListStore(t, func(t *testing.T, open func() ListStore) {
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		loaded, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		log := &listAudit{}
		cfg := LibraryConfig{Store: open(), Audit: log, Loaded: loaded, Every: time.Minute, Now: clock}
		one, err := NewLibrary(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Store = open()
		two, err := NewLibrary(ctx, cfg) // the loaded lists are stored once
		if err != nil {
			t.Fatal(err)
		}
		root := chat.Principal{Role: chat.RoleAdmin, StaffID: 9}
		if v, err := one.Versions(ctx, root, "en"); err != nil || len(v) != 1 || v[0].CreatedBy != 0 {
			t.Fatalf("versions of en at the start: %+v %v", v, err)
		}
		text := "I keep thinking about the playground gate"
		if hits := one.Matcher(ctx).Match(text); len(hits) != 0 {
			t.Fatalf("matched before the phrase was added: %+v", hits)
		}
		var en *List
		for _, l := range one.Matcher(ctx).Lists() {
			if l.Name == "en" {
				en = l
			}
		}
		edit := en.Source()
		distress := categoryOf(&edit, CategoryAcuteDistress)
		distress.Phrases = append(distress.Phrases, "  the   playground gate ")
		distress.Imminent = true

		if _, _, err := one.Save(ctx, chat.Principal{Role: chat.RoleSupervisor, StaffID: 2}, "en", en.Version, edit); chat.ErrorCode(err) != chat.CodeNotFound {
			t.Fatalf("a supervisor saved a list: %v", err)
		}
		saved, created, err := one.Save(ctx, root, "en", en.Version, edit)
		if err != nil || !created || saved.Version != "2026-12-03.2" {
			t.Fatalf("save: %v %v %v", saved, created, err)
		}
		if got := categoryOf(ptr(saved.Source()), CategoryAcuteDistress).Phrases; got[len(got)-1] != "the playground gate" {
			t.Fatalf("the phrase is not tidied: %q", got[len(got)-1])
		}
		if _, _, err := one.Save(ctx, root, "en", en.Version, edit); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("a save over a version changed since: %v", err)
		}
		if _, created, err := one.Save(ctx, root, "en", saved.Version, saved.Source()); err != nil || created {
			t.Fatalf("saving the same list again: %v %v (no new version)", created, err)
		}
		hits := one.Matcher(ctx).Match(text)
		if len(hits) != 1 || hits[0].Version != saved.Version || !hits[0].Imminent || hits[0].Words != "the playground gate" {
			t.Fatalf("this instance: %+v", hits)
		}
		if hits := two.Matcher(ctx).Match(text); len(hits) != 0 {
			t.Fatalf("the other instance matched before its check: %+v", hits)
		}
		now = now.Add(time.Minute)
		if hits := two.Matcher(ctx).Match(text); len(hits) != 1 || hits[0].Version != saved.Version {
			t.Fatalf("the other instance after its check: %+v", hits)
		}
		if v, _ := two.Versions(ctx, root, "en"); len(v) != 2 || v[0].Version != saved.Version || v[0].CreatedBy != 9 {
			t.Fatalf("versions after the edit: %+v", v)
		}
		// A restart with the same shipped lists keeps the admin's version.
		cfg.Store = open()
		three, err := NewLibrary(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if hits := three.Matcher(ctx).Match(text); len(hits) != 1 {
			t.Fatalf("after a restart the admin's version is gone: %+v", hits)
		}
		if !slices.Equal(log.actions, []string{"phrases.save phrases:en:" + saved.Version}) {
			t.Fatalf("audit: %q", log.actions)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// What an edit may not hold, each refused with what is wrong.
func TestLibraryValidation(t *testing.T) {
	ctx := context.Background()
	loaded, _ := Load("")
	log := &listAudit{}
	lib, err := NewLibrary(ctx, LibraryConfig{Store: NewMemoryLists(), Audit: log, Loaded: loaded})
	if err != nil {
		t.Fatal(err)
	}
	root := chat.Principal{Role: chat.RoleAdmin, StaffID: 9}
	var es *List
	for _, l := range loaded {
		if l.Name == "es" {
			es = l
		}
	}
	for what, c := range map[string]struct {
		edit func(c *FileCategory)
		says string
	}{
		"an empty phrase":         {func(c *FileCategory) { c.Phrases = append(c.Phrases, "   ") }, "is empty"},
		"a phrase too short":      {func(c *FileCategory) { c.Phrases = append(c.Phrases, "me voy") }, "too short to be safe"},
		"one word, too short":     {func(c *FileCategory) { c.Phrases = append(c.Phrases, "morir") }, "too short to be safe"},
		"a duplicate":             {func(c *FileCategory) { c.Phrases = append(c.Phrases, strings.ToUpper(c.Phrases[0])) }, "the same as"},
		"a duplicate by accents":  {func(c *FileCategory) { c.Phrases = append(c.Phrases, "quiero morirme ya", "quiero morírme ya") }, "the same as"},
		"no phrases":              {func(c *FileCategory) { c.Phrases = nil }, "has no phrases"},
		"an empty exception":      {func(c *FileCategory) { c.Except = append(c.Except, "") }, "is empty"},
		"a stem of three letters": {func(c *FileCategory) { c.Phrases = append(c.Phrases, "sui* pensamientos") }, "at least 4 letters"},
	} {
		f := es.Source()
		c.edit(categoryOf(&f, CategorySelfHarm))
		_, _, err := lib.Save(ctx, root, "es", es.Version, f)
		if chat.ErrorCode(err) != chat.CodeInvalid || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want invalid saying %q", what, err, c.says)
		}
	}
	f := es.Source()
	f.Language = "Spanish"
	if _, _, err := lib.Save(ctx, root, "es", es.Version, f); chat.ErrorCode(err) != chat.CodeInvalid {
		t.Errorf("a language that is no code: %v", err)
	}
	// The shipped lists pass the same checks.
	for _, l := range loaded {
		f := l.Source()
		if err := CheckEdit(&f); err != nil {
			t.Errorf("shipped list %s: %v", l.Name, err)
		}
	}
	log.fail = true
	f = es.Source()
	categoryOf(&f, CategorySelfHarm).Imminent = false
	if _, _, err := lib.Save(ctx, root, "es", es.Version, f); chat.ErrorCode(err) != chat.CodeUnavailable {
		t.Fatalf("saved without an audit row: %v", err)
	}
	if v, _ := lib.Versions(ctx, root, "es"); len(v) != 1 {
		t.Fatalf("versions after refusals: %+v", v)
	}
}

// The service matches each batch with the library's newest lists, and the
// flag names the version that matched.
func TestServiceMatchesWithTheNewestVersion(t *testing.T) {
	ctx := context.Background()
	loaded, _ := Load("")
	lib, err := NewLibrary(ctx, LibraryConfig{Store: NewMemoryLists(), Audit: &listAudit{}, Loaded: loaded})
	if err != nil {
		t.Fatal(err)
	}
	store, c := NewMemoryStore(), &recordingChat{}
	s := New(Config{Lists: lib, Store: store})
	s.SetChat(c)
	id := chat.NewID()
	s.SeekerTexts(ctx, []chat.Message{seekerMessage(id, 1, "pienso en la puerta del colegio")})
	if len(c.frames) != 0 {
		t.Fatalf("flagged before the phrase was added: %+v", c.frames)
	}
	var es *List
	for _, l := range lib.Matcher(ctx).Lists() {
		if l.Name == "es" {
			es = l
		}
	}
	f := es.Source()
	categoryOf(&f, CategoryChildAtRiskNow).Phrases = append(categoryOf(&f, CategoryChildAtRiskNow).Phrases, "puerta del colegio")
	saved, _, err := lib.Save(ctx, chat.Principal{Role: chat.RoleAdmin, StaffID: 1}, "es", es.Version, f)
	if err != nil {
		t.Fatal(err)
	}
	s.SeekerTexts(ctx, []chat.Message{seekerMessage(id, 2, "pienso en la puerta del colegio")})
	flags, _ := store.List(ctx, id)
	if len(c.frames) != 1 || len(flags) != 1 || flags[0].Version != saved.Version || flags[0].List != "es" || c.frames[0].Version != saved.Version {
		t.Fatalf("frames %+v flags %+v; want one flag of es %s", c.frames, flags, saved.Version)
	}
}
