package chat

import (
	"context"
	"encoding/json"
	"time"
)

// Event is something every instance must hear about: new messages in a
// conversation, a state change, typing, a queue change, a revoked sign-in.
// Events carry no message text.
type Event struct {
	Type           EventType     `json:"t"`
	ConversationID string        `json:"c,omitempty"`
	Seq            int64         `json:"q,omitempty"`
	Sender         Sender        `json:"s,omitempty"`
	Typing         bool          `json:"y,omitempty"`
	StaffID        int64         `json:"f,omitempty"`
	SessionID      string        `json:"i,omitempty"`
	Conversation   *Conversation `json:"v,omitempty"`
	Member         *TeamMember   `json:"m,omitempty"`
	Reason         string        `json:"r,omitempty"`
	Until          time.Time     `json:"u,omitempty"`
}

// EventType names an Event.
type EventType string

const (
	EventMessages     EventType = "messages"     // ConversationID has messages up to Seq
	EventConversation EventType = "conversation" // Conversation changed state (StaffID: newly assigned to)
	EventTyping       EventType = "typing"       // Sender is (not) typing in ConversationID
	EventQueue        EventType = "queue"        // the waiting list changed
	EventRevoke       EventType = "revoke"       // staff StaffID's sign-in SessionID (all, if empty) ended
	EventResync       EventType = "resync"       // events may have been missed: recheck everything
	EventOffer        EventType = "offer"        // Conversation is offered to StaffID Until then
	EventStaff        EventType = "staff"        // StaffID's status changed (Member), for Reason
	EventTeam         EventType = "team"         // someone came, went or changed status
)

// Broker carries Events between the server instances that share a store.
// Publish never blocks on a slow receiver.
type Broker interface {
	Publish(ctx context.Context, e Event) error
	// Run calls handle for every event published by any instance, this one
	// included, until ctx ends.
	Run(ctx context.Context, handle func(Event)) error
}

func encodeEvent(e Event) string {
	b, _ := json.Marshal(e)
	return string(b)
}
