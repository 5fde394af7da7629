package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"helpline/chat/wire"
)

// clientFrame is every field a client frame may carry (PROTOCOL.md §3.3).
// Decoding is strict: an unknown field is an error, except the fields the
// server owns, which are accepted and ignored.
type clientFrame struct {
	Type           string `json:"type"`
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
	AfterSeq       *int64 `json:"after_seq"`
	ClientID       string `json:"client_id"`
	Body           string `json:"body"`
	Typing         bool   `json:"typing"`
	Reason         string `json:"reason"`
	Status         string `json:"status"`
	Capacity       *int   `json:"capacity"`
	To             string `json:"to"`
	Skill          string `json:"skill"`
	Note           string `json:"note"`
	// Observe, on auth: a supervisor's or admin's page that only looks
	// (the supervisor page): not on shift, no queue or team frames, only
	// pushed frames (PROTOCOL.md "The supervisor page").
	Observe bool `json:"observe"`
	// Streams, on auth and in a streams frame: which of the console's
	// broadcasts (queue, team) it wants; nil on auth means both.
	Streams *[]string `json:"streams"`

	// Owned by the server: ignored if sent.
	Sender json.RawMessage `json:"sender"`
	Seq    json.RawMessage `json:"seq"`
	SentAt json.RawMessage `json:"sent_at"`
	Role   json.RawMessage `json:"role"`
}

// Client frame types (declared in package wire).
const (
	frameAuth     = wire.FrameAuth
	frameSync     = wire.FrameSync
	frameSend     = wire.FrameSend
	frameTyping   = wire.FrameTyping
	frameEnd      = wire.FrameEnd
	frameAccept   = wire.FrameAccept
	framePing     = wire.FramePing
	frameStatus   = wire.FrameStatus
	frameDecline  = wire.FrameDecline
	frameTransfer = wire.FrameTransfer
	frameWatch    = wire.FrameWatch
	frameUnwatch  = wire.FrameUnwatch
	frameStreams  = wire.FrameStreams
)

// MaxNoteChars bounds a handover note.
const MaxNoteChars = 2000

// decodeClientFrame parses and validates one frame. Every failure is a
// CodeInvalid *Error that says what is wrong.
func decodeClientFrame(data []byte) (clientFrame, error) {
	var f clientFrame
	if !utf8.Valid(data) {
		// Checked here because encoding/json would silently replace the bad bytes.
		return f, Errorf(CodeInvalid, "frame is not valid UTF-8")
	}
	if !quickDecode(data, &f) {
		f = clientFrame{}
		if err := decodeStrictly(data, &f); err != nil {
			return f, err
		}
	}
	if f.Type == "" {
		return f, Errorf(CodeInvalid, "frame has no type")
	}
	rule, ok := clientFrames[f.Type]
	if !ok {
		return f, Errorf(CodeInvalid, "unknown frame type %q", truncate(f.Type, 32))
	}
	if rule.validate != nil {
		if err := rule.validate(f); err != nil {
			return f, err
		}
	}
	return f, nil
}

// decodeStrictly is the decoding every frame is held to: one JSON object,
// no field clientFrame lacks, nothing after it.
func decodeStrictly(data []byte, f *clientFrame) error {
	// Into a frame of its own, copied to f even when refused (its ref names
	// the error): f, the caller's, then stays off the heap.
	g := new(clientFrame)
	defer func() { *f = *g }()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(g); err != nil {
		return Errorf(CodeInvalid, "malformed frame: %s", describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeInvalid, "malformed frame: extra data after the JSON object")
	}
	return nil
}

func needConversation(f clientFrame) error {
	if f.ConversationID == "" {
		return Errorf(CodeInvalid, "%s needs conversation_id", f.Type)
	}
	if len(f.ConversationID) > 64 {
		return ErrNotFound
	}
	return nil
}

func validateAuth(f clientFrame) error {
	if f.Token == "" || len(f.Token) > 4096 {
		return Errorf(CodeInvalid, "auth needs a token")
	}
	if f.Streams != nil {
		return validateStreams(f)
	}
	return nil
}

func validateSync(f clientFrame) error {
	if err := needConversation(f); err != nil {
		return err
	}
	if f.AfterSeq == nil || *f.AfterSeq < 0 {
		return Errorf(CodeInvalid, "sync needs after_seq, a number ≥ 0")
	}
	return nil
}

func validateSend(f clientFrame) error {
	if err := needConversation(f); err != nil {
		return err
	}
	if err := CheckClientID(f.ClientID); err != nil {
		return err
	}
	return CheckText(f.Body, MaxBodyChars, false)
}

func validateEnd(f clientFrame) error {
	if err := needConversation(f); err != nil {
		return err
	}
	if f.Reason != "" && f.Reason != EndedByLeft && f.Reason != EndedByBlocked {
		return Errorf(CodeInvalid, `end reason must be "", "left" (seekers) or "blocked" (staff)`)
	}
	return nil
}

func validateStatus(f clientFrame) error {
	switch f.Status {
	case "available", "busy", "break":
	default:
		return Errorf(CodeInvalid, "status must be available, busy or break")
	}
	if f.Capacity != nil && (*f.Capacity < 1 || *f.Capacity > 50) {
		return Errorf(CodeInvalid, "capacity must be from 1 to 50")
	}
	return nil
}

func validateTransfer(f clientFrame) error {
	if err := needConversation(f); err != nil {
		return err
	}
	if (f.To == "") == (f.Skill == "") {
		return Errorf(CodeInvalid, "transfer needs either to (a staff id) or skill (self, young, other or any)")
	}
	if f.Skill != "" && f.Skill != "any" && !Audience(f.Skill).Valid() {
		return Errorf(CodeInvalid, "skill must be self, young, other or any")
	}
	return CheckText(f.Note, MaxNoteChars, true)
}

func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type.String())
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("invalid JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return "empty frame"
	default:
		return truncate(err.Error(), 120)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// serverFrame is every field a server frame may carry (PROTOCOL.md §3.4).
type serverFrame struct {
	Type           string              `json:"type"`
	Role           Role                `json:"role,omitempty"`
	Conversations  *[]ConversationView `json:"conversations,omitempty"`
	Staff          *StaffView          `json:"staff,omitempty"`
	Conversation   *ConversationView   `json:"conversation,omitempty"`
	ConversationID string              `json:"conversation_id,omitempty"`
	Seq            int64               `json:"seq,omitempty"`
	LastSeq        *int64              `json:"last_seq,omitempty"`
	Sender         Sender              `json:"sender,omitempty"`
	Kind           string              `json:"kind,omitempty"`
	Body           *string             `json:"body,omitempty"`
	Name           string              `json:"name,omitempty"`
	ClientID       string              `json:"client_id,omitempty"`
	SentAt         *time.Time          `json:"sent_at,omitempty"`
	Typing         *bool               `json:"typing,omitempty"`
	Waiting        *[]QueueEntry       `json:"waiting,omitempty"`
	WaitingTotal   *int                `json:"waiting_total,omitempty"`
	PageSize       *int                `json:"page_size,omitempty"` // queue: the most entries waiting holds
	ExpiresAt      *time.Time          `json:"expires_at,omitempty"`
	Wait           *Wait               `json:"wait,omitempty"`
	Team           *json.RawMessage    `json:"team,omitempty"`          // team: the listed members, already encoded
	TeamTotal      *int                `json:"team_total,omitempty"`    // team, team_changes: on shift in all
	TeamVersion    *int64              `json:"team_version,omitempty"`  // team, team_changes
	Entered        *[]json.RawMessage  `json:"entered,omitempty"`       // queue_changes: entries new or changed, whole
	Left           *[]string           `json:"left,omitempty"`          // queue_changes: ids no longer listed
	Order          *[]string           `json:"order,omitempty"`         // queue_changes: every listed id, when reordered
	QueueVersion   *int64              `json:"queue_version,omitempty"` // queue, queue_changes
	Added          *[]json.RawMessage  `json:"added,omitempty"`         // team_changes: whole members new to the list
	Changed        *[]json.RawMessage  `json:"changed,omitempty"`       // team_changes: id and changed fields of others
	Gone           *[]string           `json:"gone,omitempty"`          // team_changes: ids of members gone
	Member         *TeamMember         `json:"member,omitempty"`
	Reason         string              `json:"reason,omitempty"`
	Notes          *[]NoteView         `json:"notes,omitempty"`
	Code           Code                `json:"code,omitempty"`
	Message        string              `json:"message,omitempty"`
	Ref            string              `json:"ref,omitempty"`

	// encoded, when set, is this frame already marshalled: a frame sent to
	// many connections (queue, team) is encoded once, not once per socket.
	encoded []byte
	// encode, when set, gives the frame's JSON when it is written (the
	// team snapshot: see teamCast.snapshotFrame).
	encode func() ([]byte, error)
	// pooled: this frame and its encoded bytes are ackPool's, handed back
	// once written (see pooledAck).
	pooled bool
}

// preEncoded returns f with its JSON computed now, for broadcasting.
func preEncoded(f serverFrame) serverFrame {
	if b, err := json.Marshal(f); err == nil {
		f.encoded = b
	}
	return f
}

// The shapes frames carry are declared once, in package wire.
type (
	// ConversationView is the Conversation object of PROTOCOL.md §3.2.
	ConversationView = wire.Conversation
	// StaffView is a staff member as shown to themselves.
	StaffView = wire.Staff
	// QueueEntry is one waiting conversation as staff see it in the queue.
	QueueEntry = wire.QueueEntry
	// NoteView is a handover note as staff see it.
	NoteView = wire.Note
)

// View is the client's view of a conversation: no staff ids.
func (c Conversation) View() ConversationView {
	v := ConversationView{ID: c.ID, Status: string(c.Status), Audience: string(c.Audience), Language: c.Language, Region: c.Region,
		CounselorName: c.CounselorName, CreatedAt: c.CreatedAt, LastSeq: c.LastSeq, EndedBy: c.EndedBy}
	if c.CounselorID != 0 {
		v.CounselorID = strconv.FormatInt(c.CounselorID, 10)
	}
	return v
}

// View is how a staff account is shown on the wire.
func (s StaffInfo) View() StaffView {
	return StaffView{ID: strconv.FormatInt(s.ID, 10), Username: s.Username, DisplayName: s.DisplayName, Role: string(s.Role),
		Capacity: s.Capacity, MaxCapacity: s.MaxCapacity}
}

func messageFrame(m Message, forAuthor bool) serverFrame {
	body, sentAt := m.Body, m.SentAt
	f := serverFrame{Type: wire.FrameMessage, ConversationID: m.ConversationID, Seq: m.Seq, Sender: m.Sender, Kind: m.Kind,
		Body: &body, Name: m.Name, SentAt: &sentAt}
	if forAuthor {
		f.ClientID = m.ClientID
	}
	return f
}

func errorFrame(err error, ref string) serverFrame {
	return serverFrame{Type: wire.FrameError, Code: ErrorCode(err), Message: PublicMessage(err), Ref: ref}
}
