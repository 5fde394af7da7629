// Package routing decides who is offered which conversation, in what order,
// and when the service is open, and runs those decisions live. It has two
// parts, and they follow different rules.
//
// # The rules
//
// Pure decision logic over values the caller passes in:
//
//   - skills.go: which counsellors may take a conversation (training for
//     young people, languages, statuses);
//   - queue.go: the order of the queue and a seeker's place in it, and which
//     waiting seekers have been gone too long;
//   - assign.go: which counsellor is offered which conversation now, and the
//     pool of counsellors who could take a seeker;
//   - offer.go: offer time-outs and what missing offers does to a counsellor;
//   - estimate.go: the honest wait estimate (Estimator);
//   - waits.go: the pool sizes the estimate is given, counted once per kind
//     of seeker;
//   - hours.go, hours_parse.go: opening hours;
//   - availability.go: whether a new seeker can join at all;
//   - content.go, content/*.json: the self-help reading shown while waiting.
//
// These hold no store, open no connection, start no goroutine and read no
// clock: the time is always an argument. Every rule is deterministic and
// tested with fixed times. They are safe to call from any goroutine; slices
// and maps passed in are never modified. The one stateful type, Estimator,
// guards itself with a mutex; the self-help reading is parsed once at start
// and only read after.
//
// # The live router
//
// Router (router.go) is the rules at work, on shared state. It implements
// chat.Router, which is all chat knows of routing: chat asks it for
// decisions and tells it what happened, and it never calls chat back through
// that interface. It owns, in its Store (store.go; store_memory.go for one
// instance, store_postgres.go for several sharing PostgreSQL):
//
//   - presence: who of the team is connected to some instance, their
//     status, chosen capacity, missed offers, and when last heard of;
//   - offers: which conversation is offered to whom, until when;
//   - passes: who let which conversation pass this round;
//   - leadership: which one instance does the service-wide duties.
//
// It reads conversations from the chat store (who waits, who holds how
// many) but never writes them: what it does to a conversation, and what it
// tells people, goes through the chat service as the small Chat interface
// (Requeue, Abandon, Offer, StaffChanged, TeamChanged). The wait estimate is
// learnt by each instance from the assignments made through it, and starts
// again from "not known" after a restart.
//
// Every instance has a Router and answers chat's calls from the shared
// store. Only the instance that leads (Store.Lead: with PostgreSQL, an
// advisory lock held as long as its connection lives) makes offers (in offer
// mode), times them out, sets a counsellor who keeps missing them to busy,
// returns the conversations of a counsellor gone longer than the grace time
// to the front of the queue, and lets go seekers who left it.
//
// Who may call it: the server builds it (New), gives it the chat service
// (SetChat, once, before anything else uses it) and runs it (Run, once per
// instance, until the instance stops). The chat service calls the
// chat.Router methods. Round is the leader's single pass; only the leading
// loop calls it, and tests, with a fake clock and no leader running.
//
// Concurrency: the chat.Router methods are called from any goroutine at
// once (connection handlers, the heartbeat loop, the queue refresher); the
// Router keeps nothing of its own between calls but the Estimator and a
// one-slot wake-up channel, both safe for concurrent use, and so are the
// stores. Run blocks: while
// this instance leads, rounds run one after another on Run's goroutine,
// never two at once, once a second (roundEvery) or sooner when Changed wakes
// it; Changed never blocks, and wakes that come during a round make one
// more round, not one each. PostgresStore adds one goroutine while leading,
// which checks every two seconds that the lock's connection is alive and
// stops the rounds when it is not.
//
// Time: every decision reads the clock through Config.Now (time.Now unless
// given), so tests drive the router with a fake clock by calling Round. Only
// when the next round happens, and how often leadership is retried and
// checked, go by the real clock; nothing a seeker or counsellor is told
// depends on them.
package routing
