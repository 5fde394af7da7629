// Package relay is the reference WebSocket relay of the benchmarks: the
// least a chat server can do over github.com/coder/websocket (a map of
// rooms and a writer per connection, nothing stored, nothing checked), so
// that every helpline figure in BENCHMARKS.md can be read as a ratio to
// this practical limit measured on the same machine in the same run. It is
// benchmark tooling, not part of the product.
//
// Protocol (all of it):
//
//	GET /healthz            200 "ok"
//	GET /ws?room=NAME       WebSocket; every text message a member sends is
//	                        written, unchanged, to every member of the room,
//	                        the sender included (its own copy is its ack),
//	                        in the order the relay read them.
//
// A member that falls 256 messages behind is closed (1008), as a server
// must do with a slow reader rather than hold unbounded memory for it.
package relay
