package web

import (
	"net/http"

	"helpline/chat"
	"helpline/chat/riskflag"
	"helpline/counselors/answers"
	"helpline/counselors/wrapup"
)

// What admins (and, for the shared prepared answers, supervisors) edit in
// the browser: the shared prepared answers, the wrap-up form and the risk
// phrase lists. The rules (roles, versions, validation, the audit) are the
// packages'; these handlers translate HTTP. See chat/PROTOCOL.md "Admin
// pages".
//
//	GET  /api/admin/answers?lang=&scope=&team=&q=&retired=true  shared answers to manage (admins, supervisors)
//	POST /api/admin/answers/{id}/retire                          out of the counsellors' search, kept
//	POST /api/admin/answers/{id}/reinstate                       back into it
//	GET  /api/admin/wrapup/forms                                 the current form and every version (admins)
//	POST /api/admin/wrapup/forms      {"based_on","fields"}     a new version → 201; the same fields → 200
//	GET  /api/admin/phrases                                      the newest version of each risk phrase list (admins)
//	GET  /api/admin/phrases/{name}/versions                      a list's versions, newest first
//	PUT  /api/admin/phrases/{name}    {"based_on","language","categories"}  a new version → 201; the same → 200
//
// Saving and editing a shared answer is PUT /api/answers/{id} (web/tools.go).

func (h *handler) adminToolsRoutes(mux *http.ServeMux) {
	if h.cfg.Tools.Answers != nil {
		mux.HandleFunc("GET /api/admin/answers", h.withStaff(h.sharedAnswers))
		mux.HandleFunc("POST /api/admin/answers/{id}/retire", h.withStaff(h.retireAnswer(true)))
		mux.HandleFunc("POST /api/admin/answers/{id}/reinstate", h.withStaff(h.retireAnswer(false)))
	}
	if h.cfg.Tools.Wrapups != nil {
		mux.HandleFunc("GET /api/admin/wrapup/forms", h.requireRole(h.wrapupForms, chat.RoleAdmin))
		mux.HandleFunc("POST /api/admin/wrapup/forms", h.requireRole(h.saveWrapupForm, chat.RoleAdmin))
	}
	if h.cfg.PhraseLists != nil {
		mux.HandleFunc("GET /api/admin/phrases", h.requireRole(h.phraseLists, chat.RoleAdmin))
		mux.HandleFunc("GET /api/admin/phrases/{name}/versions", h.requireRole(h.phraseListVersions, chat.RoleAdmin))
		mux.HandleFunc("PUT /api/admin/phrases/{name}", h.requireRole(h.savePhraseList, chat.RoleAdmin))
	}
}

func (h *handler) sharedAnswers(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	q := r.URL.Query()
	st := answerStaff(p, info)
	list, err := h.cfg.Tools.Answers.Shared(r.Context(), st, answers.Filter{Language: q.Get("lang"), Scope: answers.Scope(q.Get("scope")),
		Team: q.Get("team"), Query: q.Get("q"), Retired: q.Get("retired") == "true"})
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

func (h *handler) retireAnswer(retire bool) func(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
	return func(w http.ResponseWriter, r *http.Request, p chat.Principal, info chat.StaffInfo) {
		st := answerStaff(p, info)
		change := h.cfg.Tools.Answers.Reinstate
		if retire {
			change = h.cfg.Tools.Answers.Retire
		}
		a, err := change(r.Context(), st, r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, viewAnswer(a, st))
	}
}

func (h *handler) wrapupForms(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	versions, err := h.cfg.Tools.Wrapups.FormVersions(r.Context(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	current, err := h.cfg.Tools.Wrapups.FormVersion(r.Context(), p, "")
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"current": current, "versions": versions})
}

func (h *handler) saveWrapupForm(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var req struct {
		BasedOn string         `json:"based_on"`
		Fields  []wrapup.Field `json:"fields"`
	}
	if !decode(w, r, &req) {
		return
	}
	f, created, err := h.cfg.Tools.Wrapups.SaveForm(r.Context(), p, req.BasedOn, req.Fields)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, map[bool]int{true: http.StatusCreated, false: http.StatusOK}[created], map[string]any{"form": f, "created": created})
}

// phraseListView is a list as the admin page shows and sends it back.
type phraseListView struct {
	Name       string                  `json:"name"`
	Language   string                  `json:"language"`
	Version    string                  `json:"version"`
	Categories []riskflag.FileCategory `json:"categories"`
}

func viewPhraseList(l *riskflag.List) phraseListView {
	src := l.Source()
	for i := range src.Categories {
		if src.Categories[i].Except == nil {
			src.Categories[i].Except = []string{}
		}
	}
	return phraseListView{Name: l.Name, Language: src.Language, Version: l.Version, Categories: src.Categories}
}

func (h *handler) phraseLists(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	lists, err := h.cfg.PhraseLists.Lists(r.Context(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]phraseListView, 0, len(lists))
	for _, l := range lists {
		out = append(out, viewPhraseList(l))
	}
	writeJSON(w, http.StatusOK, map[string]any{"lists": out})
}

func (h *handler) phraseListVersions(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	versions, err := h.cfg.PhraseLists.Versions(r.Context(), p, r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": versions})
}

func (h *handler) savePhraseList(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var req struct {
		BasedOn    string                  `json:"based_on"`
		Language   string                  `json:"language"`
		Categories []riskflag.FileCategory `json:"categories"`
	}
	if !decode(w, r, &req) {
		return
	}
	l, created, err := h.cfg.PhraseLists.Save(r.Context(), p, r.PathValue("name"), req.BasedOn,
		riskflag.File{Language: req.Language, Categories: req.Categories})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, map[bool]int{true: http.StatusCreated, false: http.StatusOK}[created], map[string]any{"list": viewPhraseList(l), "created": created})
}
