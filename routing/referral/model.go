package referral

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"helpline/routing/referral/webhook"
)

// Status is where a delivery stands.
type Status string

const (
	StatusPending   Status = "pending"   // waiting for its next attempt
	StatusDelivered Status = "delivered" // the partner answered 2xx
	StatusDead      Status = "dead"      // every attempt failed, or the partner is gone
	StatusWithdrawn Status = "withdrawn" // the seeker withdrew before delivery
)

// Delivery is one outbox row: one warm referral for one partner.
type Delivery struct {
	ID          string // the webhook-id: stable across retries
	PartnerID   string
	Body        []byte // the encoded Payload; sealed at rest
	Attempts    int
	NextAttempt time.Time
	Status      Status
	LastError   string // a short reason: never a URL or a body
	CreatedAt   time.Time
	DoneAt      time.Time // delivered, dead or withdrawn
	// Claim is set while a deliverer holds the row (see Store.Claim).
	Claim string
}

// Partner is a service that receives warm referrals. Only an administrator
// adds one; nothing a seeker or counsellor sends can name a URL.
type Partner struct {
	ID      string
	Name    string
	URL     string
	Secrets []string // "whsec_…", the first is the newest; several during rotation
	Enabled bool
	// AllowPrivate lets deliveries reach loopback and private addresses.
	// Only for tests and local development: it turns the SSRF guard off.
	AllowPrivate   bool
	DisabledReason string
}

var (
	ErrNotFound = errors.New("referral: no such delivery or partner")
	// ErrInFlight: a deliverer is sending this referral right now; it can no
	// longer be withdrawn.
	ErrInFlight = errors.New("referral: the referral is being sent right now and can no longer be withdrawn")
	// ErrNotPending: the delivery already ended (delivered, dead, withdrawn).
	ErrNotPending = errors.New("referral: the referral was already delivered, withdrawn or given up")
	// ErrNotDead: only a dead-lettered delivery can be retried.
	ErrNotDead = errors.New("referral: only a delivery that failed for good can be retried")
	// ErrLostClaim: another deliverer took the row over after this one's
	// claim expired; its result is dropped.
	ErrLostClaim = errors.New("referral: claim expired and the delivery was taken over")
)

// Validate checks what an administrator entered for a partner.
func (p Partner) Validate() error {
	if p.ID == "" || p.Name == "" {
		return errors.New("referral: a partner needs an id and a name")
	}
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("referral: the partner URL must be an absolute https:// URL")
	}
	if _, err := webhook.ParseSecrets(p.Secrets); err != nil {
		return fmt.Errorf("referral: partner %s: %w", p.ID, err)
	}
	return nil
}
