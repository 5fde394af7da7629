package chat_test

import (
	"context"
	"errors"
	"testing"

	"helpline/chat"
)

// TestStoreJoinStaff: a colleague who joins an active conversation may write
// beside its counsellor, in the same gap-free sequence; joining is announced
// once, leaving too; a transfer or a return to the queue ends the join, and
// then the colleague can no longer write. Both stores.
func TestStoreJoinStaff(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		c := mustCreate(t, s)
		if _, _, err := s.JoinStaff(ctx, c.ID, 50, "Sam"); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("joining a waiting conversation: %v", err)
		}
		if _, _, err := s.JoinStaff(ctx, chat.NewID(), 50, "Sam"); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("joining one that does not exist: %v", err)
		}
		s.Assign(ctx, c.ID, 7, "Ana", 3) // seq 1
		if _, _, err := s.JoinStaff(ctx, c.ID, 7, "Ana"); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("the counsellor joining their own: %v", err)
		}
		res := mustAppend(t, s, chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 50, Name: "Sam", ClientID: "early", Body: "x"})
		if !errors.Is(res[0].Err, chat.ErrNotFound) {
			t.Fatalf("a colleague who has not joined writes: %v", res[0].Err)
		}
		got, m, err := s.JoinStaff(ctx, c.ID, 50, "Sam")
		if err != nil || got.JoinedID != 50 || got.JoinedName != "Sam" || m.Kind != chat.KindStaffJoined || m.Name != "Sam" || m.Seq != 2 || m.Sender != chat.SenderSystem {
			t.Fatalf("JoinStaff = %+v %+v %v", got, m, err)
		}
		if again, m2, err := s.JoinStaff(ctx, c.ID, 50, "Sam"); err != nil || m2.Seq != 0 || again.LastSeq != 2 {
			t.Fatalf("joining again = %+v %+v %v, want no change", again, m2, err)
		}
		if _, _, err := s.JoinStaff(ctx, c.ID, 51, "Otra"); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("a second colleague joining: %v", err)
		}
		if got, _ := s.Conversation(ctx, c.ID); got.JoinedID != 50 || !got.Participant(50) || !got.Participant(7) || got.Participant(51) {
			t.Fatalf("Conversation after the join = %+v", got)
		}
		res = mustAppend(t, s,
			chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 50, Name: "Sam", ClientID: "s1", Body: "Hola, soy del equipo"},
			chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 7, Name: "Ana", ClientID: "a1", Body: "Seguimos"},
			chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 51, Name: "Otra", ClientID: "o1", Body: "x"})
		if res[0].Err != nil || res[0].Message.Seq != 3 || res[1].Err != nil || res[1].Message.Seq != 4 || !errors.Is(res[2].Err, chat.ErrNotFound) {
			t.Fatalf("writing after the join: %+v", res)
		}
		left, m, err := s.LeaveStaff(ctx, c.ID, 50)
		if err != nil || left.JoinedID != 0 || m.Kind != chat.KindStaffLeft || m.Name != "Sam" || m.Seq != 5 {
			t.Fatalf("LeaveStaff = %+v %+v %v", left, m, err)
		}
		if _, m, err := s.LeaveStaff(ctx, c.ID, 50); err != nil || m.Seq != 0 {
			t.Fatalf("leaving again = %+v %v, want no change", m, err)
		}
		res = mustAppend(t, s, chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 50, ClientID: "s2", Body: "x"})
		if !errors.Is(res[0].Err, chat.ErrNotFound) {
			t.Fatalf("a colleague who left writes: %v", res[0].Err)
		}
		// A transfer ends a join; so does a return to the queue.
		s.JoinStaff(ctx, c.ID, 50, "Sam")
		moved, _, err := s.Reassign(ctx, c.ID, 7, 9, "Cris", 3)
		if err != nil || moved.JoinedID != 0 || moved.JoinedName != "" {
			t.Fatalf("after a transfer = %+v %v", moved, err)
		}
		res = mustAppend(t, s, chat.Append{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: 50, ClientID: "s3", Body: "x"})
		if !errors.Is(res[0].Err, chat.ErrNotFound) {
			t.Fatalf("a colleague writes after a transfer ended the join: %v", res[0].Err)
		}
		s.JoinStaff(ctx, c.ID, 50, "Sam")
		back, _, err := s.Requeue(ctx, c.ID, chat.RequeueTransferred, 10, "", 9)
		if err != nil || back.JoinedID != 0 {
			t.Fatalf("after a requeue = %+v %v", back, err)
		}
		// Leaving a conversation that ended announces nothing after its end.
		s.Assign(ctx, c.ID, 9, "Cris", 3)
		s.JoinStaff(ctx, c.ID, 50, "Sam")
		ended, _, _ := s.End(ctx, c.ID, chat.EndedBySeeker)
		if after, m, err := s.LeaveStaff(ctx, c.ID, 50); err != nil || m.Seq != 0 || after.LastSeq != ended.LastSeq {
			t.Fatalf("leaving an ended conversation = %+v %+v %v", after, m, err)
		}
		msgs, _ := s.Messages(ctx, c.ID, 0, 0)
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Fatalf("message %d has seq %d", i+1, m.Seq)
			}
		}
	})
}
