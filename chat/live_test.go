package chat_test

import (
	"context"
	"testing"

	"helpline/chat"
)

// The live list pages through active conversations, oldest assignment
// first, with each side's last message, the same on both stores.
func TestLiveListsActiveConversationsPageByPage(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		live := s.(chat.LiveLister)
		var ids []string
		for i := range 3 {
			c := mustCreate(t, s)
			if _, _, err := s.Assign(ctx, c.ID, 7, "Ana", 5); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
			if i == 1 {
				mustAppend(t, s, chat.Append{ConversationID: c.ID, Sender: chat.SenderSeeker, Kind: chat.KindText, ClientID: "s1", Body: "hola"})
			}
		}
		mustCreate(t, s) // waiting: not live
		page, total, err := live.Live(ctx, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(page) != 2 || page[0].ID != ids[0] || page[1].ID != ids[1] {
			t.Fatalf("first page: total %d, %+v", total, page)
		}
		if !page[0].LastSeekerAt.IsZero() || page[1].LastSeekerAt.IsZero() || !page[1].LastCounselorAt.IsZero() || page[1].CounselorName != "Ana" {
			t.Fatalf("last messages: %+v", page)
		}
		rest, total, err := live.Live(ctx, 2, 2)
		if err != nil || total != 3 || len(rest) != 1 || rest[0].ID != ids[2] {
			t.Fatalf("second page: %d %+v %v", total, rest, err)
		}
		if _, _, err := s.End(ctx, ids[0], chat.EndedByCounselor); err != nil {
			t.Fatal(err)
		}
		if none, total, err := live.Live(ctx, 5, 2); err != nil || total != 2 || len(none) != 0 {
			t.Fatalf("past the end: %d %+v %v", total, none, err)
		}
	})
}
