package chat

import (
	"context"
	"io"
	"log/slog"
	"testing"
)

// originStore is a memory store that names itself in notifications, as
// the PostgreSQL store does.
type originStore struct{ *MemoryStore }

func (originStore) NotifyOrigin() string { return "this-instance" }

// An instance's own notification must not raise what its hub knows: its
// writer publishes those messages itself, and a hub that knew of them first
// would send every subscriber to the store. Another instance's must.
func TestOwnNotificationsAreLeftToTheWriter(t *testing.T) {
	tokens, err := NewTokens(NewKey("nt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(Config{Store: originStore{NewMemoryStore(nil)}, Broker: NewMemoryBroker(), Router: connTestRouter{},
		Tokens: tokens, Staff: &connTestStaff{revoked: map[string]bool{}}, Languages: map[string]bool{"es": true},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	const id = "0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64"
	svc.hub.join(&Conn{}, id)
	ctx := context.Background()
	svc.onMessages(ctx, Event{Type: EventMessages, ConversationID: id, Seq: 5, Writer: "this-instance"})
	if svc.hub.knows(id, 5) {
		t.Fatal("the hub took its own store's notification: subscribers would read the store for messages the writer is about to publish")
	}
	svc.onMessages(ctx, Event{Type: EventMessages, ConversationID: id, Seq: 5, Writer: "another-instance"})
	if !svc.hub.knows(id, 5) {
		t.Fatal("another instance's notification was ignored: its messages would not reach this instance's subscribers")
	}
}
