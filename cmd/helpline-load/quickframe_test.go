package main

import (
	"encoding/json"
	"reflect"
	"testing"

	"helpline/chat/chatclient"
)

// quickFrame reads message and ack frames as encoding/json does, in the
// fields the generator uses, and leaves everything else to encoding/json.
func TestQuickFrameReadsWhatEncodingJSONReads(t *testing.T) {
	const id = "5b7e3c1a-0000-4000-8000-000000000003"
	sides := map[string]*side{id: {conv: &conversation{id: id}}}
	decoded := []string{
		`{"type":"message","conversation_id":"` + id + `","seq":17,"sender":"counselor","kind":"text","body":"3 1 4 1700000000000000000 xxxxxxxx","name":"Ana","sent_at":"2026-12-03T14:00:00.123456789Z"}`,
		`{"type":"message","conversation_id":"` + id + `","seq":18,"sender":"seeker","kind":"text","body":"mine","client_id":"3-0-4","sent_at":"2026-12-03T14:00:00Z"}`,
		`{"type":"message","conversation_id":"` + id + `","seq":1,"sender":"system","kind":"joined","name":"Ana","sent_at":"2026-12-03T14:00:00Z"}`,
		`{"type":"message","conversation_id":"another","seq":2,"sender":"robot","kind":"referral_card","body":"","sent_at":"2026-12-03T14:00:00Z"}`,
		`{"type":"ack","conversation_id":"` + id + `","seq":19,"client_id":"3-0-5","sent_at":"2026-12-03T14:00:00Z"}`,
	}
	for _, frame := range decoded {
		var quick, want chatclient.Frame
		quick.Name = "left over from the frame before"
		if !quickFrame([]byte(frame), &quick, sides) {
			t.Errorf("quickFrame refused %s", frame)
			continue
		}
		if err := json.Unmarshal([]byte(frame), &want); err != nil {
			t.Fatal(err)
		}
		// What the generator reads of each type; the rest it never looks at.
		want.Name, want.SentAt = "", quick.SentAt // zero: not read
		if want.Type == "message" {
			want.ClientID = ""
		}
		if !reflect.DeepEqual(quick, chatclient.Frame{Type: want.Type, ConversationID: want.ConversationID, Seq: want.Seq,
			Sender: want.Sender, Kind: want.Kind, Body: want.Body, ClientID: want.ClientID, SentAt: want.SentAt}) {
			t.Errorf("quickFrame(%s) = %+v, want %+v", frame, quick, want)
		}
	}
	refused := []string{
		`{"type":"message","conversation_id":"` + id + `","seq":3,"sender":"seeker","kind":"text","body":"a \"quoted\" word"}`,
		`{"type":"message","conversation_id":"` + id + `","seq":3,"sender":"seeker","kind":"text","body":"\u003cb\u003e"}`,
		`{"conversation_id":"` + id + `","type":"ack","seq":3,"client_id":"x"}`,
		`{"type":"ack","conversation_id":"` + id + `","seq":-3,"client_id":"x"}`,
		`{"type":"ack","conversation_id":"` + id + `","seq":"3","client_id":"x"}`,
		`{"type":"ack","conversation_id":"` + id + `","seq":3,"client_id":"x","extra":true}`,
		`{"type":"ack","conversation_id":"` + id + `","seq":3,"client_id":"x"} `,
		`{"type":"ack","conversation_id":"` + id + `","seq":3,"client_id":"x"`,
		`{"type":"synced","conversation_id":"` + id + `","last_seq":3}`,
		`{"type":"error","code":"invalid","message":"no","ref":"x"}`,
		``,
	}
	for _, frame := range refused {
		var f chatclient.Frame
		if quickFrame([]byte(frame), &f, sides) {
			t.Errorf("quickFrame took %s as %+v; encoding/json should decode it", frame, f)
		}
	}
}

// The conversation id of a conversation the client is in is the client's
// own string, not a copy per frame.
func TestQuickFrameReusesKnownConversationIDs(t *testing.T) {
	const id = "5b7e3c1a-0000-4000-8000-000000000004"
	sides := map[string]*side{id: {conv: &conversation{id: id}}}
	frame := []byte(`{"type":"ack","conversation_id":"` + id + `","seq":19,"client_id":"3-0-5","sent_at":"2026-12-03T14:00:00Z"}`)
	var f chatclient.Frame
	if n := testing.AllocsPerRun(100, func() { quickFrame(frame, &f, sides) }); n > 1 {
		t.Errorf("an ack took %.0f allocations; want 1 (its client id)", n)
	}
	if f.ConversationID != id || f.ClientID != "3-0-5" || f.Seq != 19 {
		t.Errorf("ack read as %+v", f)
	}
}
