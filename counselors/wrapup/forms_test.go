package wrapup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors/wrapup"
	"helpline/migrations/migrationstest"
)

// formWorld is a wrap-up store, a chat store and a versions store shared by
// two instances' services.
type formWorld struct {
	world
	forms func() wrapup.FormStore // each call: the same versions, as a second instance sees them
}

func formWorlds() map[string]func(t *testing.T) formWorld {
	return map[string]func(t *testing.T) formWorld{
		"memory": func(t *testing.T) formWorld {
			forms := wrapup.NewMemoryForms()
			return formWorld{worlds()["memory"](t), func() wrapup.FormStore { return forms }}
		},
		"postgres": func(t *testing.T) formWorld {
			pool, _ := migrationstest.MustOpen(t)
			seal, _ := chat.ParseKeys(chat.NewKey("k1"))
			return formWorld{world{wrapup.NewPostgresStore(pool), chat.NewPostgresStore(pool, seal, nil)},
				func() wrapup.FormStore { return wrapup.NewPostgresForms(pool) }}
		},
	}
}

// withOption is the default form's fields with one more contact type.
func withOption(f wrapup.Form) []wrapup.Field {
	fields := f.Fields
	out := make([]wrapup.Field, len(fields))
	copy(out, fields)
	ct := out[0]
	ct.Options = append(append([]wrapup.Option{}, ct.Options...), wrapup.Option{ID: "professional",
		Label: map[string]string{"es": "Un profesional que consulta", "en": "A professional asking for advice"}})
	ct.Label = map[string]string{"es": "Tipo de contacto", "en": "Kind of contact"}
	out[0] = ct
	return out
}

// An admin saves a new version of the form: new wrap-ups are written with
// it, on the other instance too once it checks; a draft started before
// keeps its version through completion; the counts of both versions stay
// readable for the report. Both stores.
func TestFormVersions(t *testing.T) {
	for name, open := range formWorlds() {
		t.Run(name, func(t *testing.T) {
			w := open(t)
			ctx := context.Background()
			now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			h := &holder{w.chat, 1}
			log := &audit{}
			one := wrapup.New(wrapup.DefaultForm(), w.wrapups, h, log, clock)
			two := wrapup.New(wrapup.DefaultForm(), w.wrapups, h, log, clock)
			if err := one.UseVersions(ctx, w.forms(), time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := two.UseVersions(ctx, w.forms(), time.Minute); err != nil {
				t.Fatal(err)
			}
			v1 := wrapup.DefaultForm().Version
			root := chat.Principal{Role: chat.RoleAdmin, StaffID: 9}
			alex := chat.Principal{Role: chat.RoleCounselor, StaffID: 1}
			if list, err := one.FormVersions(ctx, root); err != nil || len(list) != 1 || list[0].Version != v1 {
				t.Fatalf("versions at the start: %+v %v (the deployment's form stored once)", list, err)
			}
			older, _ := w.chat.CreateConversation(ctx, chat.NewConversation{Language: "es"})
			if _, err := one.SaveDraft(ctx, alex, older.ID, map[string]string{"contact_type": "silent"}); err != nil {
				t.Fatal(err)
			}

			if _, _, err := one.SaveForm(ctx, alex, v1, withOption(one.Form())); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Fatalf("a counsellor saved the form: %v", err)
			}
			if f, created, err := one.SaveForm(ctx, root, v1, one.Form().Fields); err != nil || created || f.Version != v1 {
				t.Fatalf("saving the same fields: %v %v %v (no new version)", f.Version, created, err)
			}
			v2form, created, err := one.SaveForm(ctx, root, v1, withOption(one.Form()))
			if err != nil || !created || v2form.Version != "2026-12-02.2" {
				t.Fatalf("new version: %q %v %v", v2form.Version, created, err)
			}
			v2 := v2form.Version
			if _, _, err := one.SaveForm(ctx, root, v1, withOption(one.Form())); chat.ErrorCode(err) != chat.CodeConflict {
				t.Fatalf("saving over a version edited meanwhile: %v", err)
			}

			// The other instance: the old form until it checks again.
			if got := two.Form().Version; got != v1 {
				t.Fatalf("the other instance switched before its check: %s", got)
			}
			now = now.Add(time.Minute)
			newer, _ := w.chat.CreateConversation(ctx, chat.NewConversation{Language: "en"})
			if got, err := two.Get(ctx, alex, newer.ID); err != nil || got.FormVersion != v2 {
				t.Fatalf("a new wrap-up on the other instance: %+v %v", got, err)
			}
			if f, err := two.FormVersion(ctx, alex, v1); err != nil || f.Version != v1 || len(f.Fields[0].Options) != len(v2form.Fields[0].Options)-1 {
				t.Fatalf("the old version: %v %v", f.Version, err)
			}
			if _, err := two.FormVersion(ctx, alex, "nope"); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Fatalf("an unknown version: %v", err)
			}

			answers := func(contact string) map[string]string {
				return map[string]string{"contact_type": contact, "category": "online/viewing_images",
					"protective_actions": "yes", "referral_made": "no", "risk_identified": "none"}
			}
			for _, c := range []chat.Conversation{older, newer} {
				if _, _, err := w.chat.End(ctx, c.ID, chat.EndedByLeft); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := two.Complete(ctx, alex, older.ID, answers("professional")); chat.ErrorCode(err) != chat.CodeInvalid {
				t.Fatalf("an older draft took an answer of the new version: %v", err)
			}
			done, err := two.Complete(ctx, alex, older.ID, answers("silent"))
			if err != nil || done.FormVersion != v1 {
				t.Fatalf("the older wrap-up: %+v %v (keeps version %s)", done, err, v1)
			}
			done, err = two.Complete(ctx, alex, newer.ID, answers("professional"))
			if err != nil || done.FormVersion != v2 {
				t.Fatalf("the new wrap-up: %+v %v", done, err)
			}
			if got, _ := w.wrapups.Get(ctx, older.ID); got.FormVersion != v1 {
				t.Fatalf("stored older wrap-up: %+v", got)
			}
			counts, err := one.DailyCounts(ctx, now, now)
			if err != nil {
				t.Fatal(err)
			}
			by := map[string]int64{}
			for _, c := range counts {
				by[c.FormVersion+" "+c.Field+"="+c.Value] += c.N
			}
			if by[v1+" _completed=yes"] != 1 || by[v2+" _completed=yes"] != 1 || by[v2+" contact_type=professional"] != 1 ||
				by[v1+" category=online/viewing_images"] != 1 || by[v2+" category=online/viewing_images"] != 1 {
				t.Fatalf("counts of both versions: %v", by)
			}
		})
	}
}

// What a new version may not be, each refused with what to do.
func TestFormVersionValidation(t *testing.T) {
	ctx := context.Background()
	mem := chat.NewMemoryStore(nil)
	log := &audit{}
	s := wrapup.New(wrapup.DefaultForm(), wrapup.NewMemoryStore(nil), &holder{mem, 1}, log, nil)
	forms := wrapup.NewMemoryForms()
	if err := s.UseVersions(ctx, forms, 0); err != nil {
		t.Fatal(err)
	}
	root := chat.Principal{Role: chat.RoleAdmin, StaffID: 9}
	v1 := s.Form().Version
	change := func(edit func(fields []wrapup.Field) []wrapup.Field) []wrapup.Field {
		fields := wrapup.DefaultForm().Fields
		return edit(fields)
	}
	opt := func(id string) wrapup.Option {
		return wrapup.Option{ID: id, Label: map[string]string{"es": "Opción " + id, "en": "Option " + id}}
	}
	for what, c := range map[string]struct {
		fields []wrapup.Field
		says   string
	}{
		"a field asking for a phone": {change(func(f []wrapup.Field) []wrapup.Field {
			return append(f, wrapup.Field{ID: "caller_phone", Label: map[string]string{"es": "Teléfono", "en": "Phone"}, Options: []wrapup.Option{opt("a"), opt("b")}})
		}), "who someone is"},
		"a label asking for a name": {change(func(f []wrapup.Field) []wrapup.Field {
			return append(f, wrapup.Field{ID: "who", Label: map[string]string{"es": "Nombre de la persona", "en": "Their name"}, Options: []wrapup.Option{opt("a"), opt("b")}})
		}), "never records"},
		"a label missing in Spanish": {change(func(f []wrapup.Field) []wrapup.Field {
			return append(f, wrapup.Field{ID: "extra", Label: map[string]string{"en": "Extra"}, Options: []wrapup.Option{opt("a"), opt("b")}})
		}), `label in "es" missing`},
		"a key with capitals": {change(func(f []wrapup.Field) []wrapup.Field {
			return append(f, wrapup.Field{ID: "Extra", Label: map[string]string{"es": "Más", "en": "More"}, Options: []wrapup.Option{opt("a"), opt("b")}})
		}), "a-z, 0-9"},
		"one option only": {change(func(f []wrapup.Field) []wrapup.Field {
			return append(f, wrapup.Field{ID: "extra", Label: map[string]string{"es": "Más", "en": "More"}, Options: []wrapup.Option{opt("a")}})
		}), "at least two options"},
		"a second level removed": {change(func(f []wrapup.Field) []wrapup.Field {
			f[1].Options[0].Children = nil
			return f
		}), "keep it so"},
	} {
		_, _, err := s.SaveForm(ctx, root, v1, c.fields)
		if chat.ErrorCode(err) != chat.CodeInvalid || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want invalid saying %q", what, err, c.says)
		}
	}
	log.fail = true
	fields := change(func(f []wrapup.Field) []wrapup.Field {
		f[0].Label = map[string]string{"es": "Tipo", "en": "Type"}
		return f
	})
	if _, _, err := s.SaveForm(ctx, root, v1, fields); chat.ErrorCode(err) != chat.CodeUnavailable {
		t.Fatalf("saved without an audit row: %v", err)
	}
	if list, _ := forms.List(ctx); len(list) != 1 {
		t.Fatalf("versions after refusals: %+v", list)
	}
}
