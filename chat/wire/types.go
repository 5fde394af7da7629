package wire

// Server → client frame types (PROTOCOL.md §3.4).
const (
	FrameReady        = "ready"
	FramePong         = "pong"
	FrameAck          = "ack"
	FrameMessage      = "message"
	FrameSynced       = "synced"
	FrameNotes        = "notes"
	FrameConversation = "conversation"
	FrameTyping       = "typing" // also a client frame
	FrameOffer        = "offer"
	FrameStatus       = "status" // also a client frame
	FrameQueue        = "queue"
	FrameTeam         = "team"
	FrameTeamChanges  = "team_changes"
	FrameQueueChanges = "queue_changes"
	// FrameQueueTotal: how many wait, for a console at capacity (§3.1).
	FrameQueueTotal = "queue_total"
	FramePosition   = "position"
	// FrameTransferTargets answers the client frame of the same name.
	FrameTransferTargets = "transfer_targets"
	FrameError           = "error"
)

// Client → server frame types (PROTOCOL.md §3.3).
const (
	FrameAuth     = "auth"
	FrameSync     = "sync"
	FrameSend     = "send"
	FrameEnd      = "end"
	FrameAccept   = "accept"
	FramePing     = "ping"
	FrameDecline  = "decline"  // staff
	FrameTransfer = "transfer" // staff
	FrameWatch    = "watch"    // supervisors and admins
	FrameUnwatch  = "unwatch"  // supervisors and admins: the end of a watch
	// FrameTransferTargets (staff) asks who could take a conversation now;
	// the answer has the same type.
	// FrameStreams (consoles) says which broadcasts the console wants from
	// now on (Streams); each named one starts again with a snapshot.
	FrameStreams = "streams"
)

// The broadcasts a console may ask for (auth's and streams' "streams").
const (
	StreamQueue = "queue" // queue frames
	StreamTeam  = "team"  // a team frame, then team_changes
	// StreamQueueChanges is a queue frame, then queue_changes (instead of
	// whole queue frames).
	StreamQueueChanges = "queue_changes"
)
