// Package chat owns conversations and their messages: the domain types, the
// store of record (memory and PostgreSQL, behind one interface), the batching
// writer that makes "acknowledged" mean "durably stored", the per-instance hub
// that fans stored messages out to connected clients, the broker that lets
// several server instances behave as one, credentials on the wire, and the
// WebSocket protocol itself (PROTOCOL.md). The stores also keep the
// anonymous tallies the transparency report is made from (tally.go), in the
// same transaction as the change each counts.
//
// Concurrency: Store, Writer, Hub and Broker implementations are safe for
// concurrent use. Each WebSocket connection has exactly one reader goroutine
// for as long as it is open, and a writer goroutine only while there is
// something to send: queueing a frame or a wake-up calls kick, which starts
// the writer (writeLoop) when none is running; the writer sends everything
// queued and exits, and never two run at once (see kick). An idle connection
// so holds one goroutine, not two. Nothing publishes by blocking on a
// connection. Messages are never pushed into unbounded queues: a connection
// pulls them by sequence number from the hub's recent-message ring or, when it
// has fallen behind, from the store.
package chat
