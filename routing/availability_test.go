package routing

import (
	"testing"
	"time"
)

func TestAvailability(t *testing.T) {
	h := mustParseHours(t, "mon-fri 09:00-21:00", "UTC", "")
	open, closed := t0, t0.Add(10*time.Hour) // Monday 12:00 and 22:00
	tests := []struct {
		name                       string
		now                        time.Time
		waiting, maxQueue, onShift int
		want                       Closed
	}{
		{"open", open, 3, 10, 2, Accepting},
		{"no maximum", open, 500, 0, 2, Accepting},
		{"outside hours", closed, 0, 10, 2, ClosedHours},
		{"outside hours and nobody on shift: hours is the lasting reason", closed, 0, 10, 0, ClosedHours},
		{"nobody on shift", open, 0, 10, 0, ClosedNoCounselor},
		{"nobody on shift and queue full", open, 10, 10, 0, ClosedNoCounselor},
		{"queue full", open, 10, 10, 2, ClosedQueueFull},
		{"one place left", open, 9, 10, 2, Accepting},
	}
	for _, tt := range tests {
		if got := Availability(h, tt.now, tt.waiting, tt.maxQueue, tt.onShift); got != tt.want {
			t.Errorf("%s: Availability = %q, want %q", tt.name, got, tt.want)
		}
	}
}
