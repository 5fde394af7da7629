package nojs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"helpline/chat"
)

// Chat is what this package asks of the chat service: its use cases, so
// that a page without JavaScript follows the very rules the socket does.
type Chat interface {
	Admit(ctx context.Context) error
	StartConversation(ctx context.Context, n chat.NewConversation) (chat.Conversation, string, time.Time, error)
	SeekerState(ctx context.Context, token string) (chat.Principal, chat.SeekerState, error)
	SeekerExpiry(token string) (string, time.Time, error)
	Authenticate(ctx context.Context, token string) (chat.Principal, chat.StaffInfo, error)
	Send(ctx context.Context, p chat.Principal, staff chat.StaffInfo, conversationID, clientID, body string) chat.AppendResult
	End(ctx context.Context, p chat.Principal, conversationID, reason string) error
	Leave(ctx context.Context, token string) error
	Delete(ctx context.Context, token string) error
	// PauseMarker and CheckPause: blocking without identity (chat/blocking.go).
	PauseMarker(ctx context.Context, token string) (string, time.Time, error)
	CheckPause(marker string) error
}

// Texts are the translation tables.
type Texts interface {
	// Text returns the text of key in lang (the default language's, or the
	// key itself, when lang has none).
	Text(lang, key string) string
	// Codes lists the offered languages; Name gives one's own name.
	Codes() []string
	Name(lang string) string
	// Negotiate picks an offered language from an Accept-Language header,
	// else the default.
	Negotiate(acceptLanguage string) string
	Has(lang string) bool
}

// Article is one piece of reading for people who wait.
type Article struct {
	Title string
	Body  []string
}

// Config wires a Handler.
type Config struct {
	Chat  Chat
	Texts Texts
	// SelfHelp returns the reading for a language (nil when none).
	SelfHelp      func(lang string) []Article
	ExitURL       string
	RetentionDays int
	// HTTPS: the service is reached over HTTPS (directly or through a proxy
	// that ends TLS), so the cookie is Secure even on a plain-HTTP request.
	HTTPS bool
	// AllowStart bounds new conversations (the same limiter as the JSON
	// API's); nil allows every start.
	AllowStart func(*http.Request) bool
	// ErrorStatus gives an error's HTTP status and sets Retry-After where
	// it helps (web's one mapping).
	ErrorStatus func(w http.ResponseWriter, err error) int
	// Refresh is how often the waiting and chat pages reload their
	// messages (default 5 s).
	Refresh time.Duration
	Log     *slog.Logger
	// Referrals answers warm referrals on these pages (nil: none are
	// shown); Feedback takes the closing page's optional questions (nil:
	// not asked); Flood is the waiting step for new conversations under a
	// flood (nil: never on).
	Referrals Referrals
	Feedback  Feedback
	Flood     Flood
}

// Handler serves the pages under /nojs/.
type Handler struct {
	cfg   Config
	pages map[string]*template.Template
}

//go:embed templates
var templates embed.FS

// Page names, one template file each.
var pageNames = []string{"intro", "closed", "prechat", "chat", "log", "ended", "confirm", "referral", "floodwait"}

// New builds a Handler; it panics if the embedded templates do not parse
// (a programming error the tests catch).
func New(cfg Config) *Handler {
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SelfHelp == nil {
		cfg.SelfHelp = func(string) []Article { return nil }
	}
	if cfg.ErrorStatus == nil {
		cfg.ErrorStatus = func(http.ResponseWriter, error) int { return http.StatusBadRequest }
	}
	h := &Handler{cfg: cfg, pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		// parts.html last: its "feedback" replaces the empty block of ended.html.
		files := []string{"templates/layout.html", "templates/messages.html", "templates/" + name + ".html", "templates/parts.html"}
		h.pages[name] = template.Must(template.New(name).ParseFS(templates, files...))
	}
	return h
}

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /nojs/{$}", h.intro)
	mux.HandleFunc("GET /nojs/start", h.prechat)
	mux.HandleFunc("POST /nojs/start", h.start)
	mux.HandleFunc("GET /nojs/chat", h.chatPage)
	mux.HandleFunc("GET /nojs/log", h.log)
	mux.HandleFunc("POST /nojs/send", h.send)
	mux.HandleFunc("GET /nojs/end", h.confirmEnd)
	mux.HandleFunc("POST /nojs/end", h.end)
	mux.HandleFunc("GET /nojs/delete", h.confirmDelete)
	mux.HandleFunc("POST /nojs/delete", h.deleteConversation)
	mux.HandleFunc("POST /nojs/new", h.newConversation)
	mux.HandleFunc("GET /nojs/exit", h.quickExit)
	mux.HandleFunc("POST /nojs/handover", h.handover)
	mux.HandleFunc("POST /nojs/handback", h.handback)
	mux.HandleFunc("POST /nojs/resume", h.resume)
	mux.HandleFunc("POST /nojs/forget", h.forget)
	h.referralRoutes(mux)
	h.feedbackRoutes(mux)
}

// Cookie names. The seeker cookie holds the credential: HttpOnly,
// SameSite=Strict, Path=/, no expiry (it goes when the browser closes),
// Secure under HTTPS. Only this package reads it: the JSON API and the
// socket never accept it, so it gives no other door ambient authority.
const (
	seekerCookie = "helpline_seeker"
	formCookie   = "helpline_form" // anti-forgery value of the pre-chat form (double submit)
	// pauseCookie holds the pause marker of a conversation the team ended as
	// blocked, until it expires: this browser's new conversations wait.
	pauseCookie = "helpline_pause"
	langCookie  = "helpline_lang"
)

func (h *Handler) secure(r *http.Request) bool { return h.cfg.HTTPS || r.TLS != nil }

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

// credential returns the seeker credential the cookie carries, or "".
func credential(r *http.Request) string {
	c, err := r.Cookie(seekerCookie)
	if err != nil || len(c.Value) > 4096 {
		return ""
	}
	return c.Value
}

// formToken is the anti-forgery token of a conversation's forms: a hash of
// the credential, which only a page that holds the cookie can show (the
// cookie is HttpOnly and sent to same-site requests only). It needs no
// state, so any instance checks it; seeing it does not give the credential.
func formToken(cred string) string {
	sum := sha256.Sum256([]byte("helpline no-javascript form\x00" + cred))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

func sameToken(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomToken() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// crossSite reports a request a browser says came from another site (Fetch
// Metadata): refused before anything else, whatever its tokens.
func crossSite(r *http.Request) bool {
	s := r.Header.Get("Sec-Fetch-Site")
	return s != "" && s != "same-origin" && s != "none"
}

// noStore marks an answer that belongs to a conversation: never kept by the
// browser or a proxy, so that Back, the cache or a shared computer shows
// nothing of it later.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// language picks the page's language: ?lang= (remembered in a cookie for
// the session), else that cookie, else the browser's preference.
func (h *Handler) language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" && h.cfg.Texts.Has(l) {
		h.setCookie(w, r, langCookie, l, "/nojs/")
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && h.cfg.Texts.Has(c.Value) {
		return c.Value
	}
	return h.cfg.Texts.Negotiate(r.Header.Get("Accept-Language"))
}

// redirect answers a form with 303 See Other: the browser then GETs the
// page, so a reload never posts the form again.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// readForm parses a posted form, bounded; false when it is not one.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return !crossSite(r)
}
