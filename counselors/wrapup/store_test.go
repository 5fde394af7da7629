package wrapup_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors/wrapup"
	"helpline/migrations/migrationstest"
)

type world struct {
	wrapups wrapup.Store
	chat    chat.Store
}

func worlds() map[string]func(t *testing.T) world {
	return map[string]func(t *testing.T) world{
		"memory": func(t *testing.T) world {
			mem := chat.NewMemoryStore(nil)
			w := wrapup.NewMemoryStore(func(ctx context.Context, id string) bool { _, err := mem.Conversation(ctx, id); return err == nil })
			mem.OnForget(w.Forget)
			return world{w, mem}
		},
		"postgres": func(t *testing.T) world {
			pool, _ := migrationstest.MustOpen(t)
			seal, err := chat.ParseKeys(chat.NewKey("k1"))
			if err != nil {
				t.Fatal(err)
			}
			return world{wrapup.NewPostgresStore(pool), chat.NewPostgresStore(pool, seal, nil)}
		},
	}
}

// holder is chat's take-part rule for the test: the conversation's
// CounselorID field is not set by CreateConversation, so staff 1 holds all.
type holder struct {
	store  chat.Store
	holder int64
}

func (h *holder) Conversation(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error) {
	c, err := h.store.Conversation(ctx, id)
	if err == nil && p.StaffID != h.holder {
		return chat.Conversation{}, chat.ErrNotFound
	}
	return c, err
}

type audit struct{ fail bool }

func (a *audit) Record(context.Context, int64, string, string, string) error {
	if a.fail {
		return errors.New("audit log away")
	}
	return nil
}

var complete = map[string]string{"contact_type": "own_thoughts", "category": "online/viewing_images",
	"protective_actions": "yes", "referral_made": "information", "risk_identified": "none"}

func TestContract(t *testing.T) {
	for name, open := range worlds() {
		t.Run(name, func(t *testing.T) {
			w := open(t)
			ctx := context.Background()
			now := time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC)
			c, err := w.chat.CreateConversation(ctx, chat.NewConversation{Language: "en"})
			if err != nil {
				t.Fatal(err)
			}
			h := &holder{w.chat, 1}
			log := &audit{}
			s := wrapup.New(wrapup.DefaultForm(), w.wrapups, h, log, func() time.Time { return now })
			alex := chat.Principal{Role: chat.RoleCounselor, StaffID: 1}
			kim := chat.Principal{Role: chat.RoleCounselor, StaffID: 2}

			got, err := s.Get(ctx, alex, c.ID)
			if err != nil || got.Done || got.FormVersion != s.Form().Version || len(got.Answers) != 0 {
				t.Fatalf("empty draft: %+v, %v", got, err)
			}
			if _, err := s.SaveDraft(ctx, alex, c.ID, map[string]string{"contact_type": "own_thoughts"}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []map[string]string{{"name": "x"}, {"category": "online"}, {"category": "online/nothing"}, {"contact_type": "Juan"}} {
				if _, err := s.SaveDraft(ctx, alex, c.ID, bad); chat.ErrorCode(err) != chat.CodeInvalid {
					t.Errorf("draft %v: %v", bad, err)
				}
			}
			// Transferred: the draft is the conversation's, the new holder's now.
			h.holder = 2
			if _, err := s.Get(ctx, alex, c.ID); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Errorf("the former holder still reads the wrap-up: %v", err)
			}
			if got, err := s.Get(ctx, kim, c.ID); err != nil || got.Answers["contact_type"] != "own_thoughts" {
				t.Errorf("the draft did not follow the conversation: %+v, %v", got, err)
			}
			if _, err := s.Complete(ctx, kim, c.ID, complete); chat.ErrorCode(err) != chat.CodeConflict {
				t.Errorf("completed before the conversation ended: %v", err)
			}
			if _, err := s.Complete(ctx, kim, c.ID, map[string]string{"contact_type": "silent"}); chat.ErrorCode(err) != chat.CodeInvalid {
				t.Errorf("completed with required fields missing: %v", err)
			}
			if _, _, err := w.chat.End(ctx, c.ID, chat.EndedByLeft); err != nil {
				t.Fatal(err)
			}
			log.fail = true
			if _, err := s.Complete(ctx, kim, c.ID, complete); chat.ErrorCode(err) != chat.CodeUnavailable {
				t.Errorf("completed without audit: %v", err)
			}
			log.fail = false
			done, err := s.Complete(ctx, kim, c.ID, complete)
			if err != nil || !done.Done || done.FormVersion != s.Form().Version {
				t.Fatalf("Complete = %+v, %v", done, err)
			}
			if _, err := s.Complete(ctx, kim, c.ID, complete); err != nil {
				t.Errorf("completing again (a retry): %v", err)
			}
			other := map[string]string{"contact_type": "silent", "category": "other", "protective_actions": "not_discussed", "referral_made": "no", "risk_identified": "none"}
			if _, err := s.Complete(ctx, kim, c.ID, other); chat.ErrorCode(err) != chat.CodeConflict {
				t.Errorf("completing again with other answers: %v", err)
			}
			if _, err := s.SaveDraft(ctx, kim, c.ID, other); chat.ErrorCode(err) != chat.CodeConflict {
				t.Errorf("a draft over a completed wrap-up: %v", err)
			}

			// The seeker erases the conversation: the wrap-up goes, its counts stay.
			if err := w.chat.(chat.Retention).DeleteConversation(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.wrapups.Get(ctx, c.ID); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Errorf("wrap-up left after erasure: %v", err)
			}
			counts, err := s.DailyCounts(ctx, now.Add(-24*time.Hour), now)
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]int64{}
			for _, n := range counts {
				if !n.Day.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) || n.FormVersion != s.Form().Version {
					t.Errorf("count %+v", n)
				}
				have[n.Field+"="+n.Value] = n.N
			}
			want := map[string]int64{"_completed=yes": 1, "contact_type=own_thoughts": 1, "category=online/viewing_images": 1,
				"protective_actions=yes": 1, "referral_made=information": 1, "risk_identified=none": 1}
			if len(have) != len(want) {
				t.Errorf("counts %v, want %v", have, want)
			}
			for k, n := range want {
				if have[k] != n {
					t.Errorf("count %s = %d, want %d", k, have[k], n)
				}
			}
			if none, _ := s.DailyCounts(ctx, now.Add(24*time.Hour), now.Add(48*time.Hour)); len(none) != 0 {
				t.Errorf("counts on other days: %v", none)
			}
		})
	}
}

func TestFormRefusesIdentifyingFields(t *testing.T) {
	for _, form := range []string{
		`{"version":"1","fields":[{"id":"caller_name","label":{"es":"a","en":"a"},"options":[{"id":"a","label":{"es":"a","en":"a"}},{"id":"b","label":{"es":"b","en":"b"}}]}]}`,
		`{"version":"1","fields":[{"id":"x","kind":"text","label":{"es":"a","en":"a"},"options":[]}]}`,
		`{"version":"1","fields":[{"id":"x","label":{"es":"a"},"options":[{"id":"a","label":{"es":"a","en":"a"}},{"id":"b","label":{"es":"b","en":"b"}}]}]}`,
		`{"version":"","fields":[]}`,
	} {
		if _, err := wrapup.ParseForm([]byte(form)); err == nil {
			t.Errorf("form accepted: %s", form)
		}
	}
}

// The counts are written in the wrap-up's own transaction: when they cannot
// be, the wrap-up is not completed either.
func TestCountsAndWrapupCommitTogether(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	seal, _ := chat.ParseKeys(chat.NewKey("k1"))
	cs := chat.NewPostgresStore(pool, seal, nil)
	c, err := cs.CreateConversation(ctx, chat.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	store := wrapup.NewPostgresStore(pool)
	if _, err := pool.Exec(ctx, `ALTER TABLE wrapup_counts ADD CONSTRAINT no_risk CHECK (field <> 'risk_identified')`); err != nil {
		t.Fatal(err)
	}
	w := wrapup.Wrapup{ConversationID: c.ID, FormVersion: "v", Answers: complete, Done: true, UpdatedBy: 1, UpdatedAt: time.Now().UTC()}
	if _, err := store.Complete(ctx, w, time.Now()); err == nil {
		t.Fatal("completed although a count could not be written")
	}
	if _, err := store.Get(ctx, c.ID); chat.ErrorCode(err) != chat.CodeNotFound {
		t.Errorf("the wrap-up was stored without its counts: %v", err)
	}
	if counts, _ := store.Counts(ctx, time.Now().Add(-48*time.Hour), time.Now().Add(48*time.Hour)); len(counts) != 0 {
		t.Errorf("some counts were written: %v", counts)
	}
}

// A deployment's own form comes from HELPLINE_WRAPUP_FORM; a broken one is
// refused with what is wrong, so the service does not start with it.
func TestLoadFormFromAFile(t *testing.T) {
	dir := t.TempDir()
	good := dir + "/form.json"
	if err := os.WriteFile(good, []byte(`{"version":"2027-01","fields":[{"id":"contact_type","required":true,"label":{"es":"Tipo","en":"Type"},
		"options":[{"id":"own_thoughts","label":{"es":"Propios","en":"Own"}},{"id":"prefer_not_to_say","label":{"es":"Prefiere no decirlo","en":"Prefers not to say"}}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := wrapup.LoadForm(good)
	if err != nil || f.Version != "2027-01" || len(f.Fields) != 1 {
		t.Fatalf("LoadForm = %+v, %v", f, err)
	}
	bad := dir + "/bad.json"
	os.WriteFile(bad, []byte(`{"version":"x","fields":[{"id":"phone_number","label":{"es":"a","en":"a"},"options":[]}]}`), 0o600)
	if _, err := wrapup.LoadForm(bad); err == nil || !strings.Contains(err.Error(), "HELPLINE_WRAPUP_FORM") {
		t.Fatalf("a broken form: %v", err)
	}
	if f, err := wrapup.LoadForm(""); err != nil || f.Version != wrapup.DefaultForm().Version {
		t.Fatalf("the default form: %v", err)
	}
}
