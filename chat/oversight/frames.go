package oversight

// The frames this package pushes (chat.Service.Push, recipients
// chat.Recipients{StaffOf: conversation} unless said otherwise). They carry
// ids and names, never text: a console fetches whispers over HTTP.

// WhisperFrame says a whisper was written in a conversation: fetch it
// (GET /api/staff/conversations/{id}/supervision).
type WhisperFrame struct {
	ConversationID string `json:"conversation_id"`
	ID             string `json:"id"`
}

func (WhisperFrame) FrameType() string { return "whisper" }

// WatchersFrame is who watches a conversation now, whole.
type WatchersFrame struct {
	ConversationID string     `json:"conversation_id"`
	Watchers       []StaffRef `json:"watchers"`
}

func (WatchersFrame) FrameType() string { return "watchers" }

// TakenOverFrame tells the counsellor who held a conversation (Recipients
// Staff) that a supervisor took it over; it is no longer theirs.
type TakenOverFrame struct {
	ConversationID string `json:"conversation_id"`
	By             string `json:"by"` // the supervisor's display name
}

func (TakenOverFrame) FrameType() string { return "taken_over" }
