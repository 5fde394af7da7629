package refer

import (
	"context"
	"errors"
	"net/http"
	"time"

	"helpline/chat"
	"helpline/routing/referral"
	"helpline/routing/referral/webhook"
)

// OfferFrame tells the seeker's page that a warm referral is offered; the
// page fetches what would be sent (ForSeeker) and asks them.
type OfferFrame struct {
	ConversationID string `json:"conversation_id"`
	ReferralID     string `json:"referral_id"`
}

func (OfferFrame) FrameType() string { return "referral_offer" }

// StatusFrame tells the counsellor (and, for failures, supervisors) where a
// referral stands; the seeker gets it too for their own.
type StatusFrame struct {
	ConversationID string `json:"conversation_id"`
	ReferralID     string `json:"referral_id"`
	ServiceName    string `json:"service_name"`
	Status         string `json:"status"`
}

func (StatusFrame) FrameType() string { return "referral_status" }

// PartnerDisabledFrame tells supervisors and admins a partner answered 410.
type PartnerDisabledFrame struct {
	PartnerID string `json:"partner_id"`
	Name      string `json:"name"`
}

func (PartnerDisabledFrame) FrameType() string { return "referral_partner_disabled" }

// OfferWarm offers the seeker a warm referral to the card's service. The
// seeker decides on their own page; nothing is sent yet.
func (s *Service) OfferWarm(ctx context.Context, p chat.Principal, conversationID, referralID string) (View, error) {
	c, err := s.c.Chat.Conversation(ctx, p, conversationID)
	if err != nil || !p.Role.IsStaff() {
		return View{}, errNotFound
	}
	if c.Status != chat.StatusActive {
		return View{}, chat.Errorf(chat.CodeConflict, "the conversation has ended: the person can no longer be asked")
	}
	r, err := s.c.Store.Get(ctx, referralID)
	if err != nil || r.ConversationID != conversationID {
		return View{}, errNotFound
	}
	svc, err := s.c.Directory.Service(ctx, r.ServiceID)
	if err != nil {
		return View{}, s.safe(err)
	}
	partner, ok := s.warmPartner(ctx, svc)
	if !ok {
		return View{}, chat.Errorf(chat.CodeConflict, "this service does not take warm referrals now")
	}
	if err := s.audit(ctx, p, AuditOffer, conversationID, r.ID); err != nil {
		return View{}, err
	}
	if r, err = s.c.Store.Offer(ctx, r.ID, partner.ID, s.c.Now()); err != nil {
		return View{}, s.safe(err)
	}
	s.push(ctx, chat.Recipients{SeekerOf: conversationID}, OfferFrame{ConversationID: conversationID, ReferralID: r.ID})
	v := s.staffView(ctx, r)
	s.pushStatus(ctx, r, v.Status, false)
	return v, nil
}

// SeekerView is a referral as the seeker's page shows it. Send is exactly
// what the partner would receive with "only the code" (with a name and a
// contact method, those two are added as typed): nothing else can be sent.
type SeekerView struct {
	ID          string            `json:"id"`
	ServiceName string            `json:"service_name"`
	PartnerName string            `json:"partner_name,omitempty"`
	Warm        Warm              `json:"warm"`
	Status      string            `json:"status"`
	Send        *referral.Payload `json:"would_send,omitempty"`
}

// ForSeeker lists the seeker's referrals (their own conversation only).
func (s *Service) ForSeeker(ctx context.Context, p chat.Principal) ([]SeekerView, error) {
	if p.Role != chat.RoleSeeker {
		return nil, errNotFound
	}
	c, err := s.c.Chat.Conversation(ctx, p, p.ConversationID)
	if err != nil {
		return nil, err
	}
	rs, err := s.c.Store.ForConversation(ctx, c.ID)
	if err != nil {
		return nil, s.safe(err)
	}
	out := make([]SeekerView, 0, len(rs))
	for _, r := range rs {
		v := SeekerView{ID: r.ID, ServiceName: r.ServiceName, Warm: r.Warm}
		v.Status, _ = s.status(ctx, r)
		if r.Warm != WarmNone {
			if partner, err := s.c.Outbox.Partner(ctx, r.PartnerID); err == nil {
				v.PartnerName = partner.Name
			}
			pl := s.payload(c, r, referral.Seeker{Sharing: referral.ShareCodeOnly})
			v.Send = &pl
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) payload(c chat.Conversation, r Referral, who referral.Seeker) referral.Payload {
	return referral.Payload{Type: referral.EventType, ReferralCode: r.Code, ServiceID: r.ServiceID, Seeker: who,
		Language: c.Language, Audience: string(c.Audience), Region: c.Region}
}

// seekerReferral loads a referral of the seeker's own conversation.
func (s *Service) seekerReferral(ctx context.Context, p chat.Principal, id string) (chat.Conversation, Referral, error) {
	if p.Role != chat.RoleSeeker {
		return chat.Conversation{}, Referral{}, errNotFound
	}
	c, err := s.c.Chat.Conversation(ctx, p, p.ConversationID)
	if err != nil {
		return c, Referral{}, err
	}
	r, err := s.c.Store.Get(ctx, id)
	if err != nil || r.ConversationID != c.ID {
		return c, Referral{}, errNotFound
	}
	return c, r, nil
}

// Consent is the seeker's "yes, send this", from their own page: only
// then is the outbox row written, in the same transaction as the
// referral's state. who is exactly what they chose and typed.
func (s *Service) Consent(ctx context.Context, p chat.Principal, referralID string, who referral.Seeker) (SeekerView, error) {
	c, r, err := s.seekerReferral(ctx, p, referralID)
	if err != nil {
		return SeekerView{}, err
	}
	if r.Warm == WarmConsented {
		return s.seekerOne(ctx, p, r.ID) // a repeat: already in the outbox, once
	}
	if r.Warm != WarmOffered {
		return SeekerView{}, chat.Errorf(chat.CodeConflict, "this referral is not waiting for your answer")
	}
	for _, typed := range []string{who.Name, who.Contact} {
		if err := chat.CheckText(typed, 200, true); err != nil {
			return SeekerView{}, err
		}
	}
	d, err := referral.NewDelivery(r.PartnerID, s.payload(c, r, who), s.c.Now())
	if err != nil {
		return SeekerView{}, chat.Errorf(chat.CodeInvalid, "%s", err.Error())
	}
	if r, err = s.c.Store.Consent(ctx, r.ID, d, s.c.Now()); err != nil {
		return SeekerView{}, s.safe(err)
	}
	s.pushStatus(ctx, r, StatusPending, true)
	return s.seekerOne(ctx, p, r.ID)
}

// Decline is the seeker's "no": nothing is sent.
func (s *Service) Decline(ctx context.Context, p chat.Principal, referralID string) (SeekerView, error) {
	_, r, err := s.seekerReferral(ctx, p, referralID)
	if err != nil {
		return SeekerView{}, err
	}
	if r.Warm != WarmDeclined {
		if r, err = s.c.Store.SetWarm(ctx, r.ID, []Warm{WarmOffered}, WarmDeclined, CountDeclined, s.c.Now()); err != nil {
			return SeekerView{}, s.safe(err)
		}
		s.pushStatus(ctx, r, StatusDeclined, true)
	}
	return s.seekerOne(ctx, p, r.ID)
}

// Withdraw is the seeker taking their consent back before delivery.
func (s *Service) Withdraw(ctx context.Context, p chat.Principal, referralID string) (SeekerView, error) {
	_, r, err := s.seekerReferral(ctx, p, referralID)
	if err != nil {
		return SeekerView{}, err
	}
	if r.Warm == WarmWithdrawn {
		return s.seekerOne(ctx, p, r.ID)
	}
	if r.Warm != WarmConsented {
		return SeekerView{}, chat.Errorf(chat.CodeConflict, "there is nothing to withdraw")
	}
	switch err := s.c.Outbound.Withdraw(ctx, r.DeliveryID); {
	case errors.Is(err, referral.ErrInFlight):
		return SeekerView{}, chat.Errorf(chat.CodeConflict, "it is being sent right now and can no longer be withdrawn")
	case errors.Is(err, referral.ErrNotPending):
		return SeekerView{}, chat.Errorf(chat.CodeConflict, "it was already delivered or given up")
	case err != nil:
		return SeekerView{}, s.safe(err)
	}
	if r, err = s.c.Store.SetWarm(ctx, r.ID, []Warm{WarmConsented}, WarmWithdrawn, CountWithdrawn, s.c.Now()); err != nil {
		return SeekerView{}, s.safe(err)
	}
	s.pushStatus(ctx, r, StatusWithdrawn, true)
	return s.seekerOne(ctx, p, r.ID)
}

func (s *Service) seekerOne(ctx context.Context, p chat.Principal, id string) (SeekerView, error) {
	all, err := s.ForSeeker(ctx, p)
	for _, v := range all {
		if v.ID == id {
			return v, nil
		}
	}
	if err == nil {
		err = errNotFound
	}
	return SeekerView{}, err
}

// Retry is a supervisor (or admin) sending a dead-lettered referral again.
func (s *Service) Retry(ctx context.Context, p chat.Principal, referralID string) (View, error) {
	if p.Role != chat.RoleSupervisor && p.Role != chat.RoleAdmin {
		return View{}, errNotFound
	}
	r, err := s.c.Store.Get(ctx, referralID)
	if err != nil || r.DeliveryID == "" {
		return View{}, errNotFound
	}
	if err := s.audit(ctx, p, AuditRetry, r.ConversationID, r.ID); err != nil {
		return View{}, err
	}
	if err := s.c.Outbound.Retry(ctx, r.DeliveryID); errors.Is(err, referral.ErrNotDead) {
		return View{}, chat.Errorf(chat.CodeConflict, "only a referral that failed for good can be retried")
	} else if err != nil {
		return View{}, s.safe(err)
	}
	s.pushStatus(ctx, r, StatusPending, false)
	return s.staffView(ctx, r), nil
}

// CallbackTolerance bounds how old a partner's signed callback may be.
const CallbackTolerance = 5 * time.Minute

// ContactMade is a partner's signed callback: it confirms contact with the
// person behind code. The signature is the one we sign with (Standard
// Webhooks, the partner's own secrets); any failure is "not found".
func (s *Service) ContactMade(ctx context.Context, partnerID, code string, h http.Header, body []byte) error {
	partner, err := s.c.Outbox.Partner(ctx, partnerID)
	if err != nil {
		return errNotFound
	}
	secrets, err := webhook.ParseSecrets(partner.Secrets)
	if err != nil || webhook.Verify(secrets, h, body, s.c.Now(), CallbackTolerance) != nil {
		return chat.Errorf(chat.CodeUnauthorized, "signature not valid")
	}
	r, err := s.c.Store.ByCode(ctx, partnerID, code)
	if err != nil {
		return s.safe(err)
	}
	if r, err = s.c.Store.ContactMade(ctx, r.ID, s.c.Now()); err != nil {
		return s.safe(err)
	}
	s.pushStatus(ctx, r, StatusContactMade, false)
	return nil
}

func (s *Service) push(ctx context.Context, to chat.Recipients, f interface{ FrameType() string }) {
	if err := s.c.Chat.Push(ctx, to, f); err != nil {
		s.c.Log.Warn("pushing a referral frame failed", "frame", f.FrameType(), "error", err)
	}
}

// pushStatus tells the referral's counsellor and the conversation's staff
// its status; the seeker too when seeker is set; supervisors on failure.
func (s *Service) pushStatus(ctx context.Context, r Referral, status string, seeker bool) {
	to := chat.Recipients{Staff: []int64{r.StaffID}, StaffOf: r.ConversationID}
	if seeker {
		to.SeekerOf = r.ConversationID
	}
	if status == StatusFailed {
		to.Roles = []chat.Role{chat.RoleSupervisor}
	}
	s.push(ctx, to, StatusFrame{ConversationID: r.ConversationID, ReferralID: r.ID, ServiceName: r.ServiceName, Status: status})
}

// Alerts returns the referral.Alerts the deliverer calls.
func (s *Service) Alerts() *Alerts { return &Alerts{s: s} }

// Alerts tells people what the deliverer found: a referral that failed for
// good (its counsellor and the supervisors), a delivered one (its
// counsellor and the seeker), a partner gone (supervisors and admins).
type Alerts struct{ s *Service }

func (a *Alerts) DeliveryFailed(ctx context.Context, d referral.Delivery) {
	a.tell(ctx, d, StatusFailed)
}
func (a *Alerts) Delivered(ctx context.Context, d referral.Delivery) { a.tell(ctx, d, StatusDelivered) }

func (a *Alerts) tell(ctx context.Context, d referral.Delivery, status string) {
	r, err := a.s.c.Store.ByDelivery(ctx, d.ID)
	if err != nil {
		return // the conversation was deleted meanwhile
	}
	a.s.pushStatus(ctx, r, status, status == StatusDelivered)
}

func (a *Alerts) PartnerDisabled(ctx context.Context, p referral.Partner, _ string) {
	a.s.push(ctx, chat.Recipients{Roles: []chat.Role{chat.RoleSupervisor, chat.RoleAdmin}}, PartnerDisabledFrame{PartnerID: p.ID, Name: p.Name})
}
