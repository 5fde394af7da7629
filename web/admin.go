package web

import (
	"net/http"
	"strconv"
	"time"

	"helpline/chat"
	"helpline/counselors"
)

// Admin endpoints: staff accounts and the audit log. Only admins may use
// them; every change is audited by the counselors package.

type accountView struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        chat.Role `json:"role"`
	Capacity    int       `json:"capacity"`
	MaxCapacity int       `json:"max_capacity"`
	Languages   []string  `json:"languages"`
	Audiences   []string  `json:"audiences"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewAccount(a counselors.Account) accountView {
	return accountView{ID: strconv.FormatInt(a.ID, 10), Username: a.Username, DisplayName: a.DisplayName, Role: a.Role,
		Capacity: a.Capacity, MaxCapacity: a.MaxCapacity, Languages: nonNil(a.Languages), Audiences: nonNil(a.Audiences),
		Disabled: !a.DisabledAt.IsZero(), CreatedAt: a.CreatedAt}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// requireRole authenticates a staff bearer token and checks its role. A
// staff member without the role gets "not found", as for anything they may
// not see.
func (h *handler) requireRole(next func(w http.ResponseWriter, r *http.Request, p chat.Principal), roles ...chat.Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _, err := h.staff(r)
		if err != nil {
			writeError(w, err)
			return
		}
		for _, role := range roles {
			if p.Role == role {
				next(w, r, p)
				return
			}
		}
		writeError(w, chat.Errorf(chat.CodeNotFound, "not found"))
	}
}

func (h *handler) addAccount(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var req struct {
		Username    string    `json:"username"`
		DisplayName string    `json:"display_name"`
		Role        chat.Role `json:"role"`
		Password    string    `json:"password"`
		Capacity    int       `json:"capacity"`
		Languages   []string  `json:"languages"`
		Audiences   []string  `json:"audiences"`
	}
	if !decode(w, r, &req) {
		return
	}
	a, err := h.cfg.Staff.AddAccount(r.Context(), counselors.NewAccount{Username: req.Username, DisplayName: req.DisplayName,
		Role: req.Role, Password: req.Password, Capacity: req.Capacity, Languages: req.Languages, Audiences: req.Audiences}, p.StaffID)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewAccount(a))
}

func (h *handler) listAccounts(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	accounts, err := h.cfg.Staff.List(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]accountView, 0, len(accounts))
	for _, a := range accounts {
		out = append(out, viewAccount(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

func (h *handler) setDisabled(disabled bool) func(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p chat.Principal) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, counselors.ErrNoAccount)
			return
		}
		if err := h.cfg.Staff.SetDisabled(r.Context(), id, disabled, p.StaffID); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
