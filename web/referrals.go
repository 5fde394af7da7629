package web

import (
	"io"
	"net/http"

	"helpline/chat"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
)

// Referral endpoints (chat/PROTOCOL.md "Referrals"): the counsellor's
// directory search and card from a conversation, the seeker's consent to a
// warm referral on their own page, a supervisor's retry, and a partner's
// signed "contact made". The rules are refer.Service's; this file only
// reads requests and writes answers.

func (h *handler) referralRoutes(mux *http.ServeMux) {
	if h.cfg.Referrals == nil {
		return
	}
	mux.HandleFunc("GET /api/staff/conversations/{id}/directory", h.withStaff(h.searchDirectory))
	mux.HandleFunc("GET /api/staff/conversations/{id}/referrals", h.withStaff(h.listReferrals))
	mux.HandleFunc("POST /api/staff/conversations/{id}/referrals", h.withStaff(h.sendReferral))
	mux.HandleFunc("POST /api/staff/conversations/{id}/referrals/{rid}/warm", h.withStaff(h.offerWarm))
	mux.HandleFunc("POST /api/staff/referrals/{rid}/retry", h.withStaff(h.retryReferral))
	mux.HandleFunc("GET /api/seeker/referrals", h.withSeeker(h.seekerReferrals))
	mux.HandleFunc("POST /api/seeker/referrals/{rid}/consent", h.withSeeker(h.consentReferral))
	mux.HandleFunc("POST /api/seeker/referrals/{rid}/decline", h.withSeeker(h.declineReferral))
	mux.HandleFunc("POST /api/seeker/referrals/{rid}/withdraw", h.withSeeker(h.withdrawReferral))
	mux.HandleFunc("POST /api/partners/{id}/referrals/{code}/contact", h.partnerContact)
	h.directoryAdminRoutes(mux)
}

// Text returns one text in lang, else in the default language, else key.
func (t *Texts) Text(lang, key string) string {
	if s, ok := t.tables[lang][key]; ok && s != "" {
		return s
	}
	if s, ok := t.tables[t.Default][key]; ok && s != "" {
		return s
	}
	return key
}

type staffHandler func(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo)

// withSeeker authenticates a seeker credential (Authorization: Bearer).
func (h *handler) withSeeker(next func(w http.ResponseWriter, r *http.Request, p chat.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, _ := cutBearer(r)
		p, _, err := h.cfg.Chat.Authenticate(r.Context(), token)
		if err != nil || p.Role != chat.RoleSeeker {
			writeError(w, chat.Errorf(chat.CodeUnauthorized, "this page's conversation credential is missing or no longer valid"))
			return
		}
		next(w, r, p)
	}
}

func cutBearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && v[:7] == "Bearer " {
		return v[7:], true
	}
	return "", false
}

func (h *handler) searchDirectory(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	var q struct{ Region, Audience, Language *string }
	values := r.URL.Query()
	for name, into := range map[string]**string{"region": &q.Region, "audience": &q.Audience, "language": &q.Language} {
		if values.Has(name) {
			v := values.Get(name)
			if len(v) > 64 {
				writeError(w, chat.Errorf(chat.CodeInvalid, "%s is too long", name))
				return
			}
			*into = &v
		}
	}
	used, results, err := h.cfg.Referrals.Search(r.Context(), p, r.PathValue("id"), refer.SearchQuery{Region: q.Region, Audience: q.Audience, Language: q.Language})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"query":    map[string]string{"region": used.Region, "audience": string(used.Audience), "language": used.Language},
		"services": results})
}

func (h *handler) listReferrals(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	list, err := h.cfg.Referrals.ForConversation(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"referrals": list})
}

func (h *handler) sendReferral(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	var req struct {
		ServiceID string `json:"service_id"`
		ClientID  string `json:"client_id"`
	}
	if !decode(w, r, &req) {
		return
	}
	v, err := h.cfg.Referrals.SendCard(r.Context(), p, info, r.PathValue("id"), req.ServiceID, req.ClientID)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (h *handler) offerWarm(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	v, err := h.cfg.Referrals.OfferWarm(r.Context(), p, r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) retryReferral(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	v, err := h.cfg.Referrals.Retry(r.Context(), p, r.PathValue("rid"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) seekerReferrals(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	list, err := h.cfg.Referrals.ForSeeker(r.Context(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"referrals": list})
}

// ConsentConfirm is the word the seeker's "yes, send this" carries: a
// request without it sends nothing.
const ConsentConfirm = "send"

func (h *handler) consentReferral(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var req struct {
		Confirm string           `json:"confirm"`
		Sharing referral.Sharing `json:"sharing"`
		Name    string           `json:"name"`
		Contact string           `json:"contact"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Confirm != ConsentConfirm {
		writeError(w, chat.Errorf(chat.CodeInvalid, `nothing is sent without "confirm": "send"`))
		return
	}
	v, err := h.cfg.Referrals.Consent(r.Context(), p, r.PathValue("rid"), referral.Seeker{Sharing: req.Sharing, Name: req.Name, Contact: req.Contact})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) declineReferral(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	v, err := h.cfg.Referrals.Decline(r.Context(), p, r.PathValue("rid"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) withdrawReferral(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	v, err := h.cfg.Referrals.Withdraw(r.Context(), p, r.PathValue("rid"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// partnerContact is a partner's signed callback: the body is read raw (the
// signature covers its exact bytes) and bounded.
func (h *handler) partnerContact(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, chat.Errorf(chat.CodeInvalid, "request body is larger than %d bytes", maxBody))
		return
	}
	if err := h.cfg.Referrals.ContactMade(r.Context(), r.PathValue("id"), r.PathValue("code"), r.Header, body); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
