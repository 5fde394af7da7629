// Package routing owns the rules of who gets offered what, in what order, and
// when: which counsellors may take a conversation (skills.go), the order of the
// queue and a seeker's place in it (queue.go), which counsellor is offered which
// conversation now (assign.go), offer timeouts and missed offers (offer.go),
// the honest wait estimate (estimate.go), opening hours (hours.go), whether a
// new seeker can join at all (availability.go), and the self-help reading shown
// while waiting (content.go, content/*.json).
//
// Everything here is decision logic over values the caller passes in: no store,
// no network, no goroutines, no clock of its own. The caller (the server) holds
// the state: it reads conversations and counsellors, calls these functions with
// the current time, and carries out the result (creating offers, assigning,
// setting statuses). That keeps every rule deterministic and testable with
// fixed times.
//
// Concurrency: all functions are pure and safe to call from any goroutine. The
// one stateful type, Estimator, is safe for concurrent use. Slices and maps
// passed in are never modified.
package routing
