package routing

import (
	"fmt"
	"time"
)

// Hours is when the service is open, in its own time zone.
//
// Spans are wall-clock times on a local date, not elapsed time since midnight,
// so "09:00" means nine on the clock on the day the clocks change too. A span
// belongs to the day it starts; one that runs past midnight ("fri 20:00-02:00")
// has To beyond 24h. A holiday closes the spans that start on that date.
//
// The zero Hours is never open; use ParseHours("always", "", "") for a
// service that is.
type Hours struct {
	Location *time.Location          // nil means UTC
	Weekly   map[time.Weekday][]Span // by the weekday a span starts
	Holidays map[string]bool         // local dates, "2026-12-25"
}

// Span is one opening on a day: From is a wall-clock time in [0, 24h); To is
// after From, at most 24h later, and beyond 24h when it ends the next day.
type Span struct {
	From, To time.Duration
}

// nextOpenHorizon is how far NextOpen looks ahead.
const nextOpenHorizon = 14 * 24 * time.Hour

// Open reports whether the service is open at now.
func (h Hours) Open(now time.Time) bool {
	t := now.In(h.loc())
	y, m, d := t.Date()
	// A span from yesterday may still be running after midnight.
	for _, day := range []int{d - 1, d} {
		for _, s := range h.spansOn(y, m, day) {
			if !t.Before(s[0]) && t.Before(s[1]) {
				return true
			}
		}
	}
	return false
}

// NextOpen returns now if open, else when the service next opens within 14
// days; false if it does not.
func (h Hours) NextOpen(now time.Time) (time.Time, bool) {
	if h.Open(now) {
		return now, true
	}
	t := now.In(h.loc())
	y, m, d := t.Date()
	var best time.Time
	for day := d; day <= d+15; day++ {
		for _, s := range h.spansOn(y, m, day) {
			if s[0].After(now) && (best.IsZero() || s[0].Before(best)) {
				best = s[0]
			}
		}
		if !best.IsZero() {
			break // later days start later
		}
	}
	if best.IsZero() || best.Sub(now) > nextOpenHorizon {
		return time.Time{}, false
	}
	return best, true
}

// spansOn returns the start and end instants of the spans that start on the
// local date (y, m, d); d may be out of range and is normalised.
func (h Hours) spansOn(y int, m time.Month, d int) [][2]time.Time {
	// The calendar is worked out in UTC at noon, so no zone quirk (a missing
	// midnight) can move the date.
	noon := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	y, m, d = noon.Date()
	if h.Holidays[fmt.Sprintf("%04d-%02d-%02d", y, m, d)] {
		return nil
	}
	var out [][2]time.Time
	for _, s := range h.Weekly[noon.Weekday()] {
		out = append(out, [2]time.Time{h.wall(y, m, d, s.From), h.wall(y, m, d, s.To)})
	}
	return out
}

// wall is the instant the clock in h's zone shows off past midnight on the
// local date; time.Date normalises 26:00 to 02:00 the next day, by the clock.
func (h Hours) wall(y int, m time.Month, d int, off time.Duration) time.Time {
	return time.Date(y, m, d, 0, int(off/time.Minute), 0, 0, h.loc())
}

func (h Hours) loc() *time.Location {
	if h.Location == nil {
		return time.UTC
	}
	return h.Location
}
