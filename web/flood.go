package web

import (
	"context"
	"net/http"
	"time"

	"helpline/chat"
	"helpline/chat/flood"
)

// The flood waiting step (chat/flood, PROTOCOL.md "Waiting step"):
//
//	GET  /api/seeker/waiting-step  → {"on": false} or {"on": true, "challenge", "bits", "expires_at"}
//	GET  /api/staff/flood          supervisors and admins → {"on", "by", "since"}
//	PUT  /api/staff/flood          supervisors and admins, {"on": bool} → the same (audited)
//
// and POST /api/seeker/conversations takes "waiting_step": {"challenge",
// "nonce"} while it is on.

// FloodService is what web needs of chat/flood.
type FloodService interface {
	State(ctx context.Context) (flood.State, error)
	Switch(ctx context.Context, p chat.Principal, name string, on bool) (flood.State, error)
	NewChallenge(ctx context.Context) (flood.Challenge, error)
	NewTicket() (string, time.Duration)
	TicketLeft(ticket string) (time.Duration, bool)
	CheckStart(ctx context.Context, pr flood.Proof) error
}

func (h *handler) floodRoutes(mux *http.ServeMux) {
	if h.cfg.Flood == nil {
		return
	}
	mux.HandleFunc("GET /api/seeker/waiting-step", h.waitingStep)
	mux.HandleFunc("GET /api/staff/flood", h.requireRole(h.floodState, chat.RoleSupervisor, chat.RoleAdmin))
	mux.HandleFunc("PUT /api/staff/flood", h.withStaff(h.switchFlood))
}

// checkWaitingStep lets a start through while the waiting step is off, or
// with its solved challenge (nil Flood: never on).
func (h *handler) checkWaitingStep(ctx context.Context, pr *flood.Proof) error {
	if h.cfg.Flood == nil {
		return nil
	}
	if pr == nil {
		pr = &flood.Proof{}
	}
	return h.cfg.Flood.CheckStart(ctx, flood.Proof{Challenge: pr.Challenge, Nonce: pr.Nonce})
}

func (h *handler) waitingStep(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := h.cfg.Flood.NewChallenge(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *handler) floodState(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	st, err := h.cfg.Flood.State(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) switchFlood(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	if p.Role != chat.RoleSupervisor && p.Role != chat.RoleAdmin {
		writeError(w, chat.Errorf(chat.CodeNotFound, "not found"))
		return
	}
	var req struct {
		On *bool `json:"on"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.On == nil {
		writeError(w, chat.Errorf(chat.CodeInvalid, `send {"on": true} or {"on": false}`))
		return
	}
	name := info.DisplayName
	if name == "" {
		name = info.Username
	}
	st, err := h.cfg.Flood.Switch(r.Context(), p, name, *req.On)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
