package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"helpline/chat"
	"helpline/chat/flood"
	"helpline/chat/oversight"
	"helpline/chat/riskflag"
	"helpline/counselors"
	"helpline/routing"
	"helpline/routing/directory"
	"helpline/routing/escalation"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
	"helpline/routing/supervision"
	"helpline/routing/switchboard"
	"helpline/web/identifying"
)

// Config is what the HTTP layer needs.
type Config struct {
	Chat          *chat.Service
	Staff         *counselors.Service
	Oversight     *oversight.Service // watchers, whispers, join, take-over (web/supervision.go)
	Texts         *Texts
	Log           *slog.Logger
	RetentionDays int
	ExitURL       string
	// Alternatives are what the closed page offers besides the self-help
	// reading (HELPLINE_ALTERNATIVES_FILE).
	Alternatives []Alternative
	HSTS         bool // send Strict-Transport-Security (served over TLS, directly or by a proxy)
	// StartsPerMinute bounds new conversations per client address; 0 turns
	// the bound off (load tests on loopback only).
	StartsPerMinute int
	// SignInsPerMinute bounds staff sign-in attempts per client address
	// (on top of the per-account lock); 0 turns it off.
	SignInsPerMinute int
	// StartsPerMinuteTotal bounds new conversations over the whole service,
	// whatever their address (for an onion service, where everyone shares
	// one); 0 turns it off.
	StartsPerMinuteTotal int
	// TrustedProxies may tell the client's address in X-Forwarded-For, for
	// the per-address limits (never stored or logged).
	TrustedProxies TrustedProxies
	// Ready tells whether this instance should get new visitors: "" when it
	// should, else the check that failed, in a word (/readyz). nil: always.
	Ready func(context.Context) string
	// RiskFlags serves conversations' risk flags (nil: none are kept).
	RiskFlags *riskflag.Service
	// Tools: prepared answers, case notes, wrap-ups (web/tools.go).
	Tools Tools
	// Escalations: counsellors' calls for a supervisor (web/escalations.go);
	// nil: no escalation endpoints.
	Escalations *escalation.Service
	// Supervision and Switchboard serve the supervisor page (web/supervisor.go);
	// without them it is not served.
	Supervision *supervision.Service
	Switchboard *switchboard.Service
	// OnionOrigin, when set (http://<address>.onion, HELPLINE_ONION_ADDRESS),
	// is sent as Onion-Location on every answer. NoJSRefresh is how often the
	// pages without JavaScript reload their messages (0: 5 s).
	OnionOrigin string
	NoJSRefresh time.Duration
	// Feedback takes seekers' anonymous feedback (nil: not offered).
	Feedback FeedbackService
	// Report builds the transparency report (nil: none); PublicReport also
	// serves completed months to anyone (HELPLINE_PUBLIC_REPORT). Now is
	// the clock the report's "latest month" is read by (nil: time.Now).
	Report       ReportService
	PublicReport bool
	// Comments lets admins read seekers' feedback comments (nil: not offered).
	Comments FeedbackComments
	Now      chat.Clock

	// Referrals, Directory, Partners: referral cards and warm referrals,
	// the directory's admin pages and the partners (web/referrals.go,
	// web/directory_admin.go); nil leaves their routes out.
	Referrals         *refer.Service
	Directory         *directory.Directory
	Partners          referral.Store
	PartnersAllowHTTP bool // development: http:// partner URLs

	// Care: staff members' care figures, the exposure cap, and the team's
	// place against it (web/care.go); nil leaves its routes out.
	Care CareService
	// PhraseLists are the risk phrase lists as admins edit them
	// (web/admintools.go); nil leaves those endpoints out.
	PhraseLists *riskflag.Library
	// Flood is the waiting step for new conversations under a flood
	// (chat/flood, web/flood.go, and the page without JavaScript); nil:
	// never on.
	Flood FloodService
}

// maxBody bounds every JSON request body.
const maxBody = 64 << 10

// NewHandler returns the whole HTTP surface of the service.
func NewHandler(cfg Config) http.Handler {
	h := &handler{cfg: cfg}
	// Starting conversations and signing in are what a flood or a password
	// guesser would hammer; each address gets a modest, bursty allowance.
	starts := newAddressLimiter(float64(cfg.StartsPerMinute)/60, cfg.StartsPerMinute, cfg.TrustedProxies)
	allStarts := newTotalLimiter(cfg.StartsPerMinuteTotal)
	logins := newAddressLimiter(float64(cfg.SignInsPerMinute)/60, cfg.SignInsPerMinute, cfg.TrustedProxies)
	static, _ := fs.Sub(assets, "static")
	files, err := loadAssets(static)
	if err != nil {
		panic("web: the embedded pages cannot be read: " + err.Error()) // a broken build, never a request's doing
	}
	h.assets = files
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.page(static, "seeker.html"))
	mux.HandleFunc("GET /console", h.page(static, "console.html"))
	mux.Handle("GET /static/", files)
	mux.HandleFunc("GET /i18n/{file}", h.translations)
	mux.HandleFunc("GET /api/config", h.config)
	mux.HandleFunc("GET /api/status", h.status)
	mux.HandleFunc("GET /api/selfhelp/{lang}", h.selfHelp)
	mux.HandleFunc("POST /api/seeker/conversations", starts.limited(allStarts.limited(h.startConversation)))
	mux.HandleFunc("POST /api/seeker/leave", h.leave)
	mux.HandleFunc("POST /api/seeker/delete", h.deleteConversation)
	mux.HandleFunc("POST /api/seeker/pause", h.pauseMarker)
	mux.HandleFunc("GET /api/seeker/identifying-rules", h.identifyingRules)
	mux.HandleFunc("POST /api/staff/login", logins.limited(h.login))
	mux.HandleFunc("POST /api/staff/logout", h.logout)
	mux.HandleFunc("POST /api/admin/accounts", h.requireRole(h.addAccount, chat.RoleAdmin))
	mux.HandleFunc("GET /api/admin/accounts", h.requireRole(h.listAccounts, chat.RoleAdmin))
	mux.HandleFunc("PATCH /api/admin/accounts/{id}", h.requireRole(h.changeAccount, chat.RoleAdmin))
	mux.HandleFunc("POST /api/admin/accounts/{id}/disable", h.requireRole(h.setDisabled(true), chat.RoleAdmin))
	mux.HandleFunc("POST /api/admin/accounts/{id}/enable", h.requireRole(h.setDisabled(false), chat.RoleAdmin))
	mux.HandleFunc("GET /api/admin/audit", h.requireRole(h.auditLog, chat.RoleAdmin))
	h.riskFlagRoutes(mux)
	h.toolsRoutes(mux)
	h.escalationRoutes(mux)
	h.supervisionRoutes(mux)
	h.feedbackRoutes(mux)
	h.reportRoutes(mux)
	h.adminPageRoutes(mux)
	h.adminToolsRoutes(mux)
	h.referralRoutes(mux)
	h.careRoutes(mux)
	mux.Handle("GET /ws", cfg.Chat)
	h.supervisorRoutes(mux, static)
	// /healthz: the process runs (liveness). /readyz: it should get new
	// visitors (readiness); see Config.Ready.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", h.readyz)
	h.nojsRoutes(mux, starts, allStarts)
	h.floodRoutes(mux)
	return h.recoverPanics(h.secure(h.accessLog(mux)))
}

// recoverPanics answers a request whose handler panicked with a plain 500
// and logs the panic here, so that net/http never logs it itself: its own
// message would name the client's address.
func (h *handler) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v) // the documented way to abort a response; net/http logs nothing for it
				}
				h.cfg.Log.Error("a request handler panicked", "route", routeOf(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, chat.Errorf(chat.CodeInternal, "something went wrong on our side"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type handler struct {
	cfg    Config
	assets *staticAssets
}

// secure sets the headers every answer carries: no inline or third-party
// script or style, no framing, no referrer, no sniffing.
func (h *handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.onionLocation(hd, r)
		if h.cfg.HSTS || r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog records method, route, status and time: never the client's
// address, user agent, query string or any header.
func (h *handler) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if r.URL.Path == "/ws" || strings.HasPrefix(r.URL.Path, "/static/") {
			return // long-lived or uninteresting; connections are counted elsewhere
		}
		h.cfg.Log.Debug("http", "method", r.Method, "route", routeOf(r), "status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}

func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}

// page serves one embedded page (static/name), naming its scripts and
// styles by version (assets.go); the page itself is revalidated each time,
// so a new release is picked up at once.
func (h *handler) page(_ fs.FS, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, ok := h.assets.files[name]
		if !ok {
			http.Error(w, "page missing from the build", http.StatusInternalServerError)
			return
		}
		f.serve(w, r, "no-cache")
	}
}

// readyz answers 200 "ok", or 503 with the failed check in a word
// ("draining", "database", "migrations"), never its internals.
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	failed := ""
	if h.cfg.Ready != nil {
		failed = h.cfg.Ready(r.Context())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if failed != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(failed + "\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

func (h *handler) translations(w http.ResponseWriter, r *http.Request) {
	code, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	table, found := h.cfg.Texts.Table(code)
	if !ok || !found {
		writeError(w, chat.Errorf(chat.CodeNotFound, "no translation for that language"))
		return
	}
	h.assets.translation(code, table).serve(w, r, "no-cache")
}

func (h *handler) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"languages":         h.cfg.Texts.Language,
		"default_language":  h.cfg.Texts.Default,
		"retention_days":    h.cfg.RetentionDays,
		"audiences":         chat.Audiences,
		"max_message_chars": chat.MaxBodyChars,
		"exit_url":          h.cfg.ExitURL,
		"alternatives":      h.alternatives(),
	})
}

// status tells the seeker page, before anything else, whether a new
// conversation can start now, so that a closed service shows its
// alternatives at once rather than after the pre-chat questions.
func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	err := h.cfg.Chat.Admit(r.Context())
	var closed *chat.ClosedError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]any{"open": true})
	case errors.As(err, &closed):
		body := map[string]any{"open": false, "reason": closed.Reason}
		if !closed.NextOpen.IsZero() {
			body["next_open"] = closed.NextOpen.UTC()
		}
		writeJSON(w, http.StatusOK, body)
	default:
		writeError(w, err)
	}
}

func (h *handler) selfHelp(w http.ResponseWriter, r *http.Request) {
	articles, ok := routing.SelfHelp(r.PathValue("lang"))
	if !ok {
		writeError(w, chat.Errorf(chat.CodeNotFound, "no reading in that language"))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"articles": articles})
}

func (h *handler) startConversation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Audience chat.Audience `json:"audience"`
		Language string        `json:"language"`
		Region   string        `json:"region"`
		Pause    string        `json:"pause"` // the browser's pause marker, if it holds one
		// WaitingStep: the solved challenge while the flood waiting step is on (web/flood.go).
		WaitingStep *flood.Proof `json:"waiting_step"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := h.cfg.Chat.CheckPause(req.Pause); err != nil {
		writeError(w, err)
		return
	}
	if err := h.checkWaitingStep(r.Context(), req.WaitingStep); err != nil {
		writeError(w, err)
		return
	}
	c, token, exp, err := h.cfg.Chat.StartConversation(r.Context(), chat.NewConversation{Audience: req.Audience, Language: req.Language, Region: strings.TrimSpace(req.Region)})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"conversation_id": c.ID, "token": token, "expires_at": exp.UTC()})
}

func (h *handler) leave(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := h.cfg.Chat.Leave(r.Context(), req.Token); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// identifyingRules is the rules file the seeker page checks a message with
// before sending it (web/identifying).
func (h *handler) identifyingRules(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(identifying.RulesJSON())
}

// pauseMarker gives the seeker of a conversation ended as blocked the
// marker their browser keeps (chat/blocking.go).
func (h *handler) pauseMarker(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if !decode(w, r, &req) {
		return
	}
	marker, until, err := h.cfg.Chat.PauseMarker(r.Context(), req.Token)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"marker": marker, "until": until.UTC()})
}

func (h *handler) deleteConversation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := h.cfg.Chat.Delete(r.Context(), req.Token); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if !decode(w, r, &req) {
		return
	}
	token, exp, a, err := h.cfg.Staff.Login(r.Context(), req.Username, req.Password, req.Code)
	if err != nil {
		writeError(w, err)
		return
	}
	info := chat.StaffInfo{ID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Role: a.Role, Capacity: a.Capacity, MaxCapacity: a.MaxCapacity}
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "expires_at": exp.UTC(), "staff": info.View()})
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	p, _, err := h.staff(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := h.cfg.Staff.Logout(r.Context(), p); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// staff authenticates a request's bearer token as a signed-in staff member.
func (h *handler) staff(r *http.Request) (chat.Principal, chat.StaffInfo, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return chat.Principal{}, chat.StaffInfo{}, chat.Errorf(chat.CodeUnauthorized, "sign in first")
	}
	p, info, err := h.cfg.Chat.Authenticate(r.Context(), token)
	if err == nil && !p.Role.IsStaff() {
		err = chat.Errorf(chat.CodeUnauthorized, "sign in first")
	}
	return p, info, err
}

// decode reads a JSON body strictly: bounded size, known fields only, one value.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/plain") {
		writeError(w, chat.Errorf(chat.CodeInvalid, "send JSON (Content-Type: application/json)"))
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		err = decodeJSON(body, v)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, chat.Errorf(chat.CodeInvalid, "request body is larger than %d bytes", maxBody))
		} else {
			writeError(w, chat.Errorf(chat.CodeInvalid, "malformed request body: %s", describe(err)))
		}
		return false
	}
	return true
}

// decodeJSON reads one JSON object of known fields from body, which must be
// valid UTF-8: encoding/json would silently store bad bytes as U+FFFD, as
// the WebSocket refuses to (PROTOCOL.md §3.6).
func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, extra := dec.Token(); extra != io.EOF {
		return errors.New("extra data after the JSON object")
	}
	return nil
}

func describe(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "field " + typeErr.Field + " has the wrong type"
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// unavailableRetryAfter is the Retry-After, in seconds, of an "unavailable"
// answer whose error names no wait of its own: soon enough that a page
// retrying by itself feels alive, far enough apart not to hammer a database
// that is coming back.
const unavailableRetryAfter = "5"

// writeError is the one place where an error's code becomes an HTTP answer:
// its status, its public message, and Retry-After (the error's own
// RetryAfter, else the default for unavailable) when trying again later
// will help.
func writeError(w http.ResponseWriter, err error) {
	code := chat.ErrorCode(err)
	body := map[string]any{"code": string(code), "message": chat.PublicMessage(err)}
	var e *chat.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	var closed *chat.ClosedError
	if errors.As(err, &closed) {
		body["reason"] = closed.Reason
		if !closed.NextOpen.IsZero() {
			body["next_open"] = closed.NextOpen.UTC()
		}
	}
	if code == chat.CodeUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
	writeJSON(w, httpStatus(code), map[string]any{"error": body})
}

// httpStatus maps an error code to its HTTP status.
func httpStatus(code chat.Code) int {
	switch code {
	case chat.CodeInvalid:
		return http.StatusBadRequest
	case chat.CodeUnauthorized:
		return http.StatusUnauthorized
	case chat.CodeNotFound:
		return http.StatusNotFound
	case chat.CodeConflict:
		return http.StatusConflict
	case chat.CodeRateLimited:
		return http.StatusTooManyRequests
	case chat.CodeUnavailable, chat.CodeClosed:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// withStaff authenticates a staff bearer token (any staff role) and hands
// on who it is: the endpoints of staff features decide the rest themselves.
func (h *handler) withStaff(next func(w http.ResponseWriter, r *http.Request, p chat.Principal, staff chat.StaffInfo)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, staff, err := h.staff(r)
		if err != nil {
			writeError(w, err)
			return
		}
		next(w, r, p, staff)
	}
}
