package casenotes_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"helpline/chat"
	"helpline/counselors/casenotes"
	"helpline/migrations/migrationstest"
)

type world struct {
	notes casenotes.Store
	chat  chat.Store
}

func worlds() map[string]func(t *testing.T) world {
	return map[string]func(t *testing.T) world{
		"memory": func(t *testing.T) world {
			mem := chat.NewMemoryStore(nil)
			notes := casenotes.NewMemoryStore(func(ctx context.Context, id string) bool { _, err := mem.Conversation(ctx, id); return err == nil })
			mem.OnForget(notes.Forget)
			return world{notes, mem}
		},
		"postgres": func(t *testing.T) world {
			pool, _ := migrationstest.MustOpen(t)
			seal, err := chat.ParseKeys(chat.NewKey("k1"))
			if err != nil {
				t.Fatal(err)
			}
			return world{casenotes.NewPostgresStore(pool, seal), chat.NewPostgresStore(pool, seal, nil)}
		},
	}
}

// rule is chat's read rule for the test: staff 1 holds the conversation,
// supervisors read it.
type rule struct{ store chat.Store }

func (r rule) MayRead(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error) {
	c, err := r.store.Conversation(ctx, id)
	if err != nil {
		return c, err
	}
	if p.StaffID == 1 || p.Role == chat.RoleSupervisor {
		return c, nil
	}
	return chat.Conversation{}, chat.ErrNotFound
}

type audit struct {
	fail bool
	rows []string
}

func (a *audit) Record(_ context.Context, actor int64, action, target, _ string) error {
	if a.fail {
		return errors.New("audit log away")
	}
	a.rows = append(a.rows, action)
	return nil
}

func TestContract(t *testing.T) {
	for name, open := range worlds() {
		t.Run(name, func(t *testing.T) {
			w := open(t)
			ctx := context.Background()
			c, err := w.chat.CreateConversation(ctx, chat.NewConversation{Language: "es"})
			if err != nil {
				t.Fatal(err)
			}
			log := &audit{}
			s := casenotes.New(w.notes, rule{w.chat}, log, nil)
			alex := chat.Principal{Role: chat.RoleCounselor, StaffID: 1}
			kim := chat.Principal{Role: chat.RoleCounselor, StaffID: 2}
			sam := chat.Principal{Role: chat.RoleSupervisor, StaffID: 3}

			n, err := s.Add(ctx, alex, "Alex", c.ID, "n1", "  Dijo que vive solo; plan para el fin de semana  ")
			if err != nil || n.Body != "Dijo que vive solo; plan para el fin de semana" {
				t.Fatalf("Add = %+v, %v", n, err)
			}
			if again, err := s.Add(ctx, alex, "Alex", c.ID, "n1", "something else"); err != nil || again.Body != n.Body {
				t.Errorf("a retry stored again: %+v, %v", again, err)
			}
			if _, err := s.Add(ctx, sam, "Sam", c.ID, "n2", "Revisado en supervisión"); err != nil {
				t.Fatal(err)
			}
			list, err := s.List(ctx, sam, c.ID)
			if err != nil || len(list) != 2 || list[0].AuthorName != "Alex" || list[1].Body != "Revisado en supervisión" {
				t.Fatalf("List = %+v, %v", list, err)
			}
			if _, err := s.List(ctx, kim, c.ID); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Errorf("a counsellor not on the conversation read its notes: %v", err)
			}
			if _, err := s.Add(ctx, kim, "Kim", c.ID, "n3", "x"); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Errorf("a counsellor not on the conversation wrote a note: %v", err)
			}
			if _, err := s.Add(ctx, alex, "Alex", "00000000-0000-0000-0000-000000000000", "n4", "x"); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Errorf("a note on no conversation: %v", err)
			}
			log.fail = true
			if _, err := s.List(ctx, alex, c.ID); chat.ErrorCode(err) != chat.CodeUnavailable {
				t.Errorf("read without audit: %v", err)
			}
			if _, err := s.Add(ctx, alex, "Alex", c.ID, "n5", "x"); chat.ErrorCode(err) != chat.CodeUnavailable {
				t.Errorf("write without audit: %v", err)
			}
			log.fail = false
			if want := []string{"casenote.write", "casenote.write", "casenote.write", "casenote.read"}; !slices.Equal(log.rows, want) {
				t.Errorf("audit rows %q, want %q", log.rows, want)
			}

			// Deleted with the conversation.
			if _, _, err := w.chat.End(ctx, c.ID, chat.EndedBySeeker); err != nil {
				t.Fatal(err)
			}
			if err := w.chat.(chat.Retention).DeleteConversation(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			if left, err := w.notes.List(ctx, c.ID); err != nil || len(left) != 0 {
				t.Errorf("notes left after the conversation went: %+v, %v", left, err)
			}
		})
	}
}

// Key rotation (chat.SealedColumns) re-seals case notes: after it, they open
// with the new key alone.
func TestRotationReSealsCaseNotes(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	k1, k2 := chat.NewKey("k1"), chat.NewKey("k2")
	old, err := chat.ParseKeys(k1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chat.NewPostgresStore(pool, old, nil).CreateConversation(ctx, chat.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := casenotes.NewPostgresStore(pool, old).Add(ctx, casenotes.Note{ID: c.ID + "_n1", ConversationID: c.ID, AuthorID: 1, AuthorName: "A", Body: "nota sellada"}); err != nil {
		t.Fatal(err)
	}
	both, _ := chat.ParseKeys(k2 + "," + k1)
	if report, err := chat.NewPostgresStore(pool, both, nil).RotateKeys(ctx, 10); err != nil || !report.Done() {
		t.Fatalf("rotation: %+v %v", report, err)
	}
	onlyNew, _ := chat.ParseKeys(k2)
	notes, err := casenotes.NewPostgresStore(pool, onlyNew).List(ctx, c.ID)
	if err != nil || len(notes) != 1 || notes[0].Body != "nota sellada" {
		t.Fatalf("after rotation: %+v %v", notes, err)
	}
}
