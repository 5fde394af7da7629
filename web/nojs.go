package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"helpline/chat"
	"helpline/routing"
	"helpline/web/nojs"
)

// nojsRoutes registers the pages without JavaScript (web/nojs) under /nojs/,
// sharing the start limiter with the JSON API.
func (h *handler) nojsRoutes(mux *http.ServeMux, starts *addressLimiter, allStarts totalLimiter) {
	cfg := nojs.Config{
		Chat: h.cfg.Chat, Texts: nojsTexts{h.cfg.Texts}, ExitURL: h.cfg.ExitURL, RetentionDays: h.cfg.RetentionDays,
		HTTPS: h.cfg.HSTS, Log: h.cfg.Log, Refresh: h.cfg.NoJSRefresh,
		AllowStart: func(r *http.Request) bool { return (starts.lim == nil || starts.allow(r)) && allStarts.allow() },
		ErrorStatus: func(w http.ResponseWriter, err error) int {
			code := chat.ErrorCode(err)
			var e *chat.Error
			if errors.As(err, &e) && e.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
			} else if code == chat.CodeUnavailable {
				w.Header().Set("Retry-After", unavailableRetryAfter)
			}
			return httpStatus(code)
		},
		SelfHelp: func(lang string) []nojs.Article {
			as, ok := routing.SelfHelp(lang)
			if !ok {
				as, _ = routing.SelfHelp(h.cfg.Texts.Default)
			}
			out := make([]nojs.Article, 0, len(as))
			for _, a := range as {
				out = append(out, nojs.Article{Title: a.Title, Body: a.Body})
			}
			return out
		},
	}
	// nojs_features: warm referrals, feedback and the waiting step, when on.
	if h.cfg.Referrals != nil {
		cfg.Referrals = h.cfg.Referrals
	}
	if h.cfg.Feedback != nil {
		cfg.Feedback = h.cfg.Feedback
	}
	if h.cfg.Flood != nil {
		cfg.Flood = h.cfg.Flood
	}
	nojs.New(cfg).Register(mux)
}

// onionLocation tells Tor Browser that the service is also an onion
// service (HELPLINE_ONION_ADDRESS): the same path on that address.
func (h *handler) onionLocation(hd http.Header, r *http.Request) {
	if h.cfg.OnionOrigin == "" || strings.EqualFold(r.Host, strings.TrimPrefix(h.cfg.OnionOrigin, "http://")) {
		return
	}
	hd.Set("Onion-Location", h.cfg.OnionOrigin+r.URL.RequestURI())
}

// nojsTexts gives web/nojs the translation tables.
type nojsTexts struct{ t *Texts }

func (n nojsTexts) Text(lang, key string) string {
	if s, ok := n.t.tables[lang][key]; ok {
		return s
	}
	if s, ok := n.t.tables[n.t.Default][key]; ok {
		return s
	}
	return key
}

func (n nojsTexts) Codes() []string         { return n.t.Codes() }
func (n nojsTexts) Has(lang string) bool    { return n.t.Has(lang) }
func (n nojsTexts) Name(lang string) string { return cmp(n.t.tables[lang][nameKey], lang) }

// Negotiate picks the first offered language of an Accept-Language header
// (exact tag, then its primary subtag), else the default. Weights are not
// weighed: browsers list languages in the order they prefer.
func (n nojsTexts) Negotiate(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" || len(tag) > 35 {
			continue
		}
		for _, code := range n.t.Codes() {
			if strings.ToLower(code) == tag {
				return code
			}
		}
		base, _, _ := strings.Cut(tag, "-")
		for _, code := range n.t.Codes() {
			if c, _, _ := strings.Cut(strings.ToLower(code), "-"); c == base {
				return code
			}
		}
	}
	return n.t.Default
}
