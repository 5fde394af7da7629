package chat_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// checkLog fails unless the conversation's messages are numbered 1..n
// without a gap and every stored message (want: client id → seq, as its
// writer was told) is there once, at its number.
func checkLog(t *testing.T, s chat.Store, id string, want map[string]int64) []chat.Message {
	t.Helper()
	msgs, err := s.Messages(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int64{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: %+v", i, m.Seq, m)
		}
		if m.ClientID != "" {
			if _, twice := seen[m.ClientID]; twice {
				t.Fatalf("client id %q stored twice", m.ClientID)
			}
			seen[m.ClientID] = m.Seq
		}
	}
	for cid, seq := range want {
		if seen[cid] != seq {
			t.Fatalf("message %q: told seq %d, stored at %d", cid, seq, seen[cid])
		}
	}
	return msgs
}

// A state change committed by another instance between this store's
// remembering a conversation and its next append: the append is refused,
// or stored after the change's own message, never at its number.
func TestPostgresAppendAfterStateChangedElsewhere(t *testing.T) {
	cases := []struct {
		name   string
		change func(ctx context.Context, b *chat.PostgresStore, id string) error
		after  []chat.Append // sent through a after the change (ConversationID filled in)
		refuse []chat.Code   // per append: "" stored, else the refusal's code
	}{
		{"end", func(ctx context.Context, b *chat.PostgresStore, id string) error {
			_, _, err := b.End(ctx, id, chat.EndedByCounselor)
			return err
		}, []chat.Append{{Sender: chat.SenderSeeker, ClientID: "s"}, {Sender: chat.SenderCounselor, SenderID: 7, ClientID: "c"}},
			[]chat.Code{chat.CodeConflict, chat.CodeConflict}},
		{"transfer", func(ctx context.Context, b *chat.PostgresStore, id string) error {
			_, _, err := b.Reassign(ctx, id, 7, 8, "Luis", 3)
			return err
		}, []chat.Append{{Sender: chat.SenderSeeker, ClientID: "s"}, {Sender: chat.SenderCounselor, SenderID: 7, ClientID: "old"},
			{Sender: chat.SenderCounselor, SenderID: 8, ClientID: "new"}},
			[]chat.Code{"", chat.CodeNotFound, ""}},
		{"join", func(ctx context.Context, b *chat.PostgresStore, id string) error {
			_, _, err := b.JoinStaff(ctx, id, 9, "Eva")
			return err
		}, []chat.Append{{Sender: chat.SenderSeeker, ClientID: "s"}, {Sender: chat.SenderCounselor, SenderID: 9, ClientID: "joined"}},
			[]chat.Code{"", ""}},
		{"requeue", func(ctx context.Context, b *chat.PostgresStore, id string) error {
			_, _, err := b.Requeue(ctx, id, "away", 0, "", 7)
			return err
		}, []chat.Append{{Sender: chat.SenderSeeker, ClientID: "s"}, {Sender: chat.SenderCounselor, SenderID: 7, ClientID: "c"}},
			[]chat.Code{"", chat.CodeNotFound}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := twoPostgresStores(t)
			ctx := context.Background()
			c := mustCreate(t, a)
			if _, _, err := a.Assign(ctx, c.ID, 7, "Ana", 3); err != nil {
				t.Fatal(err)
			}
			// a remembers the conversation active, held by 7, at seq 3.
			res := mustAppend(t, a, seekerText(c.ID, "s0", "hola"), chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 7, ClientID: "c0"})
			if res[0].Err != nil || res[1].Err != nil || res[1].Message.Seq != 3 {
				t.Fatalf("before: %+v", res)
			}
			if err := tc.change(ctx, b, c.ID); err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{"s0": 2, "c0": 3}
			next := int64(5) // 4 is the change's own message
			for i, ap := range tc.after {
				ap.ConversationID, ap.Body = c.ID, ap.ClientID
				r := mustAppend(t, a, ap)[0]
				if code := chat.Code(""); r.Err != nil && chat.ErrorCode(r.Err) != tc.refuse[i] || r.Err == nil && tc.refuse[i] != code {
					t.Fatalf("append %q after the change: %+v, want code %q", ap.ClientID, r, tc.refuse[i])
				}
				if tc.refuse[i] == "" {
					if r.Message.Seq != next {
						t.Fatalf("append %q stored at %d, want %d", ap.ClientID, r.Message.Seq, next)
					}
					want[ap.ClientID] = next
					next++
				}
			}
			msgs := checkLog(t, a, c.ID, want)
			if len(msgs) != int(next-1) || msgs[3].Sender != chat.SenderSystem {
				t.Fatalf("log = %+v; want the change's message at 4 and %d in all", msgs, next-1)
			}
		})
	}
}

// Two instances append to the same conversations at once, each batch in
// the opposite order of the other's: no deadlock reaches a caller, and every
// message is stored once, numbered without a gap. Each round starts both
// instances afresh (nothing remembered) and sends both batches at once, so
// that both number from the same state and race for the same numbers.
func TestPostgresTwoInstancesAppendInOppositeOrders(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	seal := MustSealer(t)
	ctx := context.Background()
	setup := chat.NewPostgresStore(pool, seal, nil)
	defer setup.Close()
	var ids []string
	for range 8 {
		ids = append(ids, mustCreate(t, setup).ID)
	}
	sort.Strings(ids)
	const rounds = 60
	want := map[string]map[string]int64{}
	for _, id := range ids {
		want[id] = map[string]int64{}
	}
	batch := func(name string, r int, reverse bool) []chat.Append {
		out := make([]chat.Append, len(ids))
		for i := range ids {
			id := ids[i]
			if reverse {
				id = ids[len(ids)-1-i]
			}
			cid := fmt.Sprintf("%s%d", name, r)
			out[i] = seekerText(id, cid, cid)
		}
		return out
	}
	for r := range rounds {
		a, b := chat.NewPostgresStore(pool, seal, nil), chat.NewPostgresStore(pool, seal, nil)
		batches := [][]chat.Append{batch("a", r, false), batch("b", r, true)}
		results := make([][]chat.AppendResult, 2)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range []*chat.PostgresStore{a, b} {
			wg.Go(func() {
				<-start
				results[i] = s.AppendBatch(ctx, batches[i])
			})
		}
		close(start)
		wg.Wait()
		a.Close()
		b.Close()
		for i := range batches {
			for j, res := range results[i] {
				if res.Err != nil || res.Duplicate {
					t.Fatalf("round %d, %s: %+v", r, batches[i][j].ConversationID, res)
				}
				want[batches[i][j].ConversationID][batches[i][j].ClientID] = res.Message.Seq
			}
		}
	}
	for _, id := range ids {
		if msgs := checkLog(t, setup, id, want[id]); len(msgs) != 2*rounds {
			t.Fatalf("%s: %d messages, want %d", id, len(msgs), 2*rounds)
		}
	}
}

// Message batches and changes of state (a colleague joining and leaving,
// through systemEvent) on one conversation at once, from two instances:
// both always get through, never with a deadlock or a number taken twice.
func TestPostgresAppendsRaceStateChanges(t *testing.T) {
	a, b := twoPostgresStores(t)
	ctx := context.Background()
	c := mustCreate(t, a)
	if _, _, err := b.Assign(ctx, c.ID, 7, "Ana", 3); err != nil {
		t.Fatal(err)
	}
	const rounds = 80
	var mu sync.Mutex
	want := map[string]int64{}
	stop := make(chan struct{})
	appends := func(s *chat.PostgresStore, name string) error {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return nil
			default:
			}
			cid := fmt.Sprintf("%s%d", name, i)
			res := mustAppend(t, s, seekerText(c.ID, cid, cid), chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 7, ClientID: cid + "c", Body: "…"})
			for j, r := range res {
				if r.Err != nil || r.Duplicate {
					return fmt.Errorf("append %s/%d: %+v", cid, j, r)
				}
				mu.Lock()
				want[r.Message.ClientID] = r.Message.Seq
				mu.Unlock()
			}
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- appends(a, "a") }()
	go func() { errs <- appends(b, "b") }()
	events := 0
	var failed error
	for r := 0; r < rounds && failed == nil; r++ {
		if _, m, err := b.JoinStaff(ctx, c.ID, 9, "Eva"); err != nil {
			failed = fmt.Errorf("join, round %d: %w", r, err)
		} else if _, m2, err := a.LeaveStaff(ctx, c.ID, 9); err != nil {
			failed = fmt.Errorf("leave, round %d: %w", r, err)
		} else if m.Seq == 0 || m2.Seq <= m.Seq {
			failed = fmt.Errorf("round %d: join at %d, leave at %d", r, m.Seq, m2.Seq)
		}
		events += 2
	}
	close(stop)
	for range 2 {
		if err := <-errs; err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		t.Fatal(failed)
	}
	msgs := checkLog(t, a, c.ID, want)
	if len(msgs) != 1+events+len(want) {
		t.Fatalf("%d messages, want the assignment, %d events and %d appends", len(msgs), events, len(want))
	}
	// The end, racing the same appenders, shuts the conversation: nothing
	// is stored after it.
	ended, m, err := a.End(ctx, c.ID, chat.EndedByCounselor)
	if err != nil || ended.LastSeq != m.Seq || m.Seq != int64(len(msgs)+1) {
		t.Fatalf("End = %+v, %+v, %v", ended, m, err)
	}
	if r := mustAppend(t, b, seekerText(c.ID, "late", "late"))[0]; chat.ErrorCode(r.Err) != chat.CodeConflict {
		t.Fatalf("after the end: %+v", r)
	}
}
