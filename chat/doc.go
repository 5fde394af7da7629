// Package chat owns conversations and their messages: the domain types, the
// store of record (memory and PostgreSQL, behind one interface), the batching
// writer that makes "acknowledged" mean "durably stored", the per-instance hub
// that fans stored messages out to connected clients, the broker that lets
// several server instances behave as one, credentials on the wire, and the
// WebSocket protocol itself (PROTOCOL.md).
//
// Concurrency: Store, Writer, Hub and Broker implementations are safe for
// concurrent use. Each WebSocket connection has exactly one reader goroutine and
// one writer goroutine; nothing publishes by blocking on a connection. Messages
// are never pushed into unbounded queues: a connection pulls them by sequence
// number from the hub's recent-message ring or, when it has fallen behind, from
// the store.
package chat
