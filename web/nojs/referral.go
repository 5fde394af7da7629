package nojs

import (
	"context"
	"net/http"
	"strings"

	"helpline/chat"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
)

// Referrals is what these pages ask of referral in a conversation: the
// very use cases the live page calls over HTTP (refer.Service), so a warm
// referral answered here is the same consent, decline or withdrawal, with
// the same checks, counts and frames to the counsellor.
type Referrals interface {
	ForSeeker(ctx context.Context, p chat.Principal) ([]refer.SeekerView, error)
	Consent(ctx context.Context, p chat.Principal, referralID string, who referral.Seeker) (refer.SeekerView, error)
	Decline(ctx context.Context, p chat.Principal, referralID string) (refer.SeekerView, error)
	Withdraw(ctx context.Context, p chat.Principal, referralID string) (refer.SeekerView, error)
}

// referralLine is one warm referral as the chat frame lists it.
type referralLine struct {
	ID, State, Text string
}

// referralView is the page of one warm referral: what would be sent, to
// whom, the choice, and (after "continue") the exact list to confirm.
type referralView struct {
	ID, State, Partner, Outcome string
	Lines                       []string // exactly what the partner would receive
	Sharing                     string
	Name, Contact               string
	Review                      bool // the list includes what was typed; "Yes, send this" is on the page
	Error                       string
}

func (h *Handler) referralRoutes(mux *http.ServeMux) {
	if h.cfg.Referrals == nil {
		return
	}
	mux.HandleFunc("GET /nojs/referrals/{rid}", h.referralPage)
	mux.HandleFunc("POST /nojs/referrals/{rid}/review", h.referralReview)
	mux.HandleFunc("POST /nojs/referrals/{rid}/consent", h.referralAnswer("consent"))
	mux.HandleFunc("POST /nojs/referrals/{rid}/decline", h.referralAnswer("decline"))
	mux.HandleFunc("POST /nojs/referrals/{rid}/withdraw", h.referralAnswer("withdraw"))
}

// warmReferrals lists the conversation's warm referrals for the chat frame
// and the closing page (nothing when referrals are off or unreachable: the
// conversation still works).
func (h *Handler) warmReferrals(ctx context.Context, p chat.Principal, v *view) {
	if h.cfg.Referrals == nil || p.Role != chat.RoleSeeker {
		return
	}
	list, err := h.cfg.Referrals.ForSeeker(ctx, p)
	if err != nil {
		return
	}
	for _, r := range list {
		if r.Warm == refer.WarmNone {
			continue
		}
		state := r.Status
		text := v.outcome(r, state)
		if state == refer.StatusOffered {
			text = v.L.T("referral.offer.title")
		}
		v.Referrals = append(v.Referrals, referralLine{ID: r.ID, State: state, Text: text})
	}
}

func partnerOf(r refer.SeekerView) string {
	if r.PartnerName != "" {
		return r.PartnerName
	}
	return r.ServiceName
}

// outcome words a referral's state, as the live page does.
func (v view) outcome(r refer.SeekerView, state string) string {
	key := map[string]string{refer.StatusPending: "sent_pending", refer.StatusDelivered: "delivered", refer.StatusFailed: "failed",
		refer.StatusWithdrawn: "withdrawn", refer.StatusDeclined: "declined", refer.StatusContactMade: "contact_made"}[state]
	if key == "" {
		key = "sent_pending"
	}
	code := ""
	if r.Send != nil {
		code = r.Send.ReferralCode
	}
	return v.L.T("referral.offer."+key, "partner", partnerOf(r), "code", code)
}

// wouldSend is exactly what the partner would receive, line by line, in
// the live page's words.
func (v view) wouldSend(r refer.SeekerView, who referral.Seeker) []string {
	s := r.Send
	if s == nil {
		return nil
	}
	lines := []string{v.L.T("referral.offer.field_code", "code", s.ReferralCode), v.L.T("referral.offer.field_service", "service", r.ServiceName)}
	if s.Language != "" {
		lines = append(lines, v.L.T("referral.offer.field_language", "language", v.L.texts.Name(s.Language)))
	}
	lines = append(lines, v.L.T("referral.offer.field_audience", "audience", v.L.T("referral.audience."+s.Audience)))
	if s.Region != "" {
		lines = append(lines, v.L.T("referral.offer.field_region", "region", s.Region))
	}
	if who.Sharing == referral.ShareContact {
		if who.Name != "" {
			lines = append(lines, v.L.T("referral.offer.field_name", "name", who.Name))
		}
		if who.Contact != "" {
			lines = append(lines, v.L.T("referral.offer.field_contact", "contact", who.Contact))
		}
	}
	return lines
}

// seekerReferral finds the seeker's referral rid. ok false: the answer is
// written.
func (h *Handler) seekerReferral(w http.ResponseWriter, r *http.Request, v view, cred string) (chat.Principal, refer.SeekerView, bool) {
	p, err := h.seeker(r, cred)
	var list []refer.SeekerView
	if err == nil {
		list, err = h.cfg.Referrals.ForSeeker(r.Context(), p)
	}
	if err != nil {
		h.renderProblem(w, v, err, "/nojs/chat")
		return p, refer.SeekerView{}, false
	}
	for _, one := range list {
		if one.ID == r.PathValue("rid") && one.Warm != refer.WarmNone {
			return p, one, true
		}
	}
	h.renderProblem(w, v, chat.Errorf(chat.CodeNotFound, "no such referral"), "/nojs/chat")
	return p, refer.SeekerView{}, false
}

// referralPage shows one warm referral: the offer with its choice, or
// where it stands (with "withdraw" while it waits to be sent).
func (h *Handler) referralPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/referrals/"+r.PathValue("rid"))
	cred := credential(r)
	if cred == "" {
		redirect(w, r, "/nojs/")
		return
	}
	_, one, ok := h.seekerReferral(w, r, v, cred)
	if !ok {
		return
	}
	h.renderReferral(w, v, cred, one, referral.Seeker{Sharing: referral.ShareCodeOnly}, false, "", http.StatusOK)
}

func (h *Handler) renderReferral(w http.ResponseWriter, v view, cred string, one refer.SeekerView, who referral.Seeker, review bool, errKey string, status int) {
	v.CSRF, v.Handback = formToken(cred), true
	state := one.Status
	v.Referral = referralView{ID: one.ID, State: state, Partner: partnerOf(one), Sharing: string(who.Sharing),
		Name: who.Name, Contact: who.Contact, Review: review, Lines: v.wouldSend(one, who)}
	if state != refer.StatusOffered {
		v.Referral.Outcome = v.outcome(one, state)
	}
	if errKey != "" {
		v.Referral.Error = v.L.T(errKey)
	}
	h.render(w, status, "referral", v)
}

// typedSeeker reads the choice and what was typed; the name and contact
// count only with "also a name and a contact".
func typedSeeker(r *http.Request) referral.Seeker {
	who := referral.Seeker{Sharing: referral.Sharing(r.PostForm.Get("sharing"))}
	if who.Sharing == referral.ShareContact {
		who.Name = strings.TrimSpace(r.PostForm.Get("name"))
		who.Contact = strings.TrimSpace(r.PostForm.Get("contact"))
	}
	return who
}

// referralReview is "continue" after choosing: "no" declines at once;
// otherwise the page shows exactly what would be sent, with what was
// typed, and only then offers "Yes, send this". Nothing is sent here.
func (h *Handler) referralReview(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/referrals/"+r.PathValue("rid"))
	cred, ok := h.conversationForm(w, r, v)
	if !ok {
		return
	}
	p, one, ok := h.seekerReferral(w, r, v, cred)
	if !ok {
		return
	}
	who := typedSeeker(r)
	switch who.Sharing {
	case "no":
		h.answerReferral(w, r, v, cred, p, one, "decline", who)
		return
	case referral.ShareCodeOnly:
	case referral.ShareContact:
		if who.Name == "" && who.Contact == "" {
			h.renderReferral(w, v, cred, one, who, false, "referral.offer.need_contact", http.StatusBadRequest)
			return
		}
	default:
		who = referral.Seeker{Sharing: referral.ShareCodeOnly}
		h.renderReferral(w, v, cred, one, who, false, "nojs.referral_choose", http.StatusBadRequest)
		return
	}
	h.renderReferral(w, v, cred, one, who, one.Status == refer.StatusOffered, "", http.StatusOK)
}

// referralAnswer is the seeker's answer: consent (only with the explicit
// confirm=send of the "Yes, send this" button), decline or withdraw.
func (h *Handler) referralAnswer(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		v := h.view(w, r, "/nojs/referrals/"+r.PathValue("rid"))
		cred, ok := h.conversationForm(w, r, v)
		if !ok {
			return
		}
		p, one, ok := h.seekerReferral(w, r, v, cred)
		if !ok {
			return
		}
		h.answerReferral(w, r, v, cred, p, one, action, typedSeeker(r))
	}
}

func (h *Handler) answerReferral(w http.ResponseWriter, r *http.Request, v view, cred string, p chat.Principal, one refer.SeekerView, action string, who referral.Seeker) {
	var err error
	switch action {
	case "consent":
		if r.PostForm.Get("confirm") != "send" {
			h.renderReferral(w, v, cred, one, who, false, "nojs.referral_not_confirmed", http.StatusBadRequest)
			return
		}
		_, err = h.cfg.Referrals.Consent(r.Context(), p, one.ID, who)
	case "decline":
		_, err = h.cfg.Referrals.Decline(r.Context(), p, one.ID)
	case "withdraw":
		_, err = h.cfg.Referrals.Withdraw(r.Context(), p, one.ID)
	}
	if err != nil {
		status := h.cfg.ErrorStatus(w, err)
		v.Error = v.errorText(err)
		if chat.ErrorCode(err) == chat.CodeConflict {
			v.Error = v.L.T("nojs.referral_conflict")
		}
		h.renderReferral(w, v, cred, one, who, false, "", status)
		return
	}
	redirect(w, r, "/nojs/referrals/"+one.ID)
}
