package chat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// storeFactories lists every Store implementation; each test in this file
// runs against all of them.
var storeFactories = map[string]func(t *testing.T) chat.Store{
	"memory": func(t *testing.T) chat.Store { return chat.NewMemoryStore(nil) },
	"postgres": func(t *testing.T) chat.Store {
		pool, _ := migrationstest.MustOpen(t)
		return chat.NewPostgresStore(pool, MustSealer(t), nil)
	},
}

func MustSealer(tb testing.TB) *chat.Sealer {
	tb.Helper()
	s, err := chat.ParseKeys(chat.NewKey("k1"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func forEachStore(t *testing.T, test func(t *testing.T, s chat.Store)) {
	for name, open := range storeFactories {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

func mustCreate(t *testing.T, s chat.Store) chat.Conversation {
	t.Helper()
	c, err := s.CreateConversation(context.Background(), chat.NewConversation{Audience: chat.AudienceSelf, Language: "es", Region: "Madrid"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustAppend(t *testing.T, s chat.Store, a ...chat.Append) []chat.AppendResult {
	t.Helper()
	res := s.AppendBatch(context.Background(), a)
	if len(res) != len(a) {
		t.Fatalf("got %d results for %d appends", len(res), len(a))
	}
	return res
}

func seekerText(convID, clientID, body string) chat.Append {
	return chat.Append{ConversationID: convID, Sender: chat.SenderSeeker, ClientID: clientID, Body: body}
}

func TestStoreCreateAndGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		c := mustCreate(t, s)
		if c.Status != chat.StatusWaiting || c.LastSeq != 0 || c.Region != "Madrid" || c.Audience != chat.AudienceSelf {
			t.Fatalf("new conversation = %+v", c)
		}
		got, err := s.Conversation(ctx, c.ID)
		if err != nil || got.ID != c.ID || got.Language != "es" {
			t.Fatalf("Conversation = %+v, %v", got, err)
		}
		for _, id := range []string{chat.NewID(), "not-a-uuid", "", "'; DROP TABLE conversations; --"} {
			if _, err := s.Conversation(ctx, id); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("Conversation(%q) error = %v, want not found", id, err)
			}
			if _, err := s.Messages(ctx, id, 0, 0); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("Messages(%q) error = %v, want not found", id, err)
			}
		}
	})
}

func TestStoreAppendIsGapFreeAndIdempotent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		a, b := mustCreate(t, s), mustCreate(t, s)
		res := mustAppend(t, s,
			seekerText(a.ID, "m1", "hola"),
			seekerText(b.ID, "m1", "hello"), // same client id, other conversation: not a duplicate
			seekerText(a.ID, "m2", "¿me oyes?"),
			seekerText(a.ID, "m1", "hola"), // retried within one batch
			seekerText("nope", "m3", "x"),
		)
		for i, want := range []struct {
			seq int64
			dup bool
		}{{1, false}, {1, false}, {2, false}, {1, true}} {
			if res[i].Err != nil || res[i].Message.Seq != want.seq || res[i].Duplicate != want.dup {
				t.Errorf("result %d = %+v, want seq %d dup %v", i, res[i], want.seq, want.dup)
			}
		}
		if !errors.Is(res[4].Err, chat.ErrNotFound) {
			t.Errorf("append to unknown conversation: %v", res[4].Err)
		}
		// A retry in a later batch is still a duplicate, and returns the original.
		again := mustAppend(t, s, seekerText(a.ID, "m2", "¿me oyes?"), seekerText(a.ID, "m4", "sigo aquí"))
		if !again[0].Duplicate || again[0].Message.Seq != 2 || again[0].Message.Body != "¿me oyes?" {
			t.Errorf("retried append = %+v", again[0])
		}
		if again[1].Message.Seq != 3 {
			t.Errorf("next append seq = %d, want 3", again[1].Message.Seq)
		}
		msgs, err := s.Messages(ctx, a.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Errorf("message %d has seq %d", i, m.Seq)
			}
			bodies = append(bodies, m.Body)
		}
		if got := strings.Join(bodies, "|"); got != "hola|¿me oyes?|sigo aquí" {
			t.Errorf("history = %q", got)
		}
		if tail, _ := s.Messages(ctx, a.ID, 2, 0); len(tail) != 1 || tail[0].Seq != 3 {
			t.Errorf("Messages after 2 = %+v", tail)
		}
		if page, _ := s.Messages(ctx, a.ID, 0, 2); len(page) != 2 {
			t.Errorf("Messages limit 2 returned %d", len(page))
		}
		if c, _ := s.Conversation(ctx, a.ID); c.LastSeq != 3 {
			t.Errorf("LastSeq = %d, want 3", c.LastSeq)
		}
	})
}

func TestStoreWhoMayWrite(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		c := mustCreate(t, s)
		counselor := chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 7, ClientID: "c1", Body: "hola"}
		if res := mustAppend(t, s, counselor); !errors.Is(res[0].Err, chat.ErrNotFound) {
			t.Fatalf("counsellor writing to a waiting conversation: %v", res[0].Err)
		}
		if _, _, err := s.Assign(ctx, c.ID, 7, "Ana", 3); err != nil {
			t.Fatal(err)
		}
		other := counselor
		other.SenderID, other.ClientID = 8, "c2"
		if res := mustAppend(t, s, other); !errors.Is(res[0].Err, chat.ErrNotFound) {
			t.Fatalf("unassigned counsellor writing: %v", res[0].Err)
		}
		if res := mustAppend(t, s, counselor); res[0].Err != nil || res[0].Message.Seq != 2 {
			t.Fatalf("assigned counsellor writing: %+v", res[0])
		}
		if _, _, err := s.End(ctx, c.ID, chat.EndedBySeeker); err != nil {
			t.Fatal(err)
		}
		if res := mustAppend(t, s, seekerText(c.ID, "late", "¿sigues ahí?")); chat.ErrorCode(res[0].Err) != chat.CodeConflict {
			t.Fatalf("seeker writing to an ended conversation: %v", res[0].Err)
		}
		if _, _, err := s.End(ctx, c.ID, chat.EndedBySeeker); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("ending twice: %v", err)
		}
		msgs, _ := s.Messages(ctx, c.ID, 0, 0)
		var kinds []string
		for _, m := range msgs {
			kinds = append(kinds, string(m.Sender)+"/"+m.Kind)
		}
		if got := strings.Join(kinds, " "); got != "system/joined counselor/text system/ended" {
			t.Errorf("history kinds = %s", got)
		}
		if msgs[0].Name != "Ana" || msgs[2].Body != chat.EndedBySeeker {
			t.Errorf("system messages = %+v", msgs)
		}
	})
}

func TestStoreAssignsOnceUnderRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		c := mustCreate(t, s)
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for i := 1; i <= 16; i++ {
			wg.Add(1)
			go func(id int64) {
				defer wg.Done()
				_, _, err := s.Assign(ctx, c.ID, id, fmt.Sprint("C", id), 3)
				if err == nil {
					mu.Lock()
					winners++
					mu.Unlock()
				} else if chat.ErrorCode(err) != chat.CodeConflict {
					t.Errorf("Assign: %v", err)
				}
			}(int64(i))
		}
		wg.Wait()
		if winners != 1 {
			t.Fatalf("%d counsellors got the conversation, want 1", winners)
		}
		if msgs, _ := s.Messages(ctx, c.ID, 0, 0); len(msgs) != 1 {
			t.Fatalf("%d joined events stored, want 1", len(msgs))
		}
	})
}

func TestStoreCapacityHoldsUnderRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		var ids []string
		for i := 0; i < 8; i++ {
			ids = append(ids, mustCreate(t, s).ID)
		}
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.Assign(ctx, id, 42, "Ana", 3)
			}()
		}
		wg.Wait()
		active, err := s.ActiveFor(ctx, 42)
		if err != nil || len(active) != 3 {
			t.Fatalf("counsellor with capacity 3 has %d conversations (%v)", len(active), err)
		}
		waiting, _ := s.Waiting(ctx)
		if len(waiting) != 5 {
			t.Fatalf("%d still waiting, want 5", len(waiting))
		}
	})
}

func TestStoreWaitingOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		first := mustCreate(t, s)
		time.Sleep(2 * time.Millisecond)
		second := mustCreate(t, s)
		w, err := s.Waiting(ctx)
		if err != nil || len(w) != 2 || w[0].ID != first.ID || w[1].ID != second.ID {
			t.Fatalf("Waiting = %+v, %v", w, err)
		}
	})
}

func TestStoreConcurrentWritersStayGapFree(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		c := mustCreate(t, s)
		const writers, each = 8, 10
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					id := fmt.Sprintf("w%d-%d", w, i)
					// Every message is sent twice, as a client retrying would.
					res := s.AppendBatch(ctx, []chat.Append{seekerText(c.ID, id, id), seekerText(c.ID, id, id)})
					for _, r := range res {
						if r.Err != nil {
							t.Errorf("append: %v", r.Err)
						}
					}
				}
			}()
		}
		wg.Wait()
		msgs, _ := s.Messages(ctx, c.ID, 0, 0)
		if len(msgs) != writers*each {
			t.Fatalf("stored %d messages, want %d", len(msgs), writers*each)
		}
		seen := map[string]bool{}
		for i, m := range msgs {
			if m.Seq != int64(i+1) || seen[m.Body] {
				t.Fatalf("message %d: seq %d body %q (gap or duplicate)", i, m.Seq, m.Body)
			}
			seen[m.Body] = true
		}
	})
}

func TestStoreRequeueReassignAndNotes(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		first, returned := mustCreate(t, s), mustCreate(t, s)
		if _, _, err := s.Requeue(ctx, returned.ID, chat.RequeueCounselorLeft, 10, "", 7); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("requeue of a waiting conversation: %v", err)
		}
		s.Assign(ctx, returned.ID, 7, "Ana", 3)
		c, m, err := s.Requeue(ctx, returned.ID, chat.RequeueCounselorLeft, 10, chat.AudienceYoung, 7)
		if err != nil || c.Status != chat.StatusWaiting || c.CounselorID != 0 || c.Priority != 10 || c.RequiredSkill != chat.AudienceYoung || len(c.Passed) != 1 || c.Passed[0] != 7 {
			t.Fatalf("Requeue = %+v, %v", c, err)
		}
		if m.Kind != chat.KindRequeued || m.Body != chat.RequeueCounselorLeft || m.Seq != 2 {
			t.Fatalf("requeued event = %+v", m)
		}
		w, _ := s.Waiting(ctx)
		if len(w) != 2 || w[0].ID != returned.ID || w[1].ID != first.ID {
			t.Fatalf("a returned conversation must go ahead of new arrivals: %v", w)
		}
		// The next counsellor sees the history and the note.
		s.Assign(ctx, returned.ID, 8, "Bea", 3)
		if err := s.AddNote(ctx, chat.Note{ConversationID: returned.ID, StaffID: 8, StaffName: "Bea", Body: "Prefiere que le hablen despacio."}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddNote(ctx, chat.Note{ConversationID: chat.NewID(), StaffID: 8, Body: "x"}); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("note on an unknown conversation: %v", err)
		}
		notes, err := s.Notes(ctx, returned.ID)
		if err != nil || len(notes) != 1 || notes[0].Body != "Prefiere que le hablen despacio." || notes[0].StaffName != "Bea" {
			t.Fatalf("Notes = %+v, %v", notes, err)
		}
		// Transfer to a named counsellor: only from the one assigned, only into free capacity.
		if _, _, err := s.Reassign(ctx, returned.ID, 7, 9, "Cris", 3); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("reassign by a counsellor not assigned: %v", err)
		}
		if _, _, err := s.Reassign(ctx, returned.ID, 8, 9, "Cris", 0); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("reassign to a full counsellor: %v", err)
		}
		c, m, err = s.Reassign(ctx, returned.ID, 8, 9, "Cris", 3)
		if err != nil || c.CounselorID != 9 || c.CounselorName != "Cris" || m.Kind != chat.KindTransferred || m.Name != "Cris" {
			t.Fatalf("Reassign = %+v %+v %v", c, m, err)
		}
		res := mustAppend(t, s, chat.Append{ConversationID: returned.ID, Sender: chat.SenderCounselor, SenderID: 8, ClientID: "old", Body: "x"})
		if !errors.Is(res[0].Err, chat.ErrNotFound) {
			t.Fatalf("the previous counsellor can still write: %v", res[0].Err)
		}
		at := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond) // later than the arrival, which counts as seen
		if err := s.TouchSeekers(ctx, []string{first.ID, "bogus"}, at); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Conversation(ctx, first.ID); !got.SeekerSeenAt.Equal(at) {
			t.Fatalf("SeekerSeenAt = %v", got.SeekerSeenAt)
		}
		// Presence is kept for waiting conversations only; going back to
		// the queue counts as being seen, so a seeker whose presence was
		// not recorded while active is not abandoned at once.
		before, _ := s.Conversation(ctx, returned.ID)
		if err := s.TouchSeekers(ctx, []string{returned.ID}, at); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Conversation(ctx, returned.ID); !got.SeekerSeenAt.Equal(before.SeekerSeenAt) {
			t.Fatalf("an active conversation's SeekerSeenAt moved: %v → %v", before.SeekerSeenAt, got.SeekerSeenAt)
		}
		requeuedAt := time.Now()
		c, _, err = s.Requeue(ctx, returned.ID, chat.RequeueCounselorLeft, 10, "", 9)
		if err != nil || c.SeekerSeenAt.Before(requeuedAt.Add(-time.Second)) {
			t.Fatalf("after a requeue SeekerSeenAt = %v (requeued at %v), %v", c.SeekerSeenAt, requeuedAt, err)
		}
	})
}

// A conversation id is the store's own lower-case form: the same id in
// upper case names no conversation in either store, and nothing is
// stored under it.
func TestStoreAppendToUpperCaseIDIsNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		c := mustCreate(t, s)
		mustAppend(t, s, seekerText(c.ID, "m1", "hola")) // remembered by the store
		res := mustAppend(t, s, seekerText(strings.ToUpper(c.ID), "m2", "x"))
		if !errors.Is(res[0].Err, chat.ErrNotFound) {
			t.Errorf("append to the upper-case id = %+v, want not found", res[0])
		}
		if msgs, err := s.Messages(ctx, c.ID, 0, 0); err != nil || len(msgs) != 1 {
			t.Errorf("messages = %d (%v), want only the first", len(msgs), err)
		}
	})
}
