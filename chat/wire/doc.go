// Package wire declares the frames of the WebSocket protocol
// (../PROTOCOL.md §3) once, for the server (package chat), the Go client
// (chat/chatclient) and whatever else speaks to the server: the frame type
// names, the shapes frames carry (Conversation, Wait, QueueEntry, Note,
// Staff, TeamMember), the client's view of any server frame (Frame) and the
// typed envelope new frames use (Payload, Encode, Decode).
//
// It imports nothing of helpline's and holds no state: everything here is
// plain data, safe to use from any goroutine.
package wire
