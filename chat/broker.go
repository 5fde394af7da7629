package chat

import (
	"context"
	"encoding/json"
	"errors"
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
	Push           *Push         `json:"p,omitempty"`
	// Writer, on EventMessages from a store's own notification, names the
	// store instance that committed the messages (see NotifyOrigin).
	Writer string `json:"w,omitempty"`
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
	EventPush         EventType = "push"         // Push.Frame goes to Push.To (Service.Push)
)

// MaxEventBytes is the largest encoded Event every Broker carries: PostgreSQL's
// NOTIFY takes payloads shorter than 8000 bytes.
const MaxEventBytes = 7999

// ErrEventTooLarge is returned by Publish for an event whose encoding is over
// MaxEventBytes on a broker that cannot carry it; nothing is sent.
var ErrEventTooLarge = errors.New("event too large for the broker")

// ErrBrokerClosed is returned by Publish on a broker that was closed.
var ErrBrokerClosed = errors.New("the broker is closed")

// Broker carries Events between the server instances that share a store.
// Publish never blocks on a slow receiver. Every field of an event arrives
// as sent, on every instance, and one publisher's events arrive in the order
// it published them; an event over MaxEventBytes may be refused with
// ErrEventTooLarge. broker_test.go is the contract every Broker passes.
type Broker interface {
	Publish(ctx context.Context, e Event) error
	// Run calls handle for every event published by any instance, this one
	// included, until ctx ends.
	Run(ctx context.Context, handle func(Event)) error
}

// busEvent is an Event as it travels between instances: every field, the
// member's too (TeamMember leaves ID and IdleSince out of client frames).
type busEvent struct {
	Event
	Member *busMember `json:"m,omitempty"`
}

type busMember struct {
	TeamMember
	ID        int64     `json:"n,omitempty"`
	IdleSince time.Time `json:"l,omitzero"`
}

func encodeEvent(e Event) string {
	be := busEvent{Event: e}
	if m := e.Member; m != nil {
		be.Member = &busMember{TeamMember: *m, ID: m.ID, IdleSince: m.IdleSince}
	}
	b, _ := json.Marshal(be)
	return string(b)
}

func decodeEvent(payload string) (Event, error) {
	var be busEvent
	if err := json.Unmarshal([]byte(payload), &be); err != nil {
		return Event{}, err
	}
	e := be.Event
	if be.Member != nil {
		m := be.Member.TeamMember
		m.ID, m.IdleSince = be.Member.ID, be.Member.IdleSince
		e.Member = &m
	}
	return e, nil
}
