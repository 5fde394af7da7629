package routing

import (
	"fmt"
	"testing"
	"time"

	"helpline/chat"
)

// benchQueue builds a queue and a team like a busy night's: mostly Spanish
// and English seekers, one in ten a young person, counsellors speaking one
// or both languages, one in five trained for young people, half of them
// already full.
func benchQueue(waitingN, counselorsN int) ([]Waiting, []Counselor) {
	langs := []string{"es", "en", "es", "pt"}
	ws := make([]Waiting, waitingN)
	for i := range ws {
		aud := chat.AudienceSelf
		if i%10 == 0 {
			aud = chat.AudienceYoung
		}
		ws[i] = Waiting{ConversationID: fmt.Sprintf("c%06d", i), Audience: aud, Language: langs[i%len(langs)],
			QueuedAt: t0.Add(time.Duration(i) * time.Second)}
	}
	cs := make([]Counselor, counselorsN)
	for i := range cs {
		c := Counselor{ID: int64(i + 1), Status: StatusAvailable, Capacity: 20, Languages: []string{"es"},
			IdleSince: t0.Add(-time.Duration(i) * time.Second)}
		if i%2 == 0 {
			c.Languages = []string{"es", "en"}
			c.Active = 20 // full
		}
		if i%5 == 0 {
			c.Audiences = []chat.Audience{chat.AudienceSelf, chat.AudienceOther, chat.AudienceYoung}
		}
		cs[i] = c
	}
	return ws, cs
}

// BenchmarkChoose is the routing decision the leader makes every round:
// which waiting seeker to offer to which counsellor.
func BenchmarkChoose(b *testing.B) {
	for _, size := range []struct{ waiting, counselors int }{{1000, 100}, {8000, 500}} {
		b.Run(fmt.Sprintf("waiting=%d/counsellors=%d", size.waiting, size.counselors), func(b *testing.B) {
			ws, cs := benchQueue(size.waiting, size.counselors)
			b.ReportAllocs()
			var matches int
			for b.Loop() {
				matches = len(Choose(ws, cs, nil, t0))
			}
			if matches == 0 {
				b.Fatal("no offers made")
			}
			b.ReportMetric(float64(matches), "offers/round")
		})
	}
}
