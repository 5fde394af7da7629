package chat

import (
	"fmt"
	"strconv"
	"time"
)

// SealedColumn is one column of ciphertext in the PostgreSQL schema: where it
// lives, which column names the key that sealed each row, and how a row's
// additional data (AAD) is rebuilt, so that key rotation, `helpline keys
// status`, the tests and the README all work from the same list.
type SealedColumn struct {
	Table string
	// IDColumns are the table's primary key: rotation pages through the
	// table in their order and updates one row at a time by them.
	IDColumns  []string
	KeyColumn  string // the id of the key that sealed the row
	DataColumn string // nonce || AES-256-GCM ciphertext
	// AADColumns are read for each row into the destinations newAAD
	// returns; its build function then gives the same AAD bytes the code
	// that wrote the row sealed it with.
	AADColumns []string
	newAAD     func() (dest []any, build func() []byte)
}

// Label is how status and errors name the column: its table ("notes"), or
// table.column once a table holds more than one sealed column.
func (c SealedColumn) Label() string {
	for _, other := range SealedColumns {
		if other.Table == c.Table && other.DataColumn != c.DataColumn {
			return c.Table + "." + c.DataColumn
		}
	}
	return c.Table
}

// SealedColumns is every sealed column there is. A migration that adds one
// adds it here too: TestEveryCiphertextColumnIsListed fails until it does,
// and TestREADMENamesEverySealedColumn until the README names it.
var SealedColumns = []SealedColumn{
	{
		Table: "messages", IDColumns: []string{"conversation_id", "seq"},
		KeyColumn: "key_id", DataColumn: "body",
		AADColumns: []string{"conversation_id", "seq"},
		newAAD: func() ([]any, func() []byte) {
			var conversationID string
			var seq int64
			return []any{&conversationID, &seq}, func() []byte { return messageAAD(conversationID, seq) }
		},
	},
	{
		Table: "notes", IDColumns: []string{"id"},
		KeyColumn: "key_id", DataColumn: "body",
		AADColumns: []string{"conversation_id", "staff_id", "created_at"},
		newAAD: func() ([]any, func() []byte) {
			var conversationID string
			var staffID int64
			var at time.Time
			return []any{&conversationID, &staffID, &at}, func() []byte { return noteAAD(conversationID, staffID, at) }
		},
	},
	// The warm-referral outbox (routing/referral): a partner's signing
	// secrets, and each referral's payload, bound to their row's id.
	idSealed("referral_partners", "secrets", "partner"),
	idSealed("referral_deliveries", "body", "referral"),
	// Risk flags (chat/riskflag): the words of a seeker message that
	// matched a phrase list.
	idSealed("risk_flags", "matched", "riskflag"),
	// Private case notes (counselors/casenotes), bound to their row's id.
	idSealed("case_notes", "body", "casenote"),
	// Escalation notes (routing/escalation), bound to their row's id.
	idSealed("escalation_notes", "body", "escalation_note"),
	// Supervisors' whispers to a conversation's counsellor (chat/oversight).
	idSealed("whispers", "body", "whisper"),
	// Seekers' anonymous feedback comments (counselors/feedback), bound to
	// their row's random id.
	idSealed("feedback_comments", "body", "feedback"),
}

// idSealed is a sealed column of a table whose text primary key "id" alone
// binds each row's ciphertext (IDAAD(kind, id)).
func idSealed(table, dataColumn, kind string) SealedColumn {
	return SealedColumn{
		Table: table, IDColumns: []string{"id"},
		KeyColumn: "key_id", DataColumn: dataColumn,
		AADColumns: []string{"id"},
		newAAD: func() ([]any, func() []byte) {
			var id string
			return []any{&id}, func() []byte { return IDAAD(kind, id) }
		},
	}
}

// IDAAD binds a sealed value to the kind and id of the row that holds it, for
// tables sealed by id alone (see SealedColumns).
func IDAAD(kind, id string) []byte { return []byte(kind + ":" + id) }

// messageAAD binds a message body to its conversation and sequence number.
// Built by hand ("msg:<id>:<seq>"): it is made for every message stored
// and read, and fmt boxed both arguments on the heap.
func messageAAD(conversationID string, seq int64) []byte {
	return appendMessageAAD(make([]byte, 0, len("msg:")+len(conversationID)+1+20), conversationID, seq)
}

// appendMessageAAD is messageAAD appended to b.
func appendMessageAAD(b []byte, conversationID string, seq int64) []byte {
	b = append(append(append(b, "msg:"...), conversationID...), ':')
	return strconv.AppendInt(b, seq, 10)
}

// noteAAD binds a handover note to its conversation, author and time.
func noteAAD(conversationID string, staffID int64, at time.Time) []byte {
	return fmt.Appendf(nil, "note:%s:%d:%d", conversationID, staffID, at.UnixMicro())
}
