package chat_test

import (
	"context"
	"fmt"
	"testing"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// Two stores on one database are two instances: each numbers its batches
// from what it last saw, which the other keeps making stale.
func twoPostgresStores(t *testing.T) (*chat.PostgresStore, *chat.PostgresStore) {
	pool, _ := migrationstest.MustOpen(t)
	seal := MustSealer(t)
	return chat.NewPostgresStore(pool, seal, nil), chat.NewPostgresStore(pool, seal, nil)
}

func TestPostgresAppendsFromTwoInstancesStayInOrder(t *testing.T) {
	a, b := twoPostgresStores(t)
	ctx := context.Background()
	c := mustCreate(t, a)
	stores := []*chat.PostgresStore{a, b, b, a, a, b}
	var want []string
	for i := range 30 {
		s := stores[i%len(stores)]
		id := fmt.Sprintf("m%d", i)
		res := mustAppend(t, s, seekerText(c.ID, id, id))
		if res[0].Err != nil || res[0].Message.Seq != int64(i+1) {
			t.Fatalf("append %d: %+v", i, res[0])
		}
		want = append(want, id)
	}
	// A retry through the other instance is the message already stored.
	res := mustAppend(t, b, seekerText(c.ID, "m3", "m3"), seekerText(c.ID, "new", "new"))
	if !res[0].Duplicate || res[0].Message.Seq != 4 || res[1].Err != nil || res[1].Message.Seq != 31 {
		t.Fatalf("retry and new message = %+v", res)
	}
	want = append(want, "new")
	msgs, err := a.Messages(ctx, c.ID, 0, 0)
	if err != nil || len(msgs) != len(want) {
		t.Fatalf("Messages = %d, %v; want %d", len(msgs), err, len(want))
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) || m.Body != want[i] {
			t.Fatalf("message %d = seq %d %q, want seq %d %q", i, m.Seq, m.Body, i+1, want[i])
		}
	}
}

func TestPostgresAppendFollowsStateChangedByAnotherInstance(t *testing.T) {
	a, b := twoPostgresStores(t)
	ctx := context.Background()
	c := mustCreate(t, a)
	counselor := func(clientID string) chat.Append {
		return chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 7, Name: "Ana", ClientID: clientID, Body: clientID}
	}
	if res := mustAppend(t, a, seekerText(c.ID, "s1", "hola"), counselor("early")); res[0].Err != nil || chat.ErrorCode(res[1].Err) != chat.CodeNotFound {
		t.Fatalf("while waiting: %+v", res)
	}
	// a remembers the conversation as waiting; b assigns it.
	if _, _, err := b.Assign(ctx, c.ID, 7, "Ana", 3); err != nil {
		t.Fatal(err)
	}
	res := mustAppend(t, a, counselor("c1"))
	if res[0].Err != nil || res[0].Message.Seq != 3 {
		t.Fatalf("counsellor after the assignment elsewhere: %+v", res[0])
	}
	// a remembers it as active; b ends it.
	if _, _, err := b.End(ctx, c.ID, chat.EndedByCounselor); err != nil {
		t.Fatal(err)
	}
	res = mustAppend(t, a, seekerText(c.ID, "s2", "¿sigues?"))
	if chat.ErrorCode(res[0].Err) != chat.CodeConflict {
		t.Fatalf("after the end elsewhere: %+v, want a conflict", res[0])
	}
	msgs, err := a.Messages(ctx, c.ID, 0, 0)
	if err != nil || len(msgs) != 4 || msgs[3].Kind != chat.KindEnded {
		t.Fatalf("Messages = %+v, %v; want hola, joined, c1, ended", msgs, err)
	}
}
