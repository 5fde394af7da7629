package chat

import (
	"bytes"
	"testing"
	"time"

	"helpline/chat/wire"
)

// A pooled ack has ackBytes's bytes, also when its frame and buffer served
// a longer ack before; queued and written, it costs nothing.
func TestPooledAckIsAckBytesAndReused(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	long := "6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2b"
	for _, tc := range []struct {
		conv, client string
		seq          int64
	}{{long, long, 1 << 40}, {"c", "k", 1}, {long, "x<y>&", 7}} {
		f, ok := pooledAck(tc.conv, tc.client, tc.seq, at)
		if !ok {
			t.Fatal("no pooled ack for a UTC time")
		}
		if want := ackBytes(tc.conv, tc.client, tc.seq, at); f.Type != wire.FrameAck || !bytes.Equal(f.encoded, want) {
			t.Fatalf("pooled ack %q %s, want %s", f.Type, f.encoded, want)
		}
		got, err := encodeFrame(*f)
		if err != nil || !bytes.Equal(got, f.encoded) {
			t.Fatalf("written as %s, %v", got, err)
		}
		release(f)
	}
	if _, ok := pooledAck("c", "k", 1, at.In(time.FixedZone("x", 3600))); ok {
		t.Error("a pooled ack for a time json.Marshal writes with an offset")
	}
	if raceEnabled {
		return // sync.Pool drops frames at random under the race detector
	}
	if n := testing.AllocsPerRun(100, func() {
		f, _ := pooledAck(long, long, 1<<40, at)
		release(f)
	}); n != 0 {
		t.Errorf("%v allocations a pooled ack, want 0", n)
	}
}
