package wire

import (
	"encoding/json"
	"testing"
)

type testEscalation struct {
	ConversationID string `json:"conversation_id"`
	Level          int    `json:"level"`
}

func (testEscalation) FrameType() string { return "escalation" }

type testEmpty struct{}

func (testEmpty) FrameType() string { return "nudge" }

func TestEncodePutsTheTypeBesideThePayloadsFields(t *testing.T) {
	b, err := Encode(testEscalation{ConversationID: "c1", Level: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"type":"escalation","conversation_id":"c1","level":2}`; got != want {
		t.Fatalf("encoded %s, want %s", got, want)
	}
	var f Frame
	if err := json.Unmarshal(b, &f); err != nil || f.Type != "escalation" || f.ConversationID != "c1" {
		t.Fatalf("as a Frame: %+v, %v", f, err)
	}
	f.Raw = b
	var back testEscalation
	if err := f.As(&back); err != nil || back.Level != 2 {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	if err := f.As(&testEmpty{}); err == nil {
		t.Fatal("a frame decoded as a payload of another type")
	}
}

func TestEncodeOfAPayloadWithNoFields(t *testing.T) {
	b, err := Encode(testEmpty{})
	if err != nil || string(b) != `{"type":"nudge"}` {
		t.Fatalf("encoded %s, %v", b, err)
	}
	if !json.Valid(b) {
		t.Fatal("not JSON")
	}
}

type testNotObject []int

func (testNotObject) FrameType() string { return "list" }

func TestEncodeRefusesAPayloadThatIsNoObject(t *testing.T) {
	if _, err := Encode(testNotObject{1}); err == nil {
		t.Fatal("a JSON array was accepted as a frame")
	}
}
