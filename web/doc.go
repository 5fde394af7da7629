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
//
// Pages, scripts and styles are read once at start (assets.go): gzipped
// once, and named under /static/v-<version>/ (a hash of them all), which is
// cached as immutable; pages and translations are revalidated each visit.
//
// The pages' scripts are ES modules served as they are, with no build step
// (static/seeker.js, console.js, supervisor.js and admin.js are the entry
// points; static/lib holds what they share: socket, chat client, message log,
// i18n, the staff pages' sign-in and sign-out (staff-session.js), and
// latestOnly (latest.js), which lets only the answer to the latest of several
// requests draw; static/console, supervisor and admin one module per panel).
// The CSP's script-src 'self' allows them, and
// no inline script. Who may take a transfer and how long the queue list is
// come from the server (PROTOCOL.md §3), never from a copy in the page.
//
// The help-seeker's pages without JavaScript are web/nojs, registered under
// /nojs/ by nojsRoutes (web/nojs.go) with the same chat service, texts and
// start limiter; secure adds Onion-Location to every answer when an onion
// address is configured.
package web
