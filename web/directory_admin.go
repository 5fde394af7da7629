package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"helpline/chat"
	"helpline/routing/directory"
	"helpline/routing/referral"
)

// Admin endpoints for the referral directory and the partners that receive
// warm referrals. Admins only; every directory change is audited by
// directory.Directory, every partner change here.

// maxImport bounds an uploaded directory (HSDS JSON).
const maxImport = 8 << 20

// AuditPartnerPut is the audit action of a partner change.
const AuditPartnerPut = "referral_partner_put"

func (h *handler) directoryAdminRoutes(mux *http.ServeMux) {
	if h.cfg.Directory == nil {
		return
	}
	admin := func(f func(http.ResponseWriter, *http.Request, chat.Principal)) http.HandlerFunc {
		return h.requireRole(f, chat.RoleAdmin)
	}
	mux.HandleFunc("GET /api/admin/directory", admin(h.adminDirectory))
	mux.HandleFunc("PUT /api/admin/directory/services/{id}", admin(h.putService))
	mux.HandleFunc("POST /api/admin/directory/services/{id}/retire", admin(h.retireService))
	mux.HandleFunc("PUT /api/admin/directory/organizations/{id}", admin(h.putOrganization))
	mux.HandleFunc("POST /api/admin/directory/import", admin(h.importDirectory))
	mux.HandleFunc("POST /api/admin/directory/import-sample", admin(h.importSample))
	if h.cfg.Partners != nil {
		mux.HandleFunc("GET /api/admin/partners/{id}", admin(h.getPartner))
		mux.HandleFunc("PUT /api/admin/partners/{id}", admin(h.putPartner))
	}
}

// directoryError maps the directory's errors: problems are the caller's to
// fix (invalid, listing each), a missing id is not found.
func directoryError(err error) error {
	var ps directory.Problems
	switch {
	case errors.As(err, &ps):
		return chat.Errorf(chat.CodeInvalid, "%s", ps.Error())
	case errors.Is(err, directory.ErrNotFound):
		return chat.Errorf(chat.CodeNotFound, "no such service or organisation")
	}
	return chat.Errorf(chat.CodeUnavailable, "the directory cannot be reached right now; try again in a moment")
}

func (h *handler) adminDirectory(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	ctx := r.Context()
	services, err := h.cfg.Directory.Store().Services(ctx, true)
	if err != nil {
		writeError(w, directoryError(err))
		return
	}
	orgs, err := h.cfg.Directory.Store().Organizations(ctx)
	if err != nil {
		writeError(w, directoryError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"services": nonNilSlice(services), "organizations": nonNilSlice(orgs)})
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (h *handler) putService(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var s directory.Service
	if !decode(w, r, &s) {
		return
	}
	if s.ID != r.PathValue("id") {
		writeError(w, chat.Errorf(chat.CodeInvalid, "the body's id must be the id in the path"))
		return
	}
	if err := h.cfg.Directory.PutService(r.Context(), s, p.StaffID); err != nil {
		writeError(w, directoryError(err))
		return
	}
	stored, err := h.cfg.Directory.Store().Service(r.Context(), s.ID)
	if err != nil {
		writeError(w, directoryError(err))
		return
	}
	writeJSON(w, http.StatusOK, stored)
}

func (h *handler) retireService(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	err := h.cfg.Directory.DeleteService(r.Context(), r.PathValue("id"), p.StaffID)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		writeError(w, directoryError(err))
		return
	}
	if _, gone := h.cfg.Directory.Store().Service(r.Context(), r.PathValue("id")); gone != nil {
		writeError(w, directoryError(gone))
		return
	}
	w.WriteHeader(http.StatusNoContent) // retiring a retired service again changes nothing
}

func (h *handler) putOrganization(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	var o directory.Organization
	if !decode(w, r, &o) {
		return
	}
	if o.ID != r.PathValue("id") {
		writeError(w, chat.Errorf(chat.CodeInvalid, "the body's id must be the id in the path"))
		return
	}
	if err := h.cfg.Directory.PutOrganization(r.Context(), o, p.StaffID); err != nil {
		writeError(w, directoryError(err))
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// importDirectory reads an HSDS JSON file (the body) and imports it whole,
// or nothing when anything in it is wrong.
func (h *handler) importDirectory(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxImport))
	if err != nil {
		writeError(w, chat.Errorf(chat.CodeInvalid, "the file is larger than %d bytes", maxImport))
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" || len(name) > 200 {
		name = "upload.json"
	}
	h.importSet(w, r, p, name, func() (directory.Set, error) { return directory.ReadJSON(name, bytes.NewReader(body)) })
}

func (h *handler) importSample(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	h.importSet(w, r, p, directory.SampleFile, directory.Sample)
}

func (h *handler) importSet(w http.ResponseWriter, r *http.Request, p chat.Principal, name string, read func() (directory.Set, error)) {
	set, err := read()
	if err != nil {
		writeError(w, directoryError(err))
		return
	}
	if err := h.cfg.Directory.Import(r.Context(), set, name, p.StaffID); err != nil {
		writeError(w, directoryError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"organizations": len(set.Organizations), "services": len(set.Services)})
}

// partnerView is a partner without its secrets, which are never shown
// again once entered.
type partnerView struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	URL            string `json:"url"`
	Enabled        bool   `json:"enabled"`
	AllowPrivate   bool   `json:"allow_private"`
	DisabledReason string `json:"disabled_reason"`
	Secrets        int    `json:"secrets"`
}

func viewPartner(p referral.Partner) partnerView {
	return partnerView{ID: p.ID, Name: p.Name, URL: p.URL, Enabled: p.Enabled, AllowPrivate: p.AllowPrivate,
		DisabledReason: p.DisabledReason, Secrets: len(p.Secrets)}
}

func (h *handler) getPartner(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
	p, err := h.cfg.Partners.Partner(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, chat.Errorf(chat.CodeNotFound, "no such partner"))
		return
	}
	writeJSON(w, http.StatusOK, viewPartner(p))
}

// putPartner creates or changes a partner: its id is the id of the
// directory service whose warm referrals it receives. Secrets left out keep
// the ones stored; https is required unless the server runs in development.
func (h *handler) putPartner(w http.ResponseWriter, r *http.Request, actor chat.Principal) {
	var req struct {
		Name         string   `json:"name"`
		URL          string   `json:"url"`
		Secrets      []string `json:"secrets"`
		Enabled      bool     `json:"enabled"`
		AllowPrivate bool     `json:"allow_private"`
	}
	if !decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	p := referral.Partner{ID: id, Name: req.Name, URL: req.URL, Secrets: req.Secrets, Enabled: req.Enabled, AllowPrivate: req.AllowPrivate}
	if old, err := h.cfg.Partners.Partner(r.Context(), id); err == nil && len(p.Secrets) == 0 {
		p.Secrets = old.Secrets
	}
	if u, err := url.Parse(p.URL); err != nil || !(u.Scheme == "https" || u.Scheme == "http" && h.cfg.PartnersAllowHTTP) {
		writeError(w, chat.Errorf(chat.CodeInvalid, "the partner URL must be an https:// URL"))
		return
	}
	if err := p.Validate(); err != nil {
		writeError(w, chat.Errorf(chat.CodeInvalid, "%s", err.Error()))
		return
	}
	if err := h.cfg.Staff.Record(r.Context(), actor.StaffID, AuditPartnerPut, id, partnerAuditDetail(p)); err != nil {
		writeError(w, chat.Errorf(chat.CodeUnavailable, "the change could not be recorded, so it was not made; try again"))
		return
	}
	if err := h.cfg.Partners.PutPartner(r.Context(), p); err != nil {
		writeError(w, chat.Errorf(chat.CodeUnavailable, "the partner could not be stored; try again"))
		return
	}
	writeJSON(w, http.StatusOK, viewPartner(p))
}

// partnerAuditDetail says what changed, never a secret or the URL's path
// (a partner may put a token in it).
func partnerAuditDetail(p referral.Partner) string {
	host := ""
	if u, err := url.Parse(p.URL); err == nil {
		host = u.Host
	}
	flags := []string{"host " + host}
	if p.Enabled {
		flags = append(flags, "enabled")
	}
	if p.AllowPrivate {
		flags = append(flags, "allow_private")
	}
	return p.Name + " (" + strings.Join(flags, ", ") + ")"
}
