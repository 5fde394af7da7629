package chat

import (
	"testing"
	"unsafe"
)

// A frame's conversation id is replaced by the connection's own copy, so
// that a stored message keeps no copy of its own.
func TestFramesShareTheConnectionsConversationID(t *testing.T) {
	seeker := &Conn{principal: Principal{Role: RoleSeeker, ConversationID: "6f1c2a9e"}, convs: map[string]bool{"6f1c2a9e": true}}
	staff := &Conn{principal: Principal{Role: RoleCounselor, StaffID: 1}, convs: map[string]bool{"a1": true, "b2": true}}
	for _, tc := range []struct {
		c    *Conn
		id   string
		same bool
	}{{seeker, "6f1c2a9e", true}, {staff, "b2", true}, {staff, "c3", false}, {seeker, "", false}} {
		decoded := string([]byte(tc.id)) // a string of its own, as decoding makes
		got := tc.c.sameID(decoded)
		if got != tc.id {
			t.Fatalf("sameID(%q) = %q", tc.id, got)
		}
		if shared := unsafe.StringData(got) != unsafe.StringData(decoded); shared != tc.same && tc.id != "" {
			t.Errorf("sameID(%q): the connection's copy %v, want %v", tc.id, shared, tc.same)
		}
	}
}
