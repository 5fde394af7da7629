// Package web is the HTTP face of the service: the embedded pages, scripts,
// styles and translation files, the small JSON API (PROTOCOL.md §2) with its
// per-address limits on starting conversations and signing in, security
// headers on every answer, and an access log that records no client address,
// user agent or token.
//
// The WebSocket endpoint is not implemented here: web routes GET /ws to the
// chat.Service (Config.Chat), which checks the origin, accepts the socket,
// authenticates its first frame and runs the protocol (chat/PROTOCOL.md §3).
// Web only wraps it like every other route (security headers, panic
// recovery) and leaves it out of the access log, since a socket lives for
// hours.
package web
