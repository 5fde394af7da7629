package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"helpline/chat"
	"helpline/counselors"
	"helpline/counselors/feedback"
)

// FeedbackComments is what the admin page reads of seekers' comments.
type FeedbackComments interface {
	Comments(ctx context.Context, fromWeek, toWeek string) ([]feedback.Comment, error)
}

// The admin page and the admin endpoints it needs beyond admin.go's (see
// PROTOCOL.md "Admin pages"):
//
//	GET  /admin                                  the page (it signs in itself)
//	PATCH /api/admin/accounts/{id}               display_name, role, languages, audiences, capacity, max_capacity
//	POST /api/admin/accounts/{id}/password       {"password"} → 204; signs the account out everywhere
//	POST /api/admin/accounts/{id}/second-factor  → {"otpauth_url"}; the next sign-in needs a code
//	GET  /api/admin/audit?actor=&action=&target=&from=&to=&before=&limit=  a filtered page, newest first
//	GET  /api/admin/feedback/comments?from=2026-W45&to=2026-W48           seekers' comments; audited read

func (h *handler) adminPageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", h.page(staticFS(), "admin.html"))
	mux.HandleFunc("POST /api/admin/accounts/{id}/password", h.requireRole(h.resetPassword, chat.RoleAdmin))
	mux.HandleFunc("POST /api/admin/accounts/{id}/second-factor", h.requireRole(h.enrollSecondFactor, chat.RoleAdmin))
	if h.cfg.Comments != nil {
		mux.HandleFunc("GET /api/admin/feedback/comments", h.requireRole(h.feedbackComments, chat.RoleAdmin))
	}
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, counselors.ErrNoAccount
	}
	return id, nil
}

// changeAccount changes what an admin may change on an account; absent
// fields stay. max_capacity goes first, so that a capacity sent with it is
// checked against the new maximum.
func (h *handler) changeAccount(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req struct {
		MaxCapacity *int       `json:"max_capacity"`
		DisplayName *string    `json:"display_name"`
		Role        *chat.Role `json:"role"`
		Languages   *[]string  `json:"languages"`
		Audiences   *[]string  `json:"audiences"`
		Capacity    *int       `json:"capacity"`
	}
	if !decode(w, r, &req) {
		return
	}
	ch := counselors.AccountChange{DisplayName: req.DisplayName, Role: req.Role, Languages: req.Languages, Audiences: req.Audiences, Capacity: req.Capacity}
	if req.MaxCapacity == nil && ch == (counselors.AccountChange{}) {
		writeError(w, chat.Errorf(chat.CodeInvalid, "send the change, e.g. {\"max_capacity\": 4} or {\"role\": \"supervisor\"}"))
		return
	}
	var a counselors.Account
	if req.MaxCapacity != nil {
		if a, err = h.cfg.Staff.SetMaxCapacity(r.Context(), id, *req.MaxCapacity, p.StaffID); err != nil {
			writeError(w, err)
			return
		}
	}
	if ch != (counselors.AccountChange{}) {
		if a, err = h.cfg.Staff.ChangeAccount(r.Context(), id, ch, p.StaffID); err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, viewAccount(a))
}

func (h *handler) resetPassword(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req struct {
		Password string `json:"password"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := h.cfg.Staff.ResetPassword(r.Context(), id, req.Password, p.StaffID); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) enrollSecondFactor(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	url, err := h.cfg.Staff.EnrollSecondFactor(r.Context(), id, p.StaffID)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"otpauth_url": url})
}

// auditFilter reads the audit page's query: actor (account id), action and
// target (exact, or a prefix ending in *), from and to (YYYY-MM-DD, to
// included), before (an entry id, for the next page) and limit.
func auditFilter(r *http.Request) (counselors.AuditFilter, error) {
	q := r.URL.Query()
	f := counselors.AuditFilter{Action: q.Get("action"), Target: q.Get("target")}
	bad := func(what string) error { return chat.Errorf(chat.CodeInvalid, "%s: %s", what, q.Get(what)) }
	var err error
	if v := q.Get("actor"); v != "" {
		if f.ActorID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, bad("actor")
		}
	}
	if v := q.Get("before"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, bad("before")
		}
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil {
			return f, bad("limit")
		}
	}
	if v := q.Get("from"); v != "" {
		if f.From, err = time.Parse(time.DateOnly, v); err != nil {
			return f, bad("from")
		}
	}
	if v := q.Get("to"); v != "" {
		if f.To, err = time.Parse(time.DateOnly, v); err != nil {
			return f, bad("to")
		}
		f.To = f.To.AddDate(0, 0, 1)
	}
	return f, nil
}

func (h *handler) auditLog(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	f, err := auditFilter(r)
	if err != nil {
		writeError(w, err)
		return
	}
	entries, err := h.cfg.Staff.SearchAudit(r.Context(), p, f)
	if err != nil {
		writeError(w, err)
		return
	}
	type entryView struct {
		ID      int64     `json:"id"`
		At      time.Time `json:"at"`
		ActorID int64     `json:"actor_id"`
		Action  string    `json:"action"`
		Target  string    `json:"target"`
		Detail  string    `json:"detail"`
	}
	out := make([]entryView, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryView(e))
	}
	body := map[string]any{"entries": out}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if len(entries) == limit {
		body["next_before"] = entries[len(entries)-1].ID
	}
	writeJSON(w, http.StatusOK, body)
}

func (h *handler) feedbackComments(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if from == "" || to == "" {
		writeError(w, chat.Errorf(chat.CodeInvalid, "give from and to as ISO weeks, e.g. from=2026-W45&to=2026-W48"))
		return
	}
	// A read of what seekers wrote: audited first, refused if it cannot be.
	if err := h.cfg.Staff.Record(r.Context(), p.StaffID, counselors.AuditRead, "feedback_comments", from+".."+to); err != nil {
		writeError(w, chat.Errorf(chat.CodeUnavailable, "the comments cannot be read right now because the reading could not be recorded"))
		return
	}
	comments, err := h.cfg.Comments.Comments(r.Context(), from, to)
	if err != nil {
		writeError(w, err)
		return
	}
	type view struct {
		Week     string `json:"week"`
		Language string `json:"language"`
		Text     string `json:"text"`
	}
	out := make([]view, 0, len(comments))
	for _, c := range comments {
		out = append(out, view(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": out})
}
