package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"helpline/chat"
	"helpline/counselors/care"
)

// CareService is what the care endpoints need (*care.Service).
type CareService interface {
	Mine(ctx context.Context, p chat.Principal) (care.Figures, error)
	Of(ctx context.Context, p chat.Principal, staffID int64) (care.Figures, error)
	Team(ctx context.Context, p chat.Principal) ([]care.TeamEntry, error)
	Settings() (capTime, notice time.Duration, breakAfterHighRisk bool)
}

// Care endpoints (chat/PROTOCOL.md "Care for counsellors"): a staff
// member's own figures, and for supervisors one colleague's or where the
// team stands against the exposure cap. counselors/care decides who may;
// refusals look like "not found". Nothing here is in reports or metrics.
func (h *handler) careRoutes(mux *http.ServeMux) {
	if h.cfg.Care == nil {
		return
	}
	mux.HandleFunc("GET /api/care/me", h.withStaff(h.myCare))
	mux.HandleFunc("GET /api/care/staff/{id}", h.withStaff(h.staffCare))
	mux.HandleFunc("GET /api/care/team", h.withStaff(h.teamCare))
}

type carePeriodView struct {
	From                time.Time `json:"from"`
	ConversationSeconds int64     `json:"conversation_seconds"`
	Conversations       int       `json:"conversations"`
	HighRisk            int       `json:"high_risk"`
	Escalated           int       `json:"escalated"`
	Breaks              int       `json:"breaks"`
	BreakSeconds        int64     `json:"break_seconds"`
}

func viewCarePeriod(p care.Period) carePeriodView {
	return carePeriodView{From: p.From, ConversationSeconds: int64(p.ConversationTime / time.Second), Conversations: p.Conversations,
		HighRisk: p.HighRisk, Escalated: p.Escalated, Breaks: p.Breaks, BreakSeconds: int64(p.BreakTime / time.Second)}
}

func (h *handler) careView(f care.Figures) map[string]any {
	capTime, notice, suggest := h.cfg.Care.Settings()
	return map[string]any{"staff_id": strconv.FormatInt(f.StaffID, 10), "shift": viewCarePeriod(f.Shift), "week": viewCarePeriod(f.Week),
		"cap_seconds": int64(capTime / time.Second), "notice_seconds": int64(notice / time.Second), "cap_state": f.CapState,
		"on_break": f.OnBreak, "break_after_high_risk": suggest, "break_suggested_at": timeOrNil(f.BreakSuggested)}
}

func (h *handler) myCare(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	f, err := h.cfg.Care.Mine(r.Context(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h.careView(f))
}

func (h *handler) staffCare(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, chat.ErrNotFound)
		return
	}
	f, err := h.cfg.Care.Of(r.Context(), p, id)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h.careView(f))
}

func (h *handler) teamCare(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	entries, err := h.cfg.Care.Team(r.Context(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	type entry struct {
		ID              string `json:"id"`
		ExposureSeconds int64  `json:"exposure_seconds"`
		CapState        string `json:"cap_state"`
	}
	out := make([]entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, entry{strconv.FormatInt(e.StaffID, 10), int64(e.Exposure / time.Second), e.CapState})
	}
	capTime, _, _ := h.cfg.Care.Settings()
	writeJSON(w, http.StatusOK, map[string]any{"members": out, "cap_seconds": int64(capTime / time.Second)})
}
