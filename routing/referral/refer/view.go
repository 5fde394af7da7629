package refer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"helpline/routing/directory"
	"helpline/routing/referral"
)

// ServiceView is one search result as the console shows it.
type ServiceView struct {
	ID          string               `json:"id"`
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Regions     []string             `json:"regions"`
	Audiences   []directory.Audience `json:"audiences"`
	Kinds       []directory.Kind     `json:"kinds"`
	Languages   []string             `json:"languages"`
	Channels    []directory.Channel  `json:"channels"`
	Hours       string               `json:"hours"`
	OpenNow     *bool                `json:"open_now"` // null when the hours are not known
	Status      directory.Status     `json:"status"`
	VerifiedOn  string               `json:"verified_on"`
	// Warm: a warm referral can be offered (the service accepts them and
	// its partner is configured and enabled).
	Warm bool `json:"warm"`
}

func (s *Service) view(ctx context.Context, svc directory.Service, lang string, now time.Time) ServiceView {
	v := ServiceView{ID: svc.ID, Name: svc.Name.In(lang, svc.Fallback), Description: svc.Description.In(lang, svc.Fallback),
		Regions: svc.Regions, Audiences: svc.Audiences, Kinds: svc.Kinds, Languages: svc.Languages, Channels: svc.Channels,
		Hours: svc.Hours, Status: svc.Status, VerifiedOn: svc.VerifiedOn}
	if h, ok, err := svc.OpeningHours(); ok && err == nil {
		open := h.Open(now)
		v.OpenNow = &open
	}
	_, v.Warm = s.warmPartner(ctx, svc)
	return v
}

// Status is a referral's state as the counsellor sees it.
const (
	StatusSent        = "sent"         // a card, no warm referral
	StatusOffered     = "offered"      // warm referral offered, the seeker has not answered
	StatusDeclined    = "declined"     // the seeker said no
	StatusWithdrawn   = "withdrawn"    // the seeker withdrew before delivery
	StatusPending     = "pending"      // consented, waiting for delivery
	StatusDelivered   = "delivered"    // the partner has it
	StatusFailed      = "failed"       // every attempt failed; a supervisor can retry
	StatusContactMade = "contact_made" // the partner confirmed contact
)

// View is a referral as the counsellor's console shows it: never what the
// seeker chose to share.
type View struct {
	ID           string    `json:"id"`
	Conversation string    `json:"conversation_id"`
	ServiceID    string    `json:"service_id"`
	ServiceName  string    `json:"service_name"`
	Seq          int64     `json:"seq"`
	Status       string    `json:"status"`
	Warm         bool      `json:"warm_possible"`
	CreatedAt    time.Time `json:"created_at"`
	LastError    string    `json:"last_error,omitempty"`
}

func (s *Service) staffView(ctx context.Context, r Referral) View {
	v := View{ID: r.ID, Conversation: r.ConversationID, ServiceID: r.ServiceID, ServiceName: r.ServiceName, Seq: r.Seq,
		CreatedAt: r.CreatedAt}
	v.Status, v.LastError = s.status(ctx, r)
	if r.Warm == WarmNone {
		if svc, err := s.c.Directory.Service(ctx, r.ServiceID); err == nil {
			_, v.Warm = s.warmPartner(ctx, svc)
		}
	}
	return v
}

// status derives a referral's status from its record and its outbox row.
func (s *Service) status(ctx context.Context, r Referral) (string, string) {
	switch {
	case !r.ContactMadeAt.IsZero():
		return StatusContactMade, ""
	case r.Warm == WarmNone:
		return StatusSent, ""
	case r.Warm == WarmOffered:
		return StatusOffered, ""
	case r.Warm == WarmDeclined:
		return StatusDeclined, ""
	case r.Warm == WarmWithdrawn:
		return StatusWithdrawn, ""
	}
	d, err := s.c.Outbox.Get(ctx, r.DeliveryID)
	switch {
	case errors.Is(err, referral.ErrNotFound):
		return StatusDelivered, "" // ended rows are purged after their retention
	case err != nil:
		return StatusPending, ""
	}
	switch d.Status {
	case referral.StatusDelivered:
		return StatusDelivered, ""
	case referral.StatusDead:
		return StatusFailed, d.LastError
	case referral.StatusWithdrawn:
		return StatusWithdrawn, ""
	}
	return StatusPending, d.LastError
}

// CardText is the card's body: plain text in lang, readable as it is
// (without JavaScript, copied, read aloud): the service's name, what it
// offers, how to contact it, its hours and cost.
func (s *Service) CardText(svc directory.Service, lang string) string {
	t := func(key string) string { return s.c.Text(lang, "referral.card."+key) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", svc.Name.In(lang, svc.Fallback), svc.Description.In(lang, svc.Fallback))
	if len(svc.Kinds) > 0 {
		kinds := make([]string, len(svc.Kinds))
		for i, k := range svc.Kinds {
			kinds[i] = t("kind." + string(k))
		}
		fmt.Fprintf(&b, "%s: %s\n", t("offers"), strings.Join(kinds, ", "))
	}
	if len(svc.Channels) > 0 {
		fmt.Fprintf(&b, "%s:\n", t("contact"))
		for _, c := range svc.Channels {
			fmt.Fprintf(&b, "- %s: %s\n", t("channel."+string(c.Kind)), c.Address)
		}
	}
	hours := t("hours_unknown")
	if strings.TrimSpace(svc.Hours) != "" {
		hours = svc.Hours
		if svc.TimeZone != "" {
			hours += " (" + svc.TimeZone + ")"
		}
	}
	fmt.Fprintf(&b, "%s: %s\n", t("hours"), hours)
	if cost := svc.Cost.In(lang, svc.Fallback); cost != "" {
		fmt.Fprintf(&b, "%s: %s\n", t("cost"), cost)
	}
	if svc.Status == directory.StatusTemporarilyClosed {
		fmt.Fprintf(&b, "%s\n", t("temporarily_closed"))
	}
	return strings.TrimRight(b.String(), "\n")
}
