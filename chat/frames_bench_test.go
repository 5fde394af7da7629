package chat

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Hot path benchmarks for the wire format: every frame a client sends is
// decoded by decodeClientFrame, and every stored message is encoded once per
// receiving connection. BENCHMARKS.md has the figures.

var benchBody = strings.Repeat("¿Hola? Necesito hablar con alguien. ", 6)[:200] // a typical ~200-byte message

func BenchmarkDecodeClientFrame(b *testing.B) {
	frames := map[string][]byte{
		"send": []byte(`{"type":"send","conversation_id":"6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2b","client_id":"c0b5a3f2-9d8e-4f7a-b6c5-d4e3f2a1b0c9","body":` +
			mustJSON(benchBody) + `}`),
		"sync": []byte(`{"type":"sync","conversation_id":"6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2b","after_seq":42}`),
		"ping": []byte(`{"type":"ping"}`),
	}
	for _, name := range []string{"send", "sync", "ping"} {
		data := frames[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := decodeClientFrame(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeMessageFrame: other_side and author are the writer's way
// (appendMessageFrame into a reused buffer); the marshal_ ones are
// json.Marshal of the same frame, the way before and the fallback.
func BenchmarkEncodeMessageFrame(b *testing.B) {
	m := Message{ConversationID: "6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2b", Seq: 42, Sender: SenderSeeker, Kind: KindText,
		Body: benchBody, ClientID: "c0b5a3f2-9d8e-4f7a-b6c5-d4e3f2a1b0c9", SentAt: time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)}
	for _, marshal := range []bool{false, true} {
		for _, forAuthor := range []bool{false, true} {
			name := "other_side"
			if forAuthor {
				name = "author"
			}
			if marshal {
				name = "marshal_" + name
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				var n int
				buf := make([]byte, 0, 1024)
				for b.Loop() {
					var data []byte
					if marshal {
						var err error
						if data, err = json.Marshal(messageFrame(m, forAuthor)); err != nil {
							b.Fatal(err)
						}
					} else {
						data, _ = appendMessageFrame(buf[:0], m, forAuthor)
					}
					n = len(data)
				}
				b.SetBytes(int64(n))
			})
		}
	}
}

func mustJSON(s string) string {
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(data)
}
