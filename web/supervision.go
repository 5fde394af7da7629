package web

import (
	"net/http"

	"helpline/chat"
)

// supervisionRoutes are a supervisor's actions on a live conversation
// (chat/PROTOCOL.md "Supervision"). Each names its conversation in the
// path; each is idempotent and audited by chat/oversight or chat, which
// also decide who may (the same rule as the socket's).
func (h *handler) supervisionRoutes(mux *http.ServeMux) {
	if h.cfg.Oversight == nil {
		return
	}
	mux.HandleFunc("GET /api/staff/conversations/{id}/supervision", h.supervisionView)
	mux.HandleFunc("POST /api/staff/conversations/{id}/whispers", h.whisper)
	mux.HandleFunc("POST /api/staff/conversations/{id}/join", h.supervise("join"))
	mux.HandleFunc("POST /api/staff/conversations/{id}/leave", h.supervise("leave"))
	mux.HandleFunc("POST /api/staff/conversations/{id}/take-over", h.supervise("take-over"))
}

func (h *handler) supervisionView(w http.ResponseWriter, r *http.Request) {
	p, _, err := h.staff(r)
	if err != nil {
		writeError(w, err)
		return
	}
	v, err := h.cfg.Oversight.View(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) whisper(w http.ResponseWriter, r *http.Request) {
	p, info, err := h.staff(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req struct {
		ClientID string `json:"client_id"`
		Body     string `json:"body"`
	}
	if !decode(w, r, &req) {
		return
	}
	wh, err := h.cfg.Oversight.Whisper(r.Context(), p, info, r.PathValue("id"), req.ClientID, req.Body)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"whisper": wh})
}

// supervise answers join, leave and take-over: an empty body (or {}), and
// the conversation as it is afterwards.
func (h *handler) supervise(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, info, err := h.staff(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if r.ContentLength != 0 {
			var empty struct{}
			if !decode(w, r, &empty) {
				return
			}
		}
		ctx, id := r.Context(), r.PathValue("id")
		var c chat.Conversation
		switch action {
		case "join":
			c, err = h.cfg.Oversight.Join(ctx, p, info, id)
		case "leave":
			c, err = h.cfg.Oversight.Leave(ctx, p, id)
		default:
			c, err = h.cfg.Oversight.TakeOver(ctx, p, info, id)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"conversation": c.View()})
	}
}
