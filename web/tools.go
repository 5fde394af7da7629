package web

import (
	"net/http"

	"helpline/chat"
	"helpline/counselors/answers"
	"helpline/counselors/casenotes"
	"helpline/counselors/wrapup"
)

// The counsellor's tools: prepared answers, private case notes and the
// wrap-up form (counselors/answers, casenotes, wrapup). Each package holds
// its rule (roles, the conversation, the audit); these handlers only
// translate HTTP. See chat/PROTOCOL.md "Prepared answers, case notes and
// wrap-ups".

// Tools are the packages behind these endpoints; a nil one leaves its
// routes out.
type Tools struct {
	Answers   *answers.Service
	CaseNotes *casenotes.Service
	Wrapups   *wrapup.Service
}

func (h *handler) toolsRoutes(mux *http.ServeMux) {
	t := h.cfg.Tools
	if t.Answers != nil {
		mux.HandleFunc("GET /api/answers", h.withStaff(h.listAnswers))
		mux.HandleFunc("PUT /api/answers/{id}", h.withStaff(h.saveAnswer))
		mux.HandleFunc("DELETE /api/answers/{id}", h.withStaff(h.deleteAnswer))
	}
	if t.CaseNotes != nil {
		mux.HandleFunc("GET /api/conversations/{id}/casenotes", h.withStaff(h.listCaseNotes))
		mux.HandleFunc("POST /api/conversations/{id}/casenotes", h.withStaff(h.addCaseNote))
	}
	if t.Wrapups != nil {
		mux.HandleFunc("GET /api/wrapup/form", h.withStaff(h.wrapupForm))
		mux.HandleFunc("GET /api/conversations/{id}/wrapup", h.withStaff(h.getWrapup))
		mux.HandleFunc("PUT /api/conversations/{id}/wrapup", h.withStaff(h.saveWrapup(false)))
		mux.HandleFunc("POST /api/conversations/{id}/wrapup/complete", h.withStaff(h.saveWrapup(true)))
	}
}

func answerStaff(p chat.Principal, info chat.StaffInfo) answers.Staff {
	return answers.Staff{ID: p.StaffID, Role: p.Role, Audiences: info.Audiences}
}

// answerView is an answer as the console shows it: with its placeholders,
// and whether the caller may change it.
type answerView struct {
	answers.Answer
	Placeholders []string `json:"placeholders"`
	Editable     bool     `json:"editable"`
}

func viewAnswer(a answers.Answer, st answers.Staff) answerView {
	editable := a.Scope == answers.ScopeOwn && a.OwnerID == st.ID || a.Scope != answers.ScopeOwn && (st.Role == chat.RoleSupervisor || st.Role == chat.RoleAdmin)
	return answerView{Answer: a, Placeholders: nonNil(answers.Placeholders(a.Body)), Editable: editable}
}

func (h *handler) listAnswers(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	st := answerStaff(p, info)
	list, err := h.cfg.Tools.Answers.Visible(r.Context(), st, r.URL.Query().Get("lang"), r.URL.Query().Get("q"))
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]answerView, 0, len(list))
	for _, a := range list {
		out = append(out, viewAnswer(a, st))
	}
	writeJSON(w, http.StatusOK, map[string]any{"answers": out})
}

func (h *handler) saveAnswer(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	var req struct {
		Language string        `json:"language"`
		Scope    answers.Scope `json:"scope"`
		Team     string        `json:"team"`
		Title    string        `json:"title"`
		Body     string        `json:"body"`
		Tags     []string      `json:"tags"`
	}
	if !decode(w, r, &req) {
		return
	}
	st := answerStaff(p, info)
	a, err := h.cfg.Tools.Answers.Save(r.Context(), st, answers.Answer{ID: r.PathValue("id"), Language: req.Language, Scope: req.Scope,
		Team: req.Team, Title: req.Title, Body: req.Body, Tags: req.Tags})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewAnswer(a, st))
}

func (h *handler) deleteAnswer(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	if err := h.cfg.Tools.Answers.Delete(r.Context(), answerStaff(p, info), r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) listCaseNotes(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	notes, err := h.cfg.Tools.CaseNotes.List(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": notes})
}

func (h *handler) addCaseNote(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	var req struct {
		ClientID string `json:"client_id"`
		Body     string `json:"body"`
	}
	if !decode(w, r, &req) {
		return
	}
	n, err := h.cfg.Tools.CaseNotes.Add(r.Context(), p, info.DisplayName, r.PathValue("id"), req.ClientID, req.Body)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

// wrapupForm is the current form, or ?version= the one a wrap-up was
// written with.
func (h *handler) wrapupForm(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	f, err := h.cfg.Tools.Wrapups.FormVersion(r.Context(), p, r.URL.Query().Get("version"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (h *handler) getWrapup(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	wu, err := h.cfg.Tools.Wrapups.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wu)
}

func (h *handler) saveWrapup(complete bool) func(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	return func(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
		var req struct {
			Answers map[string]string `json:"answers"`
		}
		if !decode(w, r, &req) {
			return
		}
		save := h.cfg.Tools.Wrapups.SaveDraft
		if complete {
			save = h.cfg.Tools.Wrapups.Complete
		}
		wu, err := save(r.Context(), p, r.PathValue("id"), req.Answers)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, wu)
	}
}
