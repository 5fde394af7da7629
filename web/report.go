package web

import (
	"context"
	"io/fs"
	"net/http"
	"time"

	"helpline/chat"
	"helpline/counselors/transparency"
)

// The transparency report (counselors/transparency; PROTOCOL.md
// "Transparency report"):
//
//	GET /api/admin/report?month=2026-11            JSON (admins)
//	GET /api/admin/report?from=2026-11-01&to=…     any range of days (admins)
//	GET /api/admin/report.csv?…                    the same as CSV (admins)
//	GET /api/report?month=2026-11 , /api/report.csv  public, completed months only,
//	GET /report                                    and its page; only with HELPLINE_PUBLIC_REPORT=true
//
// Every figure is published under the disclosure rule; the public figures
// are the same as the admins' for the same month.

// ReportService is what web needs of counselors/transparency.
type ReportService interface {
	Build(ctx context.Context, p transparency.Period) (transparency.Report, error)
}

func (h *handler) reportRoutes(mux *http.ServeMux) {
	if h.cfg.Report == nil {
		return
	}
	mux.HandleFunc("GET /api/admin/report", h.requireRole(h.adminReport(false), chat.RoleAdmin))
	mux.HandleFunc("GET /api/admin/report.csv", h.requireRole(h.adminReport(true), chat.RoleAdmin))
	if h.cfg.PublicReport {
		mux.HandleFunc("GET /api/report", h.publicReport(false))
		mux.HandleFunc("GET /api/report.csv", h.publicReport(true))
		mux.HandleFunc("GET /report", h.page(staticFS(), "report.html"))
	}
}

func (h *handler) adminReport(csv bool) func(w http.ResponseWriter, r *http.Request, p chat.Principal) {
	return func(w http.ResponseWriter, r *http.Request, _ chat.Principal) {
		q := r.URL.Query()
		var period transparency.Period
		var err error
		if q.Get("month") != "" || q.Get("from") == "" {
			period, err = transparency.Month(monthOr(q.Get("month"), h.now()))
		} else {
			period, err = transparency.Days(q.Get("from"), q.Get("to"))
		}
		h.serveReport(w, r, period, err, csv)
	}
}

// publicReport serves completed calendar months only: a month still under
// way would be published again and again as it grows, and the differences
// between those versions are what disclosure control cannot see.
func (h *handler) publicReport(csv bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := h.now()
		lastDone := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1) // the last day of last month
		period, err := transparency.Month(monthOr(r.URL.Query().Get("month"), now))
		if err == nil && period.To.After(lastDone) {
			err = chat.Errorf(chat.CodeNotFound, "the report of a month is published once the month is over; the latest is %s", lastDone.Format("2006-01"))
		}
		h.serveReport(w, r, period, err, csv)
	}
}

// monthOr is month, or the month before now's when empty.
func monthOr(month string, now time.Time) string {
	if month != "" {
		return month
	}
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
}

func (h *handler) serveReport(w http.ResponseWriter, r *http.Request, period transparency.Period, err error, csv bool) {
	if err != nil {
		writeError(w, err)
		return
	}
	rep, err := h.cfg.Report.Build(r.Context(), period)
	if err != nil {
		writeError(w, err)
		return
	}
	if !csv {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="helpline-report-`+period.FromDay()+`-`+period.ToDay()+`.csv"`)
	rep.WriteCSV(w)
}

func (h *handler) now() time.Time {
	if h.cfg.Now != nil {
		return h.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

// staticFS is the embedded static folder.
func staticFS() fs.FS {
	static, _ := fs.Sub(assets, "static")
	return static
}
