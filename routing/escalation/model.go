package escalation

import (
	"slices"
	"time"

	"helpline/chat"
)

// Reason is why an escalation was raised.
type Reason string

// The reasons, in the order the console offers them. ReasonDebrief is the
// counsellor's own request to talk something through (issue "care for
// counsellors"): always when_possible, with or without a conversation.
const (
	ReasonChildAtRisk      Reason = "child_at_risk"
	ReasonSelfHarm         Reason = "self_harm"
	ReasonAcuteDistress    Reason = "acute_distress"
	ReasonAbusiveOrTesting Reason = "abusive_or_testing"
	ReasonNeedAdvice       Reason = "need_advice"
	ReasonDebrief          Reason = "debrief"
)

// Reasons lists every reason.
var Reasons = []Reason{ReasonChildAtRisk, ReasonSelfHarm, ReasonAcuteDistress, ReasonAbusiveOrTesting, ReasonNeedAdvice, ReasonDebrief}

// Valid reports whether r is one of Reasons.
func (r Reason) Valid() bool { return slices.Contains(Reasons, r) }

// Urgency is how soon a supervisor must acknowledge.
type Urgency string

// The urgencies, most urgent first.
const (
	UrgencyNow          Urgency = "now"
	UrgencySoon         Urgency = "soon"
	UrgencyWhenPossible Urgency = "when_possible"
)

// Urgencies lists every urgency, most urgent first.
var Urgencies = []Urgency{UrgencyNow, UrgencySoon, UrgencyWhenPossible}

// Valid reports whether u is one of Urgencies.
func (u Urgency) Valid() bool { return slices.Contains(Urgencies, u) }

// moreUrgent returns the more urgent of a and b.
func moreUrgent(a, b Urgency) Urgency {
	if slices.Index(Urgencies, b) < slices.Index(Urgencies, a) {
		return b
	}
	return a
}

// Outcome is what a supervisor decided, recorded when resolving. None of
// them makes the service send anything anywhere: "emergency services
// contacted" records what a person did.
type Outcome string

// The outcomes.
const (
	OutcomeAdviceGiven        Outcome = "advice_given"
	OutcomeSafetyPlanAgreed   Outcome = "safety_plan_agreed"
	OutcomeReferralMade       Outcome = "referral_made"
	OutcomeEmergencyContacted Outcome = "emergency_services_contacted"
	OutcomeNoActionNeeded     Outcome = "no_action_needed"
	OutcomeOther              Outcome = "other"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeAdviceGiven, OutcomeSafetyPlanAgreed, OutcomeReferralMade, OutcomeEmergencyContacted, OutcomeNoActionNeeded, OutcomeOther}

// Valid reports whether o is one of Outcomes.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes, o) }

// Status is where an escalation stands.
type Status string

// The statuses: open until a supervisor acknowledges, then acknowledged
// until resolved.
const (
	StatusOpen         Status = "open"
	StatusAcknowledged Status = "acknowledged"
	StatusResolved     Status = "resolved"
)

// SystemActor is the staff id of an escalation raised automatically.
const SystemActor int64 = 0

// MaxNoteChars bounds a note.
const MaxNoteChars = 1000

// Escalation is one escalation and, when read with its notes, its history.
type Escalation struct {
	ID             string
	ConversationID string // "" for a debrief requested outside any conversation
	RaisedBy       int64  // SystemActor when raised automatically
	RaisedByName   string
	Reason         Reason
	Urgency        Urgency
	Status         Status
	RaisedAt       time.Time
	DueAt          time.Time // acknowledgement deadline
	NobodyOnShift  bool      // no supervisor or admin was on shift when it was raised
	LateAlertedAt  time.Time // when the missed deadline re-alerted (zero: not yet)
	AckBy          int64
	AckByName      string
	AckAt          time.Time
	ResolvedBy     int64
	ResolvedByName string
	ResolvedAt     time.Time
	Outcome        Outcome
	Notes          []Note // only from the reads that include them
}

// Late reports whether the acknowledgement deadline was missed: re-alerted,
// or acknowledged after it.
func (e Escalation) Late() bool {
	return !e.LateAlertedAt.IsZero() || (!e.AckAt.IsZero() && e.AckAt.After(e.DueAt))
}

// Note kinds.
const (
	NoteRaise   = "raise"   // written by whoever raised it, or added by raising again
	NoteResolve = "resolve" // the supervisor's resolution note
)

// Note is one note of an escalation, sealed at rest.
type Note struct {
	ID        string
	StaffID   int64
	StaffName string
	Kind      string
	Body      string
	At        time.Time
}

// Raise is what a store needs to raise an escalation or add to the open one.
type Raise struct {
	ID             string // the new escalation's id, if one is made
	NoteID         string
	RequestID      string // the client's id: a repeat with the same one is stored once
	ConversationID string
	StaffID        int64
	StaffName      string
	Reason         Reason
	Urgency        Urgency
	Note           string
	At             time.Time
	DueAt          time.Time
	NobodyOnShift  bool
}

// Raised says what a raise did.
type Raised int

// What a raise did.
const (
	Created  Raised = iota // a new escalation
	Added                  // a note added to the open one of that conversation and reason
	Repeated               // a retried request: nothing new stored
)

// Frame is the one frame this package pushes (type "escalation"): ids and
// short fields, never note text, so that it always fits the broker. Pages
// fetch the rest over HTTP.
type Frame struct {
	Event          string     `json:"event"` // raised, updated, acknowledged, late, resolved
	EscalationID   string     `json:"escalation_id"`
	ConversationID string     `json:"conversation_id,omitempty"`
	Reason         Reason     `json:"reason"`
	Urgency        Urgency    `json:"urgency"`
	Status         Status     `json:"status"`
	RaisedByName   string     `json:"raised_by_name"`
	RaisedAt       time.Time  `json:"raised_at"`
	DueAt          time.Time  `json:"due_at"`
	Late           bool       `json:"late"`
	NobodyOnShift  bool       `json:"nobody_on_shift"`
	AckByName      string     `json:"acknowledged_by_name,omitempty"`
	AckAt          *time.Time `json:"acknowledged_at,omitempty"`
	ResolvedByName string     `json:"resolved_by_name,omitempty"`
	Outcome        Outcome    `json:"outcome,omitempty"`
}

// FrameType implements wire.Payload.
func (Frame) FrameType() string { return "escalation" }

// Frame events.
const (
	EventRaised       = "raised"
	EventUpdated      = "updated"
	EventAcknowledged = "acknowledged"
	EventLate         = "late"
	EventResolved     = "resolved"
)

func frameOf(event string, e Escalation) Frame {
	f := Frame{Event: event, EscalationID: e.ID, ConversationID: e.ConversationID, Reason: e.Reason, Urgency: e.Urgency,
		Status: e.Status, RaisedByName: e.RaisedByName, RaisedAt: e.RaisedAt, DueAt: e.DueAt, Late: e.Late(),
		NobodyOnShift: e.NobodyOnShift, AckByName: e.AckByName, ResolvedByName: e.ResolvedByName, Outcome: e.Outcome}
	if !e.AckAt.IsZero() {
		at := e.AckAt
		f.AckAt = &at
	}
	return f
}

// mayHandle reports whether a role acknowledges and resolves escalations.
func mayHandle(r chat.Role) bool { return r == chat.RoleSupervisor || r == chat.RoleAdmin }
