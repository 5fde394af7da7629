// Package flood is the waiting step for new conversations under a flood of
// abusive starts: a switch a supervisor or admin turns on (audited, stored
// so that every instance obeys it), and, while it is on, a small cost for
// each new conversation that identifies nobody.
//
// # What it owns
//
//   - The switch (Store: PostgreSQL table flood_switch, migration 00018, or
//     memory): on or off, who switched it and since when. Instances read it
//     through a short cache (Config.CacheFor), so a switch reaches all of
//     them within seconds.
//   - Proof of work for pages with JavaScript: Challenge hands out a signed,
//     expiring challenge; the page finds a nonce such that SHA-256 of
//     "challenge:nonce" starts with Bits zero bits (about 2^Bits hashes: a
//     second or two on a phone at the default), and presents both when
//     starting.
//   - A delay for pages without JavaScript, which cannot compute: Ticket
//     hands out a signed ticket that matures after Config.Wait; the page
//     reloads itself until then.
//   - Spending: a solved challenge or a mature ticket starts one
//     conversation only, on whichever instance (Store.Spend, kept until it
//     expires).
//
// Nothing here knows an address, a browser or a person: a challenge or a
// ticket is a random id, two times and a signature. It slows down a
// script that opens conversations by the thousand; it cannot tell a person
// from a patient attacker, and the service-wide start limit stays the
// backstop (README "Blocking without identity").
//
// # Who calls it
//
// web (the supervisor's switch, the seeker's challenge, the start of a
// conversation on the JSON API) and web/nojs (the ticket of the page
// without JavaScript); the server wiring builds it.
//
// # Concurrency
//
// Service and both stores are safe for concurrent use. Time comes only
// from Config.Now.
package flood
