package routing

import (
	"context"
	"time"
)

// Member is a counsellor's presence row: who is connected to some instance,
// with what status and room, and when they were last heard of.
type Member struct {
	Counselor
	DisplayName string
	SeenAt      time.Time
}

// Listing is the roster counted (Store.List): the members Team lists, by
// status, with their room as Team shows it (the chosen capacity within the
// maximum), and the rows of the members not heard from for a while.
type Listing struct {
	Listed, IDSum          int64 // the members listed, and the sum of their ids
	Available, Busy, Break int
	Capacity               int
	IDs                    []int64  // the listed members' ids, ascending, when asked for
	Lapsed                 []Member // ordered by id
}

// Store keeps presence, offers and passes where every instance can see them,
// and elects the one instance that makes offers. MemoryStore and
// PostgresStore both pass store_test.go.
type Store interface {
	// Join records that a counsellor connected: a new row, or an existing
	// one refreshed (an offline counsellor comes back available).
	Join(ctx context.Context, m Member) error
	// Seen marks counsellors as still connected at at.
	Seen(ctx context.Context, ids []int64, at time.Time) error
	// SetStatus changes status and, when capacity > 0, the chosen capacity
	// (kept within the maximum). It returns the updated row.
	SetStatus(ctx context.Context, id int64, status Status, capacity int) (Member, error)
	// SetMaxCapacity applies a new maximum to a member's row, lowering the
	// chosen capacity to it if above; ok is false when they have no row (they
	// get the maximum from their account when they connect).
	SetMaxCapacity(ctx context.Context, id int64, maxCapacity int) (m Member, ok bool, err error)
	// SetMisses records missed offers (and possibly a new status).
	SetMisses(ctx context.Context, id int64, misses int, status Status) error
	// Assigned resets misses and idle time after a counsellor took a conversation.
	Assigned(ctx context.Context, id int64, at time.Time) error
	// Members lists every presence row; Member reads one (ok false if none).
	Members(ctx context.Context) ([]Member, error)
	Member(ctx context.Context, id int64) (m Member, ok bool, err error)
	// OnShift counts members on shift (Status.OnShift) heard from since
	// the given time: what every arrival's admission asks, cheaply.
	OnShift(ctx context.Context, seenSince time.Time) (int, error)
	// List counts the members Team lists (not offline, heard from since
	// listedSince) and returns the rows of those not heard from since
	// lapsedBefore, whatever their status: what a round with nothing
	// offered, and the supervisors' summary, need of the roster, without a
	// copy of every row (Members). With ids, the listed members' ids too.
	// A zero lapsedBefore asks for no rows.
	List(ctx context.Context, listedSince, lapsedBefore time.Time, ids bool) (Listing, error)

	// PutOffer records an offer unless the conversation already has one.
	PutOffer(ctx context.Context, o Offer) (bool, error)
	// Offered tells whether the conversation is offered to counselorID now.
	Offered(ctx context.Context, conversationID string, counselorID int64) (bool, error)
	// TakeOffer removes and returns the conversation's offer if it is to counselorID.
	TakeOffer(ctx context.Context, conversationID string, counselorID int64) (Offer, bool, error)
	DeleteOffer(ctx context.Context, conversationID string) error
	Offers(ctx context.Context) ([]Offer, error)

	// AddPass, ClearPasses and Passes keep who let which conversation pass this round.
	AddPass(ctx context.Context, conversationID string, counselorID int64) error
	ClearPasses(ctx context.Context, conversationID string) error
	Passes(ctx context.Context) (map[string]map[int64]bool, error)

	// Lead runs fn while this instance is the leader, and keeps trying to
	// become it until ctx ends. At most one instance leads at a time.
	Lead(ctx context.Context, fn func(ctx context.Context)) error
}
