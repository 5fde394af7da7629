package chat

import (
	"reflect"
	"testing"
)

// quickFrames: frames quickDecode takes, and frames it must leave to the
// strict decoder (unknown, escaped or differently cased keys, data after
// the object, values of the wrong type, broken JSON).
var quickFrames = []struct {
	frame string
	quick bool
}{
	{`{"type":"send","conversation_id":"c","client_id":"a-1_B","body":"ho\"la \\ {[,]}"}`, true},
	{` {"type":"sync" , "conversation_id":"c","after_seq":42}` + "\n", true},
	{`{"type":"auth","token":"t","streams":["queue","team"],"observe":false}`, true},
	{`{"type":"status","status":"busy","capacity":4,"sender":{"a":[1,{"b":"}"}]},"seq":null}`, true},
	{`{}`, true},
	{`{"TYPE":"ping"}`, false},
	{`{"typ\u0065":"ping"}`, false},
	{`{"type":"ping","extra":1}`, false},
	{`{"type":"ping"} {"type":"ping"}`, false},
	{`{"type":"ping"}x`, false},
	{`{"type":1}`, false},
	{`{"type":"ping",}`, false},
	{`{"type":"ping"`, false},
	{`{"type":}`, false},
	{`null`, false},
	{`[]`, false},
	{``, false},
}

func TestQuickDecodeAgreesWithTheStrictDecoder(t *testing.T) {
	for _, tc := range quickFrames {
		var quick clientFrame
		if got := quickDecode([]byte(tc.frame), &quick); got != tc.quick {
			t.Errorf("%s: quick %v, want %v", tc.frame, got, tc.quick)
		}
		checkQuickAgrees(t, []byte(tc.frame))
	}
}

// checkQuickAgrees: a frame quickDecode takes is one the strict decoder
// takes too, decoded alike.
func checkQuickAgrees(t *testing.T, data []byte) {
	t.Helper()
	var quick, strict clientFrame
	if !quickDecode(data, &quick) {
		return
	}
	if err := decodeStrictly(data, &strict); err != nil {
		t.Fatalf("%q: decoded quickly, but the strict decoder says %v", data, err)
	}
	if !reflect.DeepEqual(quick, strict) {
		t.Fatalf("%q: quick %+v, strict %+v", data, quick, strict)
	}
}

func FuzzQuickDecode(f *testing.F) {
	for _, tc := range quickFrames {
		f.Add([]byte(tc.frame))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkQuickAgrees(t, data) })
}
