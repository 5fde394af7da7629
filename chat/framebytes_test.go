package chat

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"helpline/chat/wire"
)

// frameTexts are strings encoding/json escapes in every way it has: quotes
// and backslashes, short and \u00XX control escapes, HTML characters,
// DEL, invalid UTF-8, U+2028/U+2029 and runes of every width.
var frameTexts = []string{
	"", "hola", benchBody, `"quoted" \back\slash/`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<script>&amp;</script>",
	"\xff\xfe bad \xc3 utf8 \xe2\x82", "line\u2028para\u2029end", "ñ ü € 𝄞 中文 🙂", strings.Repeat("é<", 300),
	string([]byte{0xed, 0xa0, 0x80}), // a surrogate, invalid in UTF-8
}

func TestFrameBytesAreMarshals(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 12, 0, 0, 120000000, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), {},
		time.Date(2026, 3, 1, 12, 0, 0, 5, time.FixedZone("UTC", 0)), // as a database driver may hand it back
	}
	for i, text := range frameTexts {
		m := Message{ConversationID: "6f1c2a9e-" + text, Seq: int64(i), Sender: SenderCounselor, SenderID: 7, Kind: KindText,
			Body: text, Name: text, ClientID: "c-" + text, SentAt: times[i%len(times)]}
		for _, forAuthor := range []bool{false, true} {
			checkMessageBytes(t, m, forAuthor)
		}
		checkAckBytes(t, m)
		m.Name, m.Kind, m.Sender, m.ConversationID, m.ClientID = "", "", "", "", "" // omitted when empty
		checkMessageBytes(t, m, true)
		checkAckBytes(t, m)
	}
}

func checkMessageBytes(t *testing.T, m Message, forAuthor bool) {
	t.Helper()
	want, err := json.Marshal(messageFrame(m, forAuthor))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := appendMessageFrame(nil, m, forAuthor)
	if !ok || !bytes.Equal(got, want) {
		t.Errorf("message frame (author %v, ok %v):\n got %s\nwant %s", forAuthor, ok, got, want)
	}
}

func checkAckBytes(t *testing.T, m Message) {
	t.Helper()
	sentAt := m.SentAt
	want, err := json.Marshal(serverFrame{Type: wire.FrameAck, ConversationID: m.ConversationID, ClientID: m.ClientID, Seq: m.Seq, SentAt: &sentAt})
	if err != nil {
		t.Fatal(err)
	}
	if got := ackBytes(m.ConversationID, m.ClientID, m.Seq, m.SentAt); !bytes.Equal(got, want) {
		t.Errorf("ack frame:\n got %s\nwant %s", got, want)
	}
}

// Times json.Marshal writes another way (an offset) or refuses (year
// 10000) are left to it.
func TestFrameBytesLeaveOddTimesToMarshal(t *testing.T) {
	for _, at := range []time.Time{time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("x", 3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, ok := appendMessageFrame(nil, Message{Body: "x", SentAt: at}, false); ok {
			t.Errorf("%v written by hand", at)
		}
		if b := ackBytes("c", "k", 1, at); b != nil {
			t.Errorf("ack at %v written by hand: %s", at, b)
		}
	}
}

func FuzzMessageFrameBytes(f *testing.F) {
	for _, s := range frameTexts {
		f.Add(s, s, int64(len(s)), int64(1772366400123456789))
	}
	f.Fuzz(func(t *testing.T, body, name string, seq, nanos int64) {
		m := Message{ConversationID: name, Seq: seq, Sender: SenderSeeker, Kind: KindText, Body: body, Name: name,
			ClientID: body, SentAt: time.Unix(0, nanos).UTC()}
		if !utf8.ValidString(body) && len(body) > 0 {
			m.Kind = body // invalid UTF-8 in every field too
		}
		for _, forAuthor := range []bool{false, true} {
			want, err := json.Marshal(messageFrame(m, forAuthor))
			got, ok := appendMessageFrame(nil, m, forAuthor)
			if err != nil || !ok {
				if ok {
					t.Fatalf("written by hand although Marshal refuses: %v", err)
				}
				continue
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("\n got %s\nwant %s", got, want)
			}
		}
	})
}

// An ack is one allocation: its buffer is made big enough at once.
func TestAckBytesAllocatesOnce(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	id := "6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2b"
	if n := testing.AllocsPerRun(100, func() { ackBytes(id, id, 1<<40, at) }); n != 1 {
		t.Errorf("%v allocations an ack, want 1", n)
	}
}
