package chat_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"helpline/chat"
)

// The messages the memory store holds cost the garbage collector next to
// nothing: a handful of pointer-free objects per conversation, not strings
// and index entries per message, so a collection's mark work does not grow
// with the messages stored. (Kept as separate objects per message, they
// were ~2.5 heap objects and ~320 bytes to scan per message.)
func TestMemoryStoreKeepsMessagesOutOfTheCollectorsWay(t *testing.T) {
	const convs, perConv = 1000, 25
	ctx := context.Background()
	s := chat.NewMemoryStore(nil)
	ids := make([]string, convs)
	for i := range ids {
		c, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}
	body := strings.Repeat("x", 200)
	before := heapNow()
	for range perConv {
		for _, id := range ids {
			a := seekerText(id, chat.NewID(), strings.Clone(body))
			if res := mustAppend(t, s, a)[0]; res.Err != nil || res.Duplicate {
				t.Fatalf("append: %+v", res)
			}
		}
	}
	after := heapNow()
	m := float64(convs * perConv)
	objects, scan := float64(after.objects-before.objects)/m, float64(after.scan-before.scan)/m
	if objects > 0.5 || scan > 32 {
		t.Errorf("per message stored: %.2f heap objects, %.1f bytes to scan; want at most 0.5 and 32", objects, scan)
	}
	runtime.KeepAlive(s)
}
