package chat

import (
	"context"
	"time"

	"helpline/chat/wire"
)

// Router decides who is offered which conversation and when the service is
// open. The routing package implements it; chat calls it at the moments that
// matter and delivers what it decides. Everything about how routing decides
// (skills, queue order, presence, offers, estimates) stays behind these
// methods, so a routing feature does not change chat.
//
// Decisions, which chat asks before it acts and then follows: Admit,
// Accepting, Trained, Waits. Notifications, which tell routing what chat did
// or saw and return nothing chat must act on: Accepted, Connected,
// Disconnected, Heartbeat, Changed. Requests a counsellor makes of routing
// itself, which chat passes on and then announces: SetStatus, Decline. And
// the one read: Team.
//
// Routing's own work (making offers, timing them out, returning the
// conversations of a counsellor who is gone, removing seekers who left) is
// not started by chat: the server runs it (routing.Router.Run), and routing
// carries out what it decides through the chat service.
//
// Every method may be called from any goroutine, concurrently.
type Router interface {
	// Admit (decision) reports whether a new conversation may start now:
	// nil, or a *ClosedError saying why not.
	Admit(ctx context.Context) error
	// Accepting (decision) checks that staff may take c now (trained for
	// this seeker; in offer mode, the offer is theirs) and returns the
	// capacity to assign within.
	Accepting(ctx context.Context, staff StaffInfo, c Conversation) (capacity int, err error)
	// Accepted (notification) is told once c has been assigned to staffID.
	Accepted(ctx context.Context, staffID int64, c Conversation)
	// Connected and Disconnected (notifications) report a staff member's
	// first and last connection on this instance.
	Connected(ctx context.Context, staff StaffInfo)
	Disconnected(ctx context.Context, staffID int64)
	// Heartbeat (notification) says which staff are still connected to
	// this instance.
	Heartbeat(ctx context.Context, staffIDs []int64)
	// SetStatus (request) changes a counsellor's status and the capacity
	// they choose, and returns them as the team now sees them.
	SetStatus(ctx context.Context, staffID int64, status string, capacity int) (TeamMember, error)
	// Decline (request) records that a counsellor let an offer pass on
	// purpose, or could not take it after all.
	Decline(ctx context.Context, staffID int64, conversationID string) error
	// Trained (decision) reports whether a colleague may take c (a young
	// person only to someone trained for young people), for transfers by
	// name.
	Trained(m TeamMember, c Conversation) bool
	// Team (read) lists the staff on shift, for the console and for
	// transfers.
	Team(ctx context.Context) ([]TeamMember, error)
	// Waits (decision) computes each waiting conversation's place and wait
	// estimate.
	Waits(ctx context.Context, waiting []Conversation) map[string]Wait
	// Changed (notification) says the queue or the team changed: match
	// again soon. It must not block.
	Changed()
}

// TeamMember is a staff member on shift as the team sees them.
type TeamMember struct {
	ID          int64     `json:"-"`
	StaffID     string    `json:"id"`
	DisplayName string    `json:"display_name"`
	Status      string    `json:"status"`
	Capacity    int       `json:"capacity"`
	MaxCapacity int       `json:"max_capacity"`
	Active      int       `json:"active"`
	Languages   []string  `json:"languages"`
	Audiences   []string  `json:"audiences"`
	IdleSince   time.Time `json:"-"`
}

// Wait is what a waiting seeker is told about their place.
type Wait = wire.Wait

// ClosedError says the service cannot take a new conversation now.
type ClosedError struct {
	Reason   string    // "hours", "queue_full", "no_counselor"
	NextOpen time.Time // zero if unknown
}

func (e *ClosedError) Error() string { return "closed: " + e.Reason }
