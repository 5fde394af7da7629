package chat

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where a conversation is in its life.
type Status string

const (
	StatusWaiting Status = "waiting" // in the queue, no counsellor yet
	StatusActive  Status = "active"  // a counsellor is assigned
	StatusEnded   Status = "ended"   // over; no more messages
	// StatusDeleted is never stored: it tells clients a conversation they
	// held has just been erased by its seeker.
	StatusDeleted Status = "deleted"
)

// Audience is the seeker's optional answer to "who are you?".
type Audience string

const (
	AudienceUnknown Audience = ""      // prefer not to say
	AudienceSelf    Audience = "self"  // worried about their own thoughts or behaviour
	AudienceYoung   Audience = "young" // under 18
	AudienceOther   Audience = "other" // worried about someone else
)

// Audiences lists the answers a seeker can give, in display order.
var Audiences = []Audience{AudienceSelf, AudienceYoung, AudienceOther}

// Valid reports whether a is a known answer (including "prefer not to say").
func (a Audience) Valid() bool {
	switch a {
	case AudienceUnknown, AudienceSelf, AudienceYoung, AudienceOther:
		return true
	}
	return false
}

// Sender says who wrote a message.
type Sender string

const (
	SenderSeeker    Sender = "seeker"
	SenderCounselor Sender = "counselor"
	SenderSystem    Sender = "system"
)

// Note is a private handover note between counsellors; seekers never see it.
type Note struct {
	ConversationID string
	StaffID        int64
	StaffName      string
	Body           string
	CreatedAt      time.Time
}

// Message kinds: typed text, or a system event.
const (
	KindText        = "text"
	KindJoined      = "joined"      // a counsellor joined; Name is theirs
	KindEnded       = "ended"       // Body is who ended it (an EndedBy value)
	KindRequeued    = "requeued"    // back in the queue; Body is why (a Requeue reason)
	KindTransferred = "transferred" // handed to another counsellor; Name is theirs
)

// System events of supervision (chat/supervision.go).
const (
	KindStaffJoined = "staff_joined" // a second member of the team joined (JoinStaff); Name is theirs
	KindStaffLeft   = "staff_left"   // that member left again (LeaveStaff); Name is theirs
)

// Why a conversation went back to the queue.
const (
	RequeueCounselorLeft = "counselor_left"
	RequeueTransferred   = "transferred"
)

// Who ended a conversation.
const (
	EndedBySeeker    = "seeker"
	EndedByCounselor = "counselor"
	EndedByLeft      = "left" // the seeker used quick exit
	EndedBySystem    = "system"
	EndedByAbandoned = "abandoned" // the seeker left the queue and did not come back in time
	// EndedByBlocked: staff ended an abusive conversation and paused new
	// ones from the seeker's browser (blocking.go).
	EndedByBlocked = "blocked"
)

// Limits on what a client may send.
const (
	MaxBodyChars   = 4000
	MaxRegionChars = 64
	MaxClientID    = 64
)

// Conversation is one anonymous help-seeker's conversation with the service.
type Conversation struct {
	ID            string
	Status        Status
	Audience      Audience
	Language      string
	Region        string
	CounselorID   int64 // 0 while waiting
	CounselorName string
	CreatedAt     time.Time
	QueuedAt      time.Time
	AssignedAt    time.Time
	EndedAt       time.Time
	EndedBy       string
	LastSeq       int64
	Priority      int // higher is served first (returned conversations)
	// PriorityReason says why Priority is above PriorityReturned, for
	// staff ("risk:<category>"); "" otherwise.
	PriorityReason string
	RequiredSkill  Audience  // after a transfer to a skill: the next counsellor must have it
	Passed         []int64   // counsellors not to offer it to again
	SeekerSeenAt   time.Time // last time the seeker's browser was connected
	JoinPosition   int       // place in the queue on arrival
	// JoinedID is a second member of the team taking part beside the
	// counsellor (a supervisor who joined), 0 for none; JoinedName is
	// theirs. Reassign and Requeue clear it.
	JoinedID   int64
	JoinedName string
}

// Participant reports whether a staff member takes part in c: its
// counsellor, or the colleague who joined it.
func (c Conversation) Participant(staffID int64) bool {
	return staffID != 0 && (c.CounselorID == staffID || c.JoinedID == staffID)
}

// Priorities of a conversation in the queue: higher is served first. chat
// sets them (a new arrival, or one returned by Requeue or Transfer) and its
// stores list the waiting in that order; routing orders its queue by them.
const (
	PriorityNew = 0
	// PriorityReturned puts a conversation whose counsellor left or handed
	// it on ahead of new arrivals: they should not start again at the back.
	PriorityReturned = 10
	// PriorityRisk puts a waiting seeker whose words matched an imminent
	// risk list (chat/riskflag) ahead of everyone else: Service.Prioritize
	// sets it, with the reason "risk:<category>". Kept if the conversation
	// later goes back to the queue.
	PriorityRisk = 20
)

// NewConversation is what a seeker says before the chat starts.
type NewConversation struct {
	Audience Audience
	Language string
	Region   string
}

// Validate checks a seeker's pre-chat answers. languages is the set the
// service offers.
func (n NewConversation) Validate(languages map[string]bool) error {
	if !n.Audience.Valid() {
		return Errorf(CodeInvalid, "audience must be one of self, young, other or empty")
	}
	if n.Language != "" && !languages[n.Language] {
		return Errorf(CodeInvalid, "language %q is not offered", n.Language)
	}
	if err := CheckText(n.Region, MaxRegionChars, true); err != nil {
		return Errorf(CodeInvalid, "region: %s", err.(*Error).Message)
	}
	return nil
}

// Message is one stored entry of a conversation: typed text or a system event.
type Message struct {
	ConversationID string
	Seq            int64
	Sender         Sender
	SenderID       int64 // the counsellor's account for counsellor messages
	Kind           string
	Body           string
	Name           string // counsellor's display name, on their messages and on joined
	ClientID       string
	SentAt         time.Time
}

// Append asks for one message to be stored.
type Append struct {
	ConversationID string
	Sender         Sender
	SenderID       int64
	Name           string
	Kind           string
	ClientID       string
	Body           string
}

// AppendResult is the outcome of one Append: the stored message (the earlier
// one when Duplicate), or Err.
type AppendResult struct {
	Message   Message
	Duplicate bool
	Err       error
}

// CheckText validates client text: valid UTF-8, no NUL, at most max
// characters, and not blank unless allowEmpty.
func CheckText(s string, max int, allowEmpty bool) error {
	if !utf8.ValidString(s) {
		return Errorf(CodeInvalid, "text is not valid UTF-8")
	}
	if strings.ContainsRune(s, 0) {
		return Errorf(CodeInvalid, "text contains a NUL character")
	}
	if !allowEmpty && strings.TrimSpace(s) == "" {
		return Errorf(CodeInvalid, "text is empty")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(CodeInvalid, "text is %d characters, at most %d are allowed", n, max)
	}
	return nil
}

// CheckClientID validates a sender-chosen message id: 1–64 of [A-Za-z0-9_-].
func CheckClientID(id string) error {
	if id == "" || len(id) > MaxClientID {
		return Errorf(CodeInvalid, "client_id must be 1 to %d characters", MaxClientID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return Errorf(CodeInvalid, "client_id may contain only letters, digits, - and _")
		}
	}
	return nil
}
