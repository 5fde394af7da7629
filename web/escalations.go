package web

import (
	"net/http"
	"strconv"
	"time"

	"helpline/chat"
	"helpline/routing/escalation"
)

// Escalation endpoints (chat/PROTOCOL.md "Escalations"): one per action,
// each idempotent; routing/escalation holds the rules (who may, the
// conversation, the audit). Refusals look like "not found".
func (h *handler) escalationRoutes(mux *http.ServeMux) {
	if h.cfg.Escalations == nil {
		return
	}
	mux.HandleFunc("POST /api/escalations", h.withStaff(h.raiseEscalation))
	mux.HandleFunc("GET /api/escalations", h.withStaff(h.unresolvedEscalations))
	mux.HandleFunc("GET /api/escalations/mine", h.withStaff(h.myEscalations))
	mux.HandleFunc("GET /api/escalations/{id}", h.withStaff(h.getEscalation))
	mux.HandleFunc("POST /api/escalations/{id}/acknowledge", h.withStaff(h.acknowledgeEscalation))
	mux.HandleFunc("POST /api/escalations/{id}/resolve", h.withStaff(h.resolveEscalation))
	mux.HandleFunc("GET /api/conversations/{id}/escalations", h.withStaff(h.conversationEscalations))
}

type escalationNoteView struct {
	StaffName string    `json:"staff_name"`
	Kind      string    `json:"kind"`
	Body      string    `json:"body"`
	At        time.Time `json:"at"`
}

type escalationView struct {
	ID             string               `json:"id"`
	ConversationID string               `json:"conversation_id,omitempty"`
	RaisedBy       string               `json:"raised_by"`
	RaisedByName   string               `json:"raised_by_name"`
	Automatic      bool                 `json:"automatic"`
	Reason         escalation.Reason    `json:"reason"`
	Urgency        escalation.Urgency   `json:"urgency"`
	Status         escalation.Status    `json:"status"`
	RaisedAt       time.Time            `json:"raised_at"`
	DueAt          time.Time            `json:"due_at"`
	Late           bool                 `json:"late"`
	NobodyOnShift  bool                 `json:"nobody_on_shift"`
	AckByName      string               `json:"acknowledged_by_name,omitempty"`
	AckAt          *time.Time           `json:"acknowledged_at,omitempty"`
	ResolvedByName string               `json:"resolved_by_name,omitempty"`
	ResolvedAt     *time.Time           `json:"resolved_at,omitempty"`
	Outcome        escalation.Outcome   `json:"outcome,omitempty"`
	Notes          []escalationNoteView `json:"notes,omitempty"`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func viewEscalation(e escalation.Escalation) escalationView {
	v := escalationView{ID: e.ID, ConversationID: e.ConversationID, RaisedBy: strconv.FormatInt(e.RaisedBy, 10),
		RaisedByName: e.RaisedByName, Automatic: e.RaisedBy == escalation.SystemActor, Reason: e.Reason, Urgency: e.Urgency,
		Status: e.Status, RaisedAt: e.RaisedAt, DueAt: e.DueAt, Late: e.Late(), NobodyOnShift: e.NobodyOnShift,
		AckByName: e.AckByName, AckAt: timeOrNil(e.AckAt), ResolvedByName: e.ResolvedByName,
		ResolvedAt: timeOrNil(e.ResolvedAt), Outcome: e.Outcome}
	for _, n := range e.Notes {
		v.Notes = append(v.Notes, escalationNoteView{StaffName: n.StaffName, Kind: n.Kind, Body: n.Body, At: n.At})
	}
	return v
}

func viewEscalations(es []escalation.Escalation) []escalationView {
	out := make([]escalationView, 0, len(es))
	for _, e := range es {
		out = append(out, viewEscalation(e))
	}
	return out
}

func (h *handler) raiseEscalation(w http.ResponseWriter, r *http.Request, p chat.Principal, staff chat.StaffInfo) {
	var req struct {
		RequestID      string             `json:"request_id"`
		ConversationID string             `json:"conversation_id"`
		Reason         escalation.Reason  `json:"reason"`
		Urgency        escalation.Urgency `json:"urgency"`
		Note           string             `json:"note"`
	}
	if !decode(w, r, &req) {
		return
	}
	res, err := h.cfg.Escalations.Raise(r.Context(), p, staff, escalation.Request{RequestID: req.RequestID,
		ConversationID: req.ConversationID, Reason: req.Reason, Urgency: req.Urgency, Note: req.Note})
	if err != nil {
		writeError(w, err)
		return
	}
	body := map[string]any{"escalation": viewEscalation(res.Escalation), "nobody_on_shift": res.NobodyOnShift,
		"added": res.How == escalation.Added}
	if res.NobodyOnShift {
		body["out_of_hours"] = h.cfg.Escalations.OutOfHours()
	}
	status := http.StatusOK
	if res.How == escalation.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, body)
}

func (h *handler) unresolvedEscalations(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	es, err := h.cfg.Escalations.Unresolved(r.Context(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalations": viewEscalations(es)})
}

func (h *handler) myEscalations(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	es, err := h.cfg.Escalations.Mine(r.Context(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalations": viewEscalations(es)})
}

func (h *handler) getEscalation(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	e, err := h.cfg.Escalations.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalation": viewEscalation(e)})
}

func (h *handler) acknowledgeEscalation(w http.ResponseWriter, r *http.Request, p chat.Principal, staff chat.StaffInfo) {
	var req struct{}
	if !decode(w, r, &req) {
		return
	}
	e, err := h.cfg.Escalations.Acknowledge(r.Context(), p, staff, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalation": viewEscalation(e)})
}

func (h *handler) resolveEscalation(w http.ResponseWriter, r *http.Request, p chat.Principal, staff chat.StaffInfo) {
	var req struct {
		Outcome escalation.Outcome `json:"outcome"`
		Note    string             `json:"note"`
	}
	if !decode(w, r, &req) {
		return
	}
	e, err := h.cfg.Escalations.Resolve(r.Context(), p, staff, r.PathValue("id"), req.Outcome, req.Note)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalation": viewEscalation(e)})
}

func (h *handler) conversationEscalations(w http.ResponseWriter, r *http.Request, p chat.Principal, _ chat.StaffInfo) {
	es, err := h.cfg.Escalations.ForConversation(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalations": viewEscalations(es)})
}
