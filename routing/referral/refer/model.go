package refer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"helpline/routing/referral"
)

// KindReferral is the message kind of a referral card.
const KindReferral = "referral"

// Warm is where a warm referral stands, as the seeker decided it.
type Warm string

const (
	WarmNone      Warm = ""          // not offered
	WarmOffered   Warm = "offered"   // offered; the seeker has not answered
	WarmConsented Warm = "consented" // the seeker said "yes, send this": in the outbox
	WarmDeclined  Warm = "declined"  // the seeker said no: nothing is sent
	WarmWithdrawn Warm = "withdrawn" // the seeker withdrew before delivery
)

// Referral is one referral made in a conversation.
type Referral struct {
	ID             string
	ConversationID string
	ServiceID      string
	ServiceName    string // as the card showed it
	PartnerID      string // set when a warm referral was offered
	StaffID        int64
	Seq            int64  // the card's message
	Code           string // the anonymous referral code, "R-XXXX-XXXX"
	Warm           Warm
	DeliveryID     string // the outbox row (webhook-id), once consented
	ContactMadeAt  time.Time
	CreatedAt      time.Time
}

// Count events, per day.
const (
	CountCard        = "card"
	CountWarmOffered = "warm_offered"
	CountConsented   = "consented"
	CountDeclined    = "declined"
	CountWithdrawn   = "withdrawn"
	CountContactMade = "contact_made"
)

var (
	ErrNotFound = errors.New("refer: no such referral")
	// ErrState: the referral is not in the state the action needs.
	ErrState = errors.New("refer: the referral is not in a state that allows this")
)

// Store keeps referral records and their daily counts. MemoryStore and
// PostgresStore pass the same contract suite (store_test.go).
type Store interface {
	// Add records r (and counts a card); adding the same id again changes
	// nothing and returns the stored one.
	Add(ctx context.Context, r Referral) (Referral, error)
	Get(ctx context.Context, id string) (Referral, error)
	ByDelivery(ctx context.Context, deliveryID string) (Referral, error)
	ByCode(ctx context.Context, partnerID, code string) (Referral, error)
	ForConversation(ctx context.Context, conversationID string) ([]Referral, error)
	// Offer moves a referral from none (or offered) to offered for partnerID.
	Offer(ctx context.Context, id, partnerID string, now time.Time) (Referral, error)
	// Consent moves an offered referral to consented and writes d to the
	// outbox in the same step: both happen or neither does.
	Consent(ctx context.Context, id string, d referral.Delivery, now time.Time) (Referral, error)
	// SetWarm moves a referral from one of from to to.
	SetWarm(ctx context.Context, id string, from []Warm, to Warm, count string, now time.Time) (Referral, error)
	// ContactMade marks the partner's confirmation (once).
	ContactMade(ctx context.Context, id string, now time.Time) (Referral, error)
	// Counts returns the daily counts of [from, to).
	Counts(ctx context.Context, from, to time.Time) (map[string]map[string]int64, error)
}

// RecordID is a card's referral id, derived from the conversation and the
// counsellor's client id, so that a retried card is the same referral.
func RecordID(conversationID, clientID string) string {
	sum := sha256.Sum256([]byte(conversationID + "\x00" + clientID))
	return "rf_" + hex.EncodeToString(sum[:12])
}

// newCode returns an anonymous referral code a seeker can read out:
// "R-" and two groups of four letters and digits without look-alikes.
func newCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	var sb strings.Builder
	sb.WriteString("R-")
	for i, c := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
