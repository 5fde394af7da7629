package chat_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"helpline/chat"
)

// A long conversation in which both sides use web-client ids, and the
// counsellor happens to reuse some of the seeker's: every retry, however
// old its message, is found as that message, and no two messages merge.
func TestStoreFindsDuplicatesAcrossTheWholeHistory(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		c := mustCreate(t, s)
		if _, _, err := s.Assign(ctx, c.ID, 9, "Ana", 3); err != nil {
			t.Fatal(err)
		}
		const n = 300
		sent := make([]chat.Append, n)
		for i := range sent {
			sent[i] = seekerText(c.ID, chat.NewID(), fmt.Sprintf("mensaje %d", i))
			if i%3 == 2 {
				sent[i] = chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 9, Name: "Ana",
					ClientID: sent[i-1].ClientID, Body: fmt.Sprintf("respuesta %d", i)} // the seeker's id, another sender
			}
		}
		for i := 0; i < n; i += 16 {
			for j, res := range mustAppend(t, s, sent[i:min(i+16, n)]...) {
				if res.Err != nil || res.Duplicate || res.Message.Seq != int64(i+j+2) { // seq 1 is "joined"
					t.Fatalf("append %d = %+v", i+j, res)
				}
			}
		}
		for i, res := range mustAppend(t, s, sent...) { // every message again, oldest first
			if m := res.Message; res.Err != nil || !res.Duplicate || m.Seq != int64(i+2) || m.Body != sent[i].Body ||
				m.Sender != sent[i].Sender || m.ClientID != sent[i].ClientID || m.Name != sent[i].Name {
				t.Fatalf("retry of message %d = %+v, want the original at seq %d", i, res, i+2)
			}
		}
		if got, _ := s.Conversation(ctx, c.ID); got.LastSeq != n+1 {
			t.Fatalf("LastSeq after the retries = %d, want %d", got.LastSeq, n+1)
		}
		var all []chat.Message
		for after := int64(0); ; {
			page, err := s.Messages(ctx, c.ID, after, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all, after = append(all, page...), page[len(page)-1].Seq
		}
		if len(all) != n+1 || all[0].Kind != chat.KindJoined || all[0].Name != "Ana" {
			t.Fatalf("history has %d messages, first %+v", len(all), all[0])
		}
		for i, m := range all[1:] {
			if m.Seq != int64(i+2) || m.Body != sent[i].Body || m.ClientID != sent[i].ClientID || m.Sender != sent[i].Sender ||
				m.SenderID != sent[i].SenderID || m.Kind != chat.KindText || m.ConversationID != c.ID {
				t.Fatalf("message %d read back as %+v, sent %+v", i+2, m, sent[i])
			}
		}
	})
}

// Once a conversation is erased, nothing of it answers: not its messages,
// and not its client ids (a retry is refused, not taken for a duplicate).
func TestStoreForgetsClientIDsWithTheConversation(t *testing.T) {
	forEachRetentionStore(t, func(t *testing.T, s retentionStore, clock *fakeClock) {
		ctx := context.Background()
		for _, erase := range []string{"deleted", "expired"} {
			c := mustCreate(t, s)
			first := seekerText(c.ID, chat.NewID(), "borra esto")
			mustAppend(t, s, first, seekerText(c.ID, chat.NewID(), "y esto"))
			if _, _, err := s.End(ctx, c.ID, chat.EndedBySeeker); err != nil {
				t.Fatal(err)
			}
			if erase == "deleted" {
				if err := s.DeleteConversation(ctx, c.ID); err != nil {
					t.Fatal(err)
				}
			} else if n, err := s.DeleteExpired(ctx, clock.Now().Add(time.Second)); err != nil || n != 1 {
				t.Fatalf("DeleteExpired = %d, %v", n, err)
			}
			if res := mustAppend(t, s, first)[0]; !errors.Is(res.Err, chat.ErrNotFound) || res.Duplicate {
				t.Errorf("%s: a retry of an erased message = %+v, want ErrNotFound", erase, res)
			}
			if msgs, err := s.Messages(ctx, c.ID, 0, 0); !errors.Is(err, chat.ErrNotFound) || len(msgs) != 0 {
				t.Errorf("%s: Messages = %d messages, %v; want ErrNotFound", erase, len(msgs), err)
			}
		}
	})
}
