package chat

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// originAllowed decides whether a browser page may open the WebSocket. The
// page's own origin is the request's scheme and host: a page served over
// http:// may not speak for https:// on the same host, nor the other way
// round. https is true when the service is reached over HTTPS through a
// proxy that ends TLS (the request then arrives as plain HTTP). Patterns
// (HELPLINE_ALLOWED_ORIGINS) match the origin's host, or its
// scheme://host when they name a scheme, case-insensitively, as in
// path.Match. A request without Origin is not from a browser page: nothing
// to check.
func originAllowed(r *http.Request, patterns []string, https bool) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	own := "http"
	if https || r.TLS != nil {
		own = "https"
	}
	if strings.EqualFold(u.Host, r.Host) && strings.EqualFold(u.Scheme, own) {
		return true
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}
