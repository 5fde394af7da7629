package web

import (
	"net/http"
	"time"

	"helpline/chat"
	"helpline/chat/riskflag"
)

// riskFlagRoutes serves a conversation's risk flags to the staff who may
// read it (chat/riskflag; chat/PROTOCOL.md "Risk flags").
func (h *handler) riskFlagRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/staff/conversations/{id}/risk-flags",
		h.requireRole(h.listRiskFlags, chat.RoleCounselor, chat.RoleSupervisor, chat.RoleAdmin))
}

type riskFlagView struct {
	ID       string    `json:"id"`
	Seq      int64     `json:"seq"`
	Category string    `json:"category"`
	Imminent bool      `json:"imminent"`
	List     string    `json:"list"`
	Version  string    `json:"version"`
	Words    []string  `json:"words"`
	Phrases  []string  `json:"phrases"`
	At       time.Time `json:"at"`
	// Escalated: the automatic escalation of this flag went through.
	Escalated bool `json:"escalated"`
}

// listRiskFlags answers GET /api/staff/conversations/{id}/risk-flags: the
// words that matched are seeker content, so the read is the conversation's
// read rule, audited first (refused when the audit cannot be written).
func (h *handler) listRiskFlags(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	id := r.PathValue("id")
	if _, err := h.cfg.Chat.ReadContent(r.Context(), p, id); err != nil {
		writeError(w, err)
		return
	}
	var flags []riskflag.Flag
	if h.cfg.RiskFlags != nil {
		var err error
		if flags, err = h.cfg.RiskFlags.Flags(r.Context(), id); err != nil {
			h.cfg.Log.Error("reading risk flags failed", "error", err)
			writeError(w, chat.Errorf(chat.CodeUnavailable, "please try again"))
			return
		}
	}
	out := make([]riskFlagView, 0, len(flags))
	for _, f := range flags {
		out = append(out, riskFlagView{ID: f.ID, Seq: f.Seq, Category: f.Category, Imminent: f.Imminent, List: f.List,
			Version: f.Version, Words: nonNil(f.Words), Phrases: nonNil(f.Phrases), At: f.CreatedAt, Escalated: f.Escalated})
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation_id": id, "flags": out})
}
