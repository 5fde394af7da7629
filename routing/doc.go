// Package routing decides who gets offered what, in what order, and when, and
// runs those decisions live for the service. It has two halves.
//
// The rules are pure functions over values the caller passes in, with the
// time as an argument: which counsellors may take a conversation (skills.go),
// the order of the queue and a seeker's place in it (queue.go), which
// counsellor is offered which conversation now (assign.go), offer timeouts and
// missed offers (offer.go), how many counsellors could take each seeker
// (waits.go), the honest wait estimate (estimate.go), opening hours
// (hours.go, hours_parse.go), whether a new seeker can join at all
// (availability.go), and the self-help reading shown while waiting
// (content.go, content/*.json). They touch no store and start no goroutine,
// so every rule is tested with fixed times.
//
// The router (router.go) is the live part: Router implements chat.Router for
// the chat service. It keeps presence, offers and passes in a Store (store.go;
// memory, or PostgreSQL so that every instance sees the same), reads
// conversations from the chat.Store, and acts through the *chat.Service given
// to it by Attach (requeue, abandon, staff and team changes): chat calls the
// router through the chat.Router interface and the router calls back into
// chat. Run takes part in the leader election (Store.Lead: a PostgreSQL
// advisory lock held on a connection of its own); the one instance that leads
// runs Round in a goroutine, every second and whenever Changed wakes it,
// returning lost conversations to the queue, removing abandoned ones and, in
// offer mode, expiring and making offers. Its clock is Config.Now (time.Now
// unless a test gives another), and tests call Round directly.
//
// Concurrency: the rules are safe to call from any goroutine and never modify
// the slices and maps passed in; Estimator, Router and both Stores are safe
// for concurrent use.
package routing
