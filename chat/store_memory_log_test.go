package chat

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Every client id hashing alike is the worst case of the duplicate index:
// each lookup walks the whole chain. Nothing may be merged or lost for it.
func TestMsgLogNeverMergesCollidingClientIDs(t *testing.T) {
	var l msgLog
	const n, sameHash = 500, 42
	at := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	for i := range n {
		// The counsellor reuses the seeker's client ids: same id, other sender, other message.
		m := Message{Seq: int64(i + 1), Sender: SenderSeeker, Kind: KindText, ClientID: fmt.Sprintf("c%d", i/2),
			Body: fmt.Sprintf("body %d", i), SentAt: at}
		if i%2 == 1 {
			m.Sender, m.SenderID = SenderCounselor, 7
		}
		if seq := l.findHashed(m.Sender, m.ClientID, sameHash); seq != 0 {
			t.Fatalf("message %d (%s %s) taken for seq %d before it was stored", i+1, m.Sender, m.ClientID, seq)
		}
		l.addHashed(m, sameHash)
	}
	for i := range n {
		sender := SenderSeeker
		if i%2 == 1 {
			sender = SenderCounselor
		}
		if seq := l.findHashed(sender, fmt.Sprintf("c%d", i/2), sameHash); seq != int64(i+1) {
			t.Fatalf("%s c%d found as seq %d, want %d", sender, i/2, seq, i+1)
		}
	}
	if seq := l.findHashed(SenderSystem, "c0", sameHash); seq != 0 {
		t.Fatalf("a sender that never wrote c0 found it as seq %d", seq)
	}
}

// What goes in comes out, field for field, over any range, before and after
// the log is compacted: long bodies (multi-byte lengths), empty strings, a
// feature's kind, a sender chat does not know, times to the nanosecond.
func TestMsgLogReadsBackWhatItStored(t *testing.T) {
	const id = "5b7e3c1a-0000-4000-8000-000000000001"
	at := time.Date(2026, 12, 2, 15, 4, 5, 123456789, time.UTC)
	in := []Message{
		{Sender: SenderSystem, Kind: KindJoined, Name: "Ana", SentAt: at},
		{Sender: SenderSeeker, Kind: KindText, ClientID: NewID(), Body: "hola ¿me oyes? \u2028 ✓", SentAt: at.Add(time.Nanosecond)},
		{Sender: SenderCounselor, SenderID: 1 << 40, Name: "Ana", Kind: KindText, ClientID: "x", Body: strings.Repeat("b", 300), SentAt: at},
		{Sender: SenderCounselor, SenderID: 3, Name: "Ana", Kind: "referral_card", ClientID: "r1", Body: "a card", SentAt: at},
		{Sender: "robot", Kind: "beep", ClientID: "r1", Body: strings.Repeat("é", 20000), SentAt: at.Add(time.Hour)},
		{Sender: "", Kind: KindText, SentAt: time.Time{}},
		{Sender: SenderSystem, Kind: KindEnded, Body: EndedBySeeker, SentAt: at.Add(2 * time.Hour)},
	}
	var l msgLog
	for i := range in {
		in[i].ConversationID, in[i].Seq = id, int64(i+1)
		l.add(in[i])
	}
	check := func(when string) {
		t.Helper()
		for from := 0; from <= len(in); from++ {
			for to := from; to <= len(in); to++ {
				got := l.messages(id, from, to)
				if len(got) != to-from {
					t.Fatalf("%s: messages(%d, %d) returned %d", when, from, to, len(got))
				}
				for i, m := range got {
					if m != in[from+i] {
						t.Fatalf("%s: messages(%d, %d)[%d] = %+v, want %+v", when, from, to, i, m, in[from+i])
					}
				}
			}
		}
		if got := l.firstSentAt(kindJoined); got != at {
			t.Errorf("%s: first joined at %v, want %v", when, got, at)
		}
		if s, c := l.lastWrites(); s != at.Add(time.Nanosecond) || c != at {
			t.Errorf("%s: last writes %v, %v", when, s, c)
		}
		if seq := l.find("robot", "r1"); seq != 5 {
			t.Errorf("%s: robot's r1 found as seq %d, want 5", when, seq)
		}
	}
	check("appended")
	l.compact()
	check("compacted")
}

// A conversation's strings are kept in chunks, not one slice grown by
// doubling: storing them allocates about what is kept (a doubling slice
// allocated about twice that, copying it all each time), and every message
// reads back across the chunks' and record blocks' boundaries.
func TestMsgLogAllocatesAboutWhatItKeeps(t *testing.T) {
	const id, n = "5b7e3c1a-0000-4000-8000-000000000002", 1000
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	in := make([]Message, n)
	kept := 0
	for i := range in {
		in[i] = Message{ConversationID: id, Seq: int64(i + 1), Sender: SenderSeeker, Kind: KindText,
			ClientID: fmt.Sprintf("c%04d", i), Body: strings.Repeat("b", 150+i%100), SentAt: at.Add(time.Duration(i))}
		kept += stringSize(in[i].ClientID) + stringSize(in[i].Name) + stringSize(in[i].Body) + 40 // + its record
	}
	var l msgLog
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, m := range in {
		l.add(m)
	}
	runtime.ReadMemStats(&after)
	index := 4 * 2048 // the client id table: n seqs at most 3/4 full, doubling (int32 each)
	if got := int(after.TotalAlloc-before.TotalAlloc) - index; got > kept*13/10 {
		t.Errorf("storing %d messages allocated %d bytes besides the index; they keep %d (want at most 1.3 times)", n, got, kept)
	}
	got := l.messages(id, 0, n)
	for i := range got {
		if got[i] != in[i] {
			t.Fatalf("message %d read back as %+v, want %+v", i+1, got[i], in[i])
		}
	}
	for _, i := range []int{0, recBlock - 1, recBlock, n - 1} {
		if seq := l.find(SenderSeeker, in[i].ClientID); seq != int64(i+1) {
			t.Errorf("%s found as seq %d, want %d", in[i].ClientID, seq, i+1)
		}
		if m := l.messages(id, i, i+1); len(m) != 1 || m[0] != in[i] {
			t.Errorf("message %d alone read back as %+v", i+1, m)
		}
	}
}
