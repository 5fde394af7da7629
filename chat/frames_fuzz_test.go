package chat

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeClientFrame feeds arbitrary bytes to the WebSocket frame decoder.
// It must never panic, and every frame it accepts must satisfy PROTOCOL.md
// §3.3; every frame it refuses must be refused with a client-safe error.
// The seeds in testdata/fuzz/FuzzDecodeClientFrame run as a normal test.
func FuzzDecodeClientFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"auth","token":"eyJhbGciOiJIUzI1NiJ9.e30.x"}`,
		`{"type":"sync","conversation_id":"0b8e2c5a-3f4d-4e6a-9b1c-2d3e4f5a6b7c","after_seq":0}`,
		`{"type":"send","conversation_id":"c","client_id":"a-1_B","body":"hola"}`,
		`{"type":"typing","conversation_id":"c","typing":true}`,
		`{"type":"end","conversation_id":"c","reason":"left"}`,
		`{"type":"accept","conversation_id":"c"}`,
		`{"type":"ping"}`,
		`{"type":"watch","conversation_id":"c"}`,
		`{"type":"decline","conversation_id":"c"}`,
		`{"type":"status","status":"busy","capacity":4}`,
		`{"type":"transfer","conversation_id":"c","skill":"young","note":"le cuesta hablar de su hermano"}`,
		`{"type":"transfer","conversation_id":"c","to":"7","skill":"any"}`,
		`{"type":"send","conversation_id":"c","client_id":"x","body":"y","sender":"counselor","seq":9,"sent_at":"2000-01-01T00:00:00Z","role":"admin"}`,
		`{"type":"send","conversation_id":"c","client_id":"x","body":"\u0000"}`,
		`{"type":"send","conversation_id":"c","client_id":"x","body":" \t\n "}`,
		`{"type":"sync","conversation_id":"c","after_seq":-1}`,
		`{"TYPE":"ping"}`,
		`{"type":"ping"} {"type":"ping"}`,
		`null`,
		`[]`,
		"{\"type\":\"send\",\"conversation_id\":\"c\",\"client_id\":\"x\",\"body\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeClientFrame(data)
		if err != nil {
			fuzzCheckRefusal(t, data, fr, err)
			return
		}
		fuzzCheckAcceptedFrame(t, data, fr)
	})
}

// fuzzCheckRefusal: a refused frame gets a *Error the client may see, of code
// invalid, or not_found for a conversation id too long to exist.
func fuzzCheckRefusal(t *testing.T, data []byte, fr clientFrame, err error) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("refused %q with %T %v, want a *chat.Error", data, err, err)
	}
	switch e.Code {
	case CodeInvalid:
	case CodeNotFound:
		if len(fr.ConversationID) <= 64 {
			t.Fatalf("refused %q as not_found with a conversation_id of %d bytes", data, len(fr.ConversationID))
		}
	default:
		t.Fatalf("refused %q with code %q", data, e.Code)
	}
	if e.Message == "" {
		t.Fatalf("refused %q without a message", data)
	}
	if len(e.Message) > 300 {
		t.Fatalf("error message for %q is %d bytes long: it echoes too much of the frame", data, len(e.Message))
	}
}

// fuzzFrameFields are the JSON members a client frame may carry (matched as
// encoding/json matches them, case-insensitively).
var fuzzFrameFields = []string{"type", "token", "conversation_id", "after_seq", "client_id", "body", "typing", "reason",
	"sender", "seq", "sent_at", "role",
	// staff frames: status, transfer
	"status", "capacity", "to", "skill", "note"}

func fuzzCheckAcceptedFrame(t *testing.T, data []byte, fr clientFrame) {
	t.Helper()
	if !utf8.Valid(data) {
		t.Fatalf("accepted a frame that is not valid UTF-8: %q", data)
	}
	if !json.Valid(data) {
		t.Fatalf("accepted a frame that is not one JSON value: %q", data)
	}
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		t.Fatalf("accepted a frame that is not a JSON object: %q", data)
	}
	for _, key := range fuzzTopLevelKeys(t, data) {
		known := false
		for _, k := range fuzzFrameFields {
			if strings.EqualFold(key, k) {
				known = true
			}
		}
		if !known {
			t.Fatalf("accepted a frame with the unknown field %q: %q", key, data)
		}
	}
	needConversation := func() {
		if fr.ConversationID == "" || len(fr.ConversationID) > 64 {
			t.Fatalf("accepted %s with conversation_id %q", fr.Type, fr.ConversationID)
		}
	}
	switch fr.Type {
	case "auth":
		if fr.Token == "" || len(fr.Token) > 4096 {
			t.Fatalf("accepted auth with a token of %d bytes", len(fr.Token))
		}
	case "sync":
		needConversation()
		if fr.AfterSeq == nil || *fr.AfterSeq < 0 {
			t.Fatalf("accepted sync without a valid after_seq: %q", data)
		}
	case "send":
		needConversation()
		if fr.ClientID == "" || len(fr.ClientID) > 64 {
			t.Fatalf("accepted send with client_id of %d bytes", len(fr.ClientID))
		}
		for _, c := range []byte(fr.ClientID) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				t.Fatalf("accepted send with client_id %q", fr.ClientID)
			}
		}
		if !utf8.ValidString(fr.Body) {
			t.Fatalf("accepted a body that is not valid UTF-8: %q", fr.Body)
		}
		if strings.ContainsRune(fr.Body, 0) {
			t.Fatalf("accepted a body with NUL: %q", fr.Body)
		}
		if n := utf8.RuneCountInString(fr.Body); n < 1 || n > MaxBodyChars {
			t.Fatalf("accepted a body of %d characters", n)
		}
		if strings.TrimSpace(fr.Body) == "" {
			t.Fatalf("accepted a blank body %q", fr.Body)
		}
	case "typing", "accept":
		needConversation()
	case "end":
		needConversation()
		if fr.Reason != "" && fr.Reason != "left" {
			t.Fatalf("accepted end with reason %q", fr.Reason)
		}
	case "ping":
	case "status":
		if fr.Status != "available" && fr.Status != "busy" && fr.Status != "break" {
			t.Fatalf("accepted status %q", fr.Status)
		}
		if fr.Capacity != nil && (*fr.Capacity < 1 || *fr.Capacity > 50) {
			t.Fatalf("accepted capacity %d", *fr.Capacity)
		}
	case "decline", "watch":
		needConversation()
	case "transfer":
		needConversation()
		if (fr.To == "") == (fr.Skill == "") {
			t.Fatalf("accepted a transfer with to %q and skill %q: it needs exactly one", fr.To, fr.Skill)
		}
		switch fr.Skill {
		case "", "self", "young", "other", "any":
		default:
			t.Fatalf("accepted transfer skill %q", fr.Skill)
		}
		if !utf8.ValidString(fr.Note) || strings.ContainsRune(fr.Note, 0) || utf8.RuneCountInString(fr.Note) > 2000 {
			t.Fatalf("accepted a note of %d characters: %q", utf8.RuneCountInString(fr.Note), fr.Note)
		}
	default:
		t.Fatalf("accepted a frame of type %q: %q", fr.Type, data)
	}
}

// fuzzTopLevelKeys lists every member name of a JSON object, duplicates included.
func fuzzTopLevelKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("accepted %q, which does not start an object", data)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("accepted %q: %v", data, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("accepted %q: %v", data, err)
		}
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		t.Fatalf("accepted %q: %v", data, err)
	}
	return keys
}
