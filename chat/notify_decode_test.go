package chat

import "testing"

func TestStoreNotificationDecodesEveryConversation(t *testing.T) {
	a, b := "0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64", "1c8e7b41-2d0e-4c6d-8b44-1e0b7d0a6953"
	cases := []struct {
		payload string
		want    []Event
	}{
		{a + ":5", []Event{{Type: EventMessages, ConversationID: a, Seq: 5}}},
		{a + ":5:w1", []Event{{Type: EventMessages, ConversationID: a, Seq: 5, Writer: "w1"}}},
		{a + ":5," + b + ":9:w1", []Event{{Type: EventMessages, ConversationID: a, Seq: 5, Writer: "w1"},
			{Type: EventMessages, ConversationID: b, Seq: 9, Writer: "w1"}}},
		{a + ":5:w1," + b + ":9:w1", nil}, // a writer is named once, at the end
		{a + ":5,nope:9:w1", nil},
		{a + ":x," + b + ":9", nil},
		{a + ":5,", nil},
		{"", nil},
	}
	for _, c := range cases {
		got, ok := decodeNotification(true, c.payload)
		if ok != (c.want != nil) || len(got) != len(c.want) {
			t.Fatalf("%q: %+v, %v; want %+v", c.payload, got, ok, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("%q: event %d = %+v, want %+v", c.payload, i, got[i], c.want[i])
			}
		}
	}
}

// Bodies already stored are sealed bound to exactly these bytes.
func TestMessageAADIsUnchanged(t *testing.T) {
	for _, c := range []struct {
		id   string
		seq  int64
		want string
	}{
		{"0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64", 1, "msg:0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64:1"},
		{"c", 9223372036854775807, "msg:c:9223372036854775807"},
		{"", 0, "msg::0"},
	} {
		if got := string(messageAAD(c.id, c.seq)); got != c.want {
			t.Fatalf("messageAAD(%q, %d) = %q, want %q", c.id, c.seq, got, c.want)
		}
	}
}
