package chat

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// flatFrames: frames flatDecode reads itself, and frames it must leave to
// json.Unmarshal (or, past that, to the strict decoder).
var flatFrames = []struct {
	frame string
	flat  bool
}{
	{`{"type":"send","conversation_id":"6f1c2a9e","client_id":"a-1_B","body":"¿hola? ünïcode ✓"}`, true},
	{` { "type" : "sync" ,"conversation_id":"c", "after_seq":42 }` + "\r\n\t", true},
	{`{"type":"sync","conversation_id":"c","after_seq":-0}`, true},
	{`{"type":"sync","after_seq":9223372036854775807}`, true},
	{`{"type":"sync","after_seq":-9223372036854775808}`, true},
	{`{"type":"typing","conversation_id":"c","typing":true}`, true},
	{`{"type":"typing","typing":true,"typing":false}`, true},
	{`{"type":"status","status":"busy","capacity":4}`, true},
	{`{"type":"auth","token":"t","observe":true}`, true},
	{`{"type":"transfer","conversation_id":"c","to":"7","skill":"any","note":"n","reason":"r"}`, true},
	{`{"type":"nonesuch"}`, true},
	{`{"type":"ping"}`, true},
	{`{}`, true},
	{`{"type":"send","body":"a\"b"}`, false},             // an escape
	{`{"type":"send","body":"a` + "\x01" + `b"}`, false}, // a control character: not JSON
	{`{"type":"send","body":"` + "\xff" + `"}`, false},   // not UTF-8: Unmarshal replaces it
	{`{"type":"send","body":null}`, false},
	{`{"type":"sync","after_seq":1.0}`, false},
	{`{"type":"sync","after_seq":1e3}`, false},
	{`{"type":"sync","after_seq":01}`, false},
	{`{"type":"sync","after_seq":+1}`, false},
	{`{"type":"sync","after_seq":-}`, false},
	{`{"type":"sync","after_seq":9223372036854775808}`, false},
	{`{"type":"sync","after_seq":"1"}`, false},
	{`{"type":"typing","typing":"true"}`, false},
	{`{"type":"typing","typing":truex}`, false},
	{`{"type":"auth","token":"t","streams":["queue"]}`, false},
	{`{"type":"send","seq":1}`, false},
	{`{"TYPE":"ping"}`, false},
	{`{"type":"ping","extra":1}`, false},
	{`{"type":"ping"} {"type":"ping"}`, false},
	{`{"type":"ping"}x`, false},
	{`{"type":"ping",}`, false},
	{`{"type":"ping"`, false},
	{`{"type":}`, false},
	{`{"type" "ping"}`, false},
	{`{,}`, false},
	{`null`, false},
	{``, false},
}

func TestFlatDecodeIsUnmarshal(t *testing.T) {
	for _, tc := range flatFrames {
		var f clientFrame
		if got := flatDecode([]byte(tc.frame), &f); got != tc.flat {
			t.Errorf("%q: flat %v, want %v", tc.frame, got, tc.flat)
		}
		checkFlatAgrees(t, []byte(tc.frame))
		checkQuickAgrees(t, []byte(tc.frame))
	}
}

// checkFlatAgrees: a frame flatDecode reads is one json.Unmarshal reads
// alike, with no key it would match by case alone (onlyKnownKeys).
func checkFlatAgrees(t *testing.T, data []byte) {
	t.Helper()
	var flat, unmarshalled clientFrame
	if !flatDecode(data, &flat) {
		return
	}
	if !onlyKnownKeys(data) {
		t.Fatalf("%q: decoded flat, but has a key clientFrame lacks", data)
	}
	if err := json.Unmarshal(data, &unmarshalled); err != nil {
		t.Fatalf("%q: decoded flat, but json.Unmarshal says %v", data, err)
	}
	if !reflect.DeepEqual(flat, unmarshalled) {
		t.Fatalf("%q: flat %+v, json.Unmarshal %+v", data, flat, unmarshalled)
	}
}

func FuzzFlatDecode(f *testing.F) {
	for _, tc := range flatFrames {
		f.Add([]byte(tc.frame))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFlatAgrees(t, data)
		checkQuickAgrees(t, data)
	})
}

func TestClientFrameTypesAreTheRules(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(clientFrameTypes)), slices.Sorted(maps.Keys(clientFrames)); !slices.Equal(got, want) {
		t.Fatalf("clientFrameTypes %v, want the types of clientFrames %v", got, want)
	}
}

// TestCommonFramesDecodeWithoutGarbage: a send allocates its three
// strings and nothing else; a ping nothing at all.
func TestCommonFramesDecodeWithoutGarbage(t *testing.T) {
	for _, tc := range []struct {
		frame string
		max   float64
	}{
		{`{"type":"send","conversation_id":"6f1c2a9e","client_id":"a-1_B","body":"hola"}`, 3},
		{`{"type":"sync","conversation_id":"c","after_seq":42}`, 2},
		{`{"type":"ping"}`, 0},
	} {
		data := []byte(tc.frame)
		if n := testing.AllocsPerRun(100, func() { decodeClientFrame(data) }); n > tc.max {
			t.Errorf("%s: %v allocations, want at most %v", tc.frame, n, tc.max)
		}
	}
}
