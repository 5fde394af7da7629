package referral

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Store is the outbox and the partner list. MemoryStore serves one
// instance; PostgresStore lets several instances share one outbox, each row
// held by at most one deliverer at a time. Both pass the same contract
// suite (store_test.go).
type Store interface {
	// Enqueue adds d as pending, due at d.NextAttempt. PostgresStore also
	// has EnqueueTx, to write it in the caller's transaction.
	Enqueue(ctx context.Context, d Delivery) error
	// Claim takes up to limit pending rows due at now and not held by
	// another deliverer, and holds them until now+lease. A deliverer that
	// dies simply lets its lease run out; the row is then claimed again
	// (with the same webhook-id).
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// Finish records an attempt's outcome on a row this deliverer claimed;
	// ErrLostClaim if the claim was taken over meanwhile.
	Finish(ctx context.Context, id, claim string, o Outcome) error
	// Withdraw stops a pending delivery before it is sent: ErrInFlight
	// while a deliverer holds it, ErrNotPending once it ended.
	Withdraw(ctx context.Context, id string, now time.Time) error
	// Retry puts a dead delivery back to pending, due at now, with its
	// attempts counted afresh.
	Retry(ctx context.Context, id string, now time.Time) error
	Get(ctx context.Context, id string) (Delivery, error)
	// Purge deletes delivered and withdrawn rows that ended before
	// doneBefore, and dead rows that ended before deadBefore.
	Purge(ctx context.Context, doneBefore, deadBefore time.Time) (int, error)

	PutPartner(ctx context.Context, p Partner) error
	Partner(ctx context.Context, id string) (Partner, error)
	// DisablePartner stops deliveries to a partner, with a reason an
	// administrator reads.
	DisablePartner(ctx context.Context, id, reason string) error
}

// Outcome is what one attempt ended in.
type Outcome struct {
	Status      Status // pending (try again at NextAttempt), delivered or dead
	Attempts    int
	NextAttempt time.Time
	LastError   string
	At          time.Time
}

func newClaim() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// NewID returns a fresh webhook-id ("ref_" and 24 hex digits).
func NewID() string { return "ref_" + newClaim() }
