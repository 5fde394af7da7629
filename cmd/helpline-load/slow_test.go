package main

import (
	"testing"
	"time"
)

func TestSlowSendsNameTheWindowsTheTailCameFrom(t *testing.T) {
	start := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(offset time.Duration) int64 { return start.Add(offset).UnixNano() }
	var s slowSends
	s.add(at(100*time.Millisecond), 9*time.Millisecond) // under the threshold: not kept
	for i := range 3 {
		s.add(at(2*time.Second+time.Duration(i)*time.Millisecond), time.Duration(20+i)*time.Millisecond)
	}
	s.add(at(5*time.Second+10*time.Millisecond), 150*time.Millisecond)
	s.add(at(5*time.Second+240*time.Millisecond), 11*time.Millisecond)
	s.add(at(7*time.Second), 12*time.Millisecond)

	got := s.worst(start, 2)
	want := []SlowWindow{
		{At: "2026-12-03T12:00:02Z", OffsetS: 2, Slow: 3, MaxMS: 22},
		{At: "2026-12-03T12:00:05Z", OffsetS: 5, Slow: 2, MaxMS: 150},
	}
	if len(got) != len(want) {
		t.Fatalf("worst(2) = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("window %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if all := s.worst(start, 10); len(all) != 3 {
		t.Errorf("worst(10) = %d windows, want the 3 that hold slow deliveries: %+v", len(all), all)
	}
	var empty slowSends
	if w := empty.worst(start, 5); len(w) != 0 {
		t.Errorf("no slow deliveries: worst = %+v, want none", w)
	}
}
