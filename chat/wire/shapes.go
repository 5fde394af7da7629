package wire

import (
	"encoding/json"
	"time"
)

// Conversation is the Conversation object of PROTOCOL.md §3.2.
type Conversation struct {
	ID            string    `json:"id"`
	Status        string    `json:"status"`
	Audience      string    `json:"audience"`
	Language      string    `json:"language"`
	Region        string    `json:"region"`
	CounselorName string    `json:"counselor_name"`
	CounselorID   string    `json:"counselor_id"` // "" while no one holds it
	CreatedAt     time.Time `json:"created_at"`
	LastSeq       int64     `json:"last_seq"`
	EndedBy       string    `json:"ended_by"`
}

// Wait is what a waiting seeker is told about their place (position frame).
type Wait struct {
	Position         int  `json:"position"`
	Known            bool `json:"estimate_known"`
	LowMinutes       int  `json:"estimate_low_minutes,omitempty"`
	HighMinutes      int  `json:"estimate_high_minutes,omitempty"`
	LanguageFallback bool `json:"language_fallback,omitempty"`
	NoneOnShift      bool `json:"none_on_shift,omitempty"` // no counsellor is on shift at all
	// NoneSuitable: counsellors are on shift but none could take this
	// seeker (none trained for them, say), so "no one is online" would be untrue.
	NoneSuitable bool `json:"none_suitable,omitempty"`
}

// QueueEntry is one waiting conversation as staff see it in the queue.
type QueueEntry struct {
	ConversationID string    `json:"conversation_id"`
	Audience       string    `json:"audience"`
	Language       string    `json:"language"`
	Region         string    `json:"region"`
	WaitingSince   time.Time `json:"waiting_since"`
	// Priority is the conversation's place-in-queue priority when above
	// new arrivals (10: returned to the queue; 20: risk), and
	// PriorityReason why, when it is risk ("risk:<category>").
	Priority       int    `json:"priority,omitempty"`
	PriorityReason string `json:"priority_reason,omitempty"`
}

// Note is a handover note as staff see it.
type Note struct {
	Name string    `json:"name"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

// Staff is a staff member as shown to themselves (ready, sign-in answer).
type Staff struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Capacity    int    `json:"capacity"`
	MaxCapacity int    `json:"max_capacity"`
}

// TeamMember is a colleague on shift as consoles see them (team,
// team_changes, status).
type TeamMember struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Status      string   `json:"status"`
	Capacity    int      `json:"capacity"`
	MaxCapacity int      `json:"max_capacity"`
	Active      int      `json:"active"`
	Languages   []string `json:"languages"`
	Audiences   []string `json:"audiences"`
}

// TeamChange is a member's id and the fields of theirs that changed
// (team_changes).
type TeamChange = json.RawMessage

// Frame is any server frame as a client reads it, every field optional.
// Raw keeps the frame as received, for frames with a typed payload
// (see As).
type Frame struct {
	Type           string          `json:"type"`
	Role           string          `json:"role"`
	Conversations  []Conversation  `json:"conversations"`
	Staff          *Staff          `json:"staff"`
	Conversation   *Conversation   `json:"conversation"`
	ConversationID string          `json:"conversation_id"`
	Seq            int64           `json:"seq"`
	LastSeq        int64           `json:"last_seq"`
	Sender         string          `json:"sender"`
	Kind           string          `json:"kind"`
	Body           string          `json:"body"`
	Name           string          `json:"name"`
	ClientID       string          `json:"client_id"`
	SentAt         time.Time       `json:"sent_at"`
	Typing         bool            `json:"typing"`
	Waiting        []QueueEntry    `json:"waiting"`
	WaitingTotal   int             `json:"waiting_total"`
	PageSize       int             `json:"page_size"` // queue: the most entries waiting holds
	ExpiresAt      time.Time       `json:"expires_at"`
	Wait           *Wait           `json:"wait"`
	Team           []TeamMember    `json:"team"`
	Added          []TeamMember    `json:"added"`         // team_changes
	Changed        []TeamChange    `json:"changed"`       // team_changes
	Gone           []string        `json:"gone"`          // team_changes
	TeamTotal      int             `json:"team_total"`    // team, team_changes: on shift in all
	TeamVersion    int64           `json:"team_version"`  // team, team_changes
	Entered        []QueueEntry    `json:"entered"`       // queue_changes
	Left           []string        `json:"left"`          // queue_changes
	Order          []string        `json:"order"`         // queue_changes
	QueueVersion   int64           `json:"queue_version"` // queue, queue_changes
	Member         *TeamMember     `json:"member"`
	Reason         string          `json:"reason"`
	Notes          []Note          `json:"notes"`
	Code           string          `json:"code"`
	Message        string          `json:"message"`
	Ref            string          `json:"ref"`
	Raw            json.RawMessage `json:"-"`
}

// As decodes a frame with a typed payload into p; it fails if the frame is
// of another type.
func (f Frame) As(p Payload) error { return Decode(f.Raw, p) }
