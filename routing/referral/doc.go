// Package referral delivers warm referrals to partner services: reliably
// (an outbox that survives restarts, shared by every instance), only with
// the seeker's consent, and signed per Standard Webhooks (sub-package
// webhook).
//
// # What it owns
//
//   - The outbox (Store): one row per consented referral, keyed by its
//     webhook-id, the partner's idempotency key. Its payload (Payload, a
//     closed struct: referral code, service id, the fields the seeker chose
//     to share, language, audience, region; never message text) is sealed
//     at rest with the same keys as chat messages; `helpline rotate-keys`
//     re-seals them with everything else (chat.SealedColumns lists them).
//     Delivered and withdrawn rows are deleted after Config.Retention, dead
//     ones after Config.DeadRetention.
//   - The partner list: id, name, https URL, signing secrets (several during
//     rotation), enabled, and AllowPrivate, the test-only flag that lets a
//     partner live on loopback or a private network. Partners are written
//     by administrators only; nothing a seeker or counsellor sends can name
//     a URL.
//   - Delivery (Deliverer): one attempt per due row per run, with a few
//     quick in-process retries (go-retryablehttp); the retries across
//     attempts follow Config.Schedule (about a day, with jitter) and are
//     rows in the outbox, not sleeping goroutines. 2xx delivers; 3xx fails
//     and is never followed; 410 disables the partner and alerts; 429, 502,
//     503 and 504 postpone the next attempt by Retry-After, capped; after
//     the last attempt the row is dead and Alerts.DeliveryFailed is called.
//   - The outbound guard: every connection's resolved address is checked in
//     the dialer's Control function (dial.go), so loopback, private,
//     link-local (cloud metadata), multicast and unspecified addresses are
//     refused even when DNS changes between checks; no proxy is used.
//
// # Who calls it
//
//   - The consent flow (chat/web, later): NewDelivery with the payload the
//     seeker confirmed, then PostgresStore.EnqueueTx in the same
//     transaction as the referral record, so both exist or neither does;
//     Deliverer.Withdraw when the seeker withdraws (ErrInFlight while it is
//     being sent at that moment).
//   - Supervisor pages: Deliverer.Retry for a dead-lettered referral, Get
//     for its status.
//   - Administrator pages and commands: Store.PutPartner.
//   - The server: one Deliverer per instance, Run in its own goroutine.
//   - A partner's signed callback: webhook.Verify with the partner's
//     secrets and a tolerance on the timestamp.
//
// # Concurrency
//
// Both stores are safe for concurrent use. Any number of Deliverers, in one
// process or many, may share a PostgresStore: Claim takes rows with FOR
// UPDATE SKIP LOCKED and holds them for Config.Lease, so one deliverer at a
// time sends a given row. A deliverer that dies mid-delivery leaves its
// lease to run out, and another sends the row again with the same
// webhook-id: delivery is at least once, and exactly once for a partner
// that honours the webhook-id as its idempotency key. A Deliverer's own
// methods may be called from any goroutine; RunOnce attempts its claimed
// rows concurrently, one goroutine each, and returns when all have ended.
// Alerts are called from those goroutines and must not block for long.
//
// The clock, the schedule, the jitter, the timeouts and the in-process
// retry wait are all in Config, so tests never sleep.
package referral
