// Package web is the HTTP face of the service: the embedded pages, scripts,
// styles and translation files, the small JSON API (PROTOCOL.md §2), the
// WebSocket endpoint, security headers on every answer, and an access log
// that records no client address, user agent or token.
package web
