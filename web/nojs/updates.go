package nojs

import "net/http"

// The chat page's frame reloads itself to show what is new. Someone who
// reads with a screen reader, or slowly, loses their place at each reload,
// so they can stop it (WCAG 2.2.2 "Pause, Stop, Hide"; a timed reload that
// cannot be turned off also fails 2.2.1): ?updates=off on a page, kept in a
// session cookie like the language, serves the frame without its refresh,
// and "Refresh now" shows what is new; ?updates=on brings the reload back.

const updatesCookie = "helpline_updates"

// updatesOff reports whether this browser stopped the automatic updates,
// remembering a choice made with ?updates=.
func (h *Handler) updatesOff(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Query().Get("updates") {
	case "off":
		h.setCookie(w, r, updatesCookie, "off", "/nojs/")
		return true
	case "on":
		h.clearCookie(w, r, updatesCookie, "/nojs/")
		return false
	}
	c, err := r.Cookie(updatesCookie)
	return err == nil && c.Value == "off"
}
