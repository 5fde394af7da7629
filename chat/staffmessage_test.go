package chat

import (
	"context"
	"testing"
)

// A feature's message kind goes through the writer like text: sequenced,
// idempotent by client id, only from the assigned counsellor, never one of
// chat's own kinds.
func TestSendStaffMessageIsAMessageOfItsOwnKind(t *testing.T) {
	store := NewMemoryStore(nil)
	e := startConnTest(t, func(c *Config) { c.Store = store })
	ctx := context.Background()
	conv, _, _, err := e.svc.StartConversation(ctx, NewConversation{Audience: AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Assign(ctx, conv.ID, 7, "Ana", 3); err != nil {
		t.Fatal(err)
	}
	ana := Principal{Role: RoleCounselor, StaffID: 7}
	info := StaffInfo{ID: 7, DisplayName: "Ana"}
	res := e.svc.SendStaffMessage(ctx, ana, info, conv.ID, "card-1", "referral", "Servicio\nContacto: 900")
	if res.Err != nil || res.Message.Kind != "referral" || res.Message.Seq != 2 || res.Message.Sender != SenderCounselor || res.Message.Name != "Ana" {
		t.Fatalf("sent: %+v", res)
	}
	if again := e.svc.SendStaffMessage(ctx, ana, info, conv.ID, "card-1", "referral", "Servicio\nContacto: 900"); !again.Duplicate || again.Message.Seq != 2 {
		t.Fatalf("a retry stored again: %+v", again)
	}
	for name, c := range map[string]struct {
		p          Principal
		kind, body string
		want       Code
	}{
		"chat's own kind":         {ana, KindJoined, "x", CodeInvalid},
		"text":                    {ana, KindText, "x", CodeInvalid},
		"a kind with odd letters": {ana, "Referral!", "x", CodeInvalid},
		"an empty body":           {ana, "referral", " ", CodeInvalid},
		"another counsellor":      {Principal{Role: RoleCounselor, StaffID: 8}, "referral", "x", CodeNotFound},
		"the seeker":              {Principal{Role: RoleSeeker, ConversationID: conv.ID}, "referral", "x", CodeNotFound},
	} {
		if res := e.svc.SendStaffMessage(ctx, c.p, info, conv.ID, "card-2", c.kind, c.body); ErrorCode(res.Err) != c.want {
			t.Errorf("%s: %v, want %s", name, res.Err, c.want)
		}
	}
	msgs, err := store.Messages(ctx, conv.ID, 0, 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("stored %d messages (%v), want the join and one card", len(msgs), err)
	}
}
