package web

import (
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"helpline/chat"
	"helpline/routing/supervision"
	"helpline/routing/switchboard"
)

// The supervisor page (GET /supervisor) and its data: the summary, the
// team and the live conversations page by page, the queue's history, and
// the switchboard (chat/PROTOCOL.md "The supervisor page"). Supervisors and
// admins only, except the list of pauses, which every console reads for
// its banner.

func (h *handler) supervisorRoutes(mux *http.ServeMux, static fs.FS) {
	sup, sb := h.cfg.Supervision, h.cfg.Switchboard
	if sup == nil || sb == nil {
		return
	}
	overseers := []chat.Role{chat.RoleSupervisor, chat.RoleAdmin}
	mux.HandleFunc("GET /supervisor", h.page(static, "supervisor.html"))
	mux.HandleFunc("GET /api/supervisor/summary", h.requireRole(h.supervisorSummary, overseers...))
	mux.HandleFunc("GET /api/supervisor/team", h.requireRole(h.supervisorTeam, overseers...))
	mux.HandleFunc("GET /api/supervisor/conversations", h.requireRole(h.supervisorLive, overseers...))
	mux.HandleFunc("GET /api/supervisor/history", h.requireRole(h.supervisorHistory, overseers...))
	mux.HandleFunc("GET /api/switchboard", h.requireRole(h.switchboardList, chat.RoleCounselor, chat.RoleSupervisor, chat.RoleAdmin))
	mux.HandleFunc("POST /api/switchboard/pause", h.requireRole(h.switchboardPause, overseers...))
	mux.HandleFunc("POST /api/switchboard/resume", h.requireRole(h.switchboardResume, overseers...))
}

func (h *handler) supervisorSummary(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	sum, err := h.cfg.Supervision.Summary(r.Context())
	var pauses []switchboard.Pause
	if err == nil {
		pauses, err = h.cfg.Switchboard.List(r.Context())
	}
	if err != nil {
		writeError(w, h.logged(err))
		return
	}
	sum.Paused = switchboard.Views(pauses)
	// now lets the page count ages by the server's clock.
	writeJSON(w, http.StatusOK, struct {
		supervision.Summary
		Now time.Time `json:"now"`
	}{sum, time.Now().UTC()})
}

// page reads ?offset=&limit= (both optional whole numbers).
func page(r *http.Request) (offset, limit int, err error) {
	for name, v := range map[string]*int{"offset": &offset, "limit": &limit} {
		if s := r.URL.Query().Get(name); s != "" {
			n, convErr := strconv.Atoi(s)
			if convErr != nil || n < 0 {
				return 0, 0, chat.Errorf(chat.CodeInvalid, "%s must be a whole number", name)
			}
			*v = n
		}
	}
	return offset, limit, nil
}

func (h *handler) supervisorTeam(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	offset, limit, err := page(r)
	if err == nil {
		var p supervision.TeamPage
		if p, err = h.cfg.Supervision.Team(r.Context(), offset, limit); err == nil {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	writeError(w, h.logged(err))
}

func (h *handler) supervisorLive(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	offset, limit, err := page(r)
	if err == nil {
		var p supervision.LivePage
		if p, err = h.cfg.Supervision.Live(r.Context(), offset, limit); err == nil {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	writeError(w, h.logged(err))
}

func (h *handler) supervisorHistory(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"samples": h.cfg.Supervision.History(), "now": time.Now().UTC()})
}

func (h *handler) switchboardList(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	ps, err := h.cfg.Switchboard.List(r.Context())
	if err != nil {
		writeError(w, h.logged(err))
		return
	}
	writeJSON(w, http.StatusOK, switchboard.NewFrame(ps))
}

type skillRequest struct {
	Audience chat.Audience `json:"audience"`
	Language string        `json:"language"`
}

func (h *handler) switchboardPause(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var req skillRequest
	if !decode(w, r, &req) {
		return
	}
	_, info, err := h.staff(r)
	if err == nil {
		var stands switchboard.Pause
		if stands, err = h.cfg.Switchboard.Pause(r.Context(), p, info.DisplayName, req.Audience, req.Language); err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"pause": switchboard.Views([]switchboard.Pause{stands})[0]})
			return
		}
	}
	writeError(w, err)
}

func (h *handler) switchboardResume(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var req skillRequest
	if !decode(w, r, &req) {
		return
	}
	if err := h.cfg.Switchboard.Resume(r.Context(), p, req.Audience, req.Language); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logged logs an error that is not one of chat's codes (a bug, a store
// failing in a way it does not name) before it is answered as internal.
func (h *handler) logged(err error) error {
	if chat.ErrorCode(err) == chat.CodeInternal {
		h.cfg.Log.Error("a supervisor page request failed", "error", err)
	}
	return err
}
