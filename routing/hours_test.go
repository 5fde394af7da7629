package routing

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Europe/Madrid wherever they run
)

// local is a wall-clock time in loc.
func local(loc *time.Location, date string, hh, mm int) time.Time {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
}

func TestHoursOpen(t *testing.T) {
	madrid := mustLocation(t, "Europe/Madrid")
	week := mustParseHours(t, "mon-fri 09:00-21:00; sat 10:00-14:00", "Europe/Madrid", "2026-12-25")
	overnight := mustParseHours(t, "fri 20:00-02:00", "Europe/Madrid", "")
	overnightSatHoliday := mustParseHours(t, "fri 20:00-02:00", "Europe/Madrid", "2026-03-07")
	overnightFriHoliday := mustParseHours(t, "fri 20:00-02:00", "Europe/Madrid", "2026-03-06")
	always := mustParseHours(t, "always", "Europe/Madrid", "2026-12-25")
	daily := mustParseHours(t, "daily 09:00-21:00", "Europe/Madrid", "")
	lateSat := mustParseHours(t, "sat 22:00-04:00", "Europe/Madrid", "")

	tests := []struct {
		name string
		h    Hours
		now  time.Time
		want bool
	}{
		{"Monday just before opening", week, local(madrid, "2026-03-02", 8, 59), false},
		{"Monday at opening", week, local(madrid, "2026-03-02", 9, 0), true},
		{"Monday just before closing", week, local(madrid, "2026-03-02", 20, 59), true},
		{"Monday at closing", week, local(madrid, "2026-03-02", 21, 0), false},
		{"Saturday morning", week, local(madrid, "2026-03-07", 10, 30), true},
		{"Saturday afternoon", week, local(madrid, "2026-03-07", 15, 0), false},
		{"Sunday", week, local(madrid, "2026-03-08", 12, 0), false},
		{"Christmas, a Friday holiday", week, local(madrid, "2026-12-25", 12, 0), false},
		{"Christmas Eve", week, local(madrid, "2026-12-24", 12, 0), true},
		{"same instant seen from another zone", week, local(madrid, "2026-03-02", 9, 0).UTC(), true},

		{"overnight: Friday late", overnight, local(madrid, "2026-03-06", 23, 0), true},
		{"overnight: Saturday small hours", overnight, local(madrid, "2026-03-07", 1, 59), true},
		{"overnight: Saturday at close", overnight, local(madrid, "2026-03-07", 2, 0), false},
		{"overnight: Thursday late", overnight, local(madrid, "2026-03-05", 23, 0), false},
		{"overnight: holiday on Saturday does not cut Friday's span", overnightSatHoliday, local(madrid, "2026-03-07", 1, 0), true},
		{"overnight: holiday on Friday closes the whole span", overnightFriHoliday, local(madrid, "2026-03-07", 1, 0), false},

		{"always", always, local(madrid, "2026-03-08", 3, 0), true},
		{"always, but not on a holiday", always, local(madrid, "2026-12-25", 3, 0), false},

		// 29 March 2026: Madrid's clocks go from 02:00 to 03:00. 09:00 on the
		// clock is 07:00 UTC, not nine hours after midnight (08:00 UTC).
		{"spring forward: 06:30 UTC is 08:30 local", daily, time.Date(2026, 3, 29, 6, 30, 0, 0, time.UTC), false},
		{"spring forward: 07:00 UTC is 09:00 local", daily, time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC), true},
		{"spring forward: 18:59 UTC is 20:59 local", daily, time.Date(2026, 3, 29, 18, 59, 0, 0, time.UTC), true},
		{"spring forward: 19:00 UTC is 21:00 local", daily, time.Date(2026, 3, 29, 19, 0, 0, 0, time.UTC), false},
		// 25 October 2026: clocks go back from 03:00 to 02:00; 09:00 is 08:00 UTC.
		{"fall back: 07:59 UTC is 08:59 local", daily, time.Date(2026, 10, 25, 7, 59, 0, 0, time.UTC), false},
		{"fall back: 08:00 UTC is 09:00 local", daily, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC), true},
		// Saturday 22:00 CET (21:00 UTC) to Sunday 04:00 CEST (02:00 UTC): 5 hours.
		{"overnight across DST: open at 01:59 UTC", lateSat, time.Date(2026, 3, 29, 1, 59, 0, 0, time.UTC), true},
		{"overnight across DST: closed at 02:00 UTC", lateSat, time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), false},

		{"zero Hours is never open", Hours{}, t0, false},
	}
	for _, tt := range tests {
		if got := tt.h.Open(tt.now); got != tt.want {
			t.Errorf("%s (%v): Open = %v, want %v", tt.name, tt.now, got, tt.want)
		}
	}
}

func TestHoursNextOpen(t *testing.T) {
	madrid := mustLocation(t, "Europe/Madrid")
	week := mustParseHours(t, "mon-fri 09:00-21:00; sat 10:00-14:00", "Europe/Madrid", "2026-12-25")
	mondays := mustParseHours(t, "mon 09:00-10:00", "Europe/Madrid", "2026-03-09,2026-03-16")
	sundays := mustParseHours(t, "sun 09:00-12:00", "Europe/Madrid", "")

	tests := []struct {
		name string
		h    Hours
		now  time.Time
		want time.Time // zero: not within 14 days
	}{
		{"open now", week, local(madrid, "2026-03-02", 12, 0), local(madrid, "2026-03-02", 12, 0)},
		{"before opening", week, local(madrid, "2026-03-02", 7, 0), local(madrid, "2026-03-02", 9, 0)},
		{"after Saturday closes: Monday", week, local(madrid, "2026-03-07", 15, 0), local(madrid, "2026-03-09", 9, 0)},
		{"on a holiday: the next day", week, local(madrid, "2026-12-25", 10, 0), local(madrid, "2026-12-26", 10, 0)},
		{"across the DST change", sundays, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		{"two Mondays off: 20 days away, beyond the horizon", mondays, local(madrid, "2026-03-03", 12, 0), time.Time{}},
		{"zero Hours", Hours{}, t0, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := tt.h.NextOpen(tt.now)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("%s: NextOpen = %v, %v; want %v", tt.name, got, ok, tt.want)
		}
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		spec string
		day  time.Weekday
		want []Span
	}{
		{"Mon - Fri 09:00 - 13:00, 15:00 - 19:30", time.Wednesday, []Span{{9 * time.Hour, 13 * time.Hour}, {15 * time.Hour, 19*time.Hour + 30*time.Minute}}},
		{"sat-mon 10:00-12:00", time.Sunday, []Span{{10 * time.Hour, 12 * time.Hour}}},
		{"sat-mon 10:00-12:00", time.Monday, []Span{{10 * time.Hour, 12 * time.Hour}}},
		{"mon,wed 9:00-10:00;", time.Wednesday, []Span{{9 * time.Hour, 10 * time.Hour}}},
		{"daily 00:00-24:00", time.Tuesday, []Span{{0, 24 * time.Hour}}},
		{"fri 20:00-02:00", time.Friday, []Span{{20 * time.Hour, 26 * time.Hour}}},
		{"always", time.Sunday, []Span{{0, 24 * time.Hour}}},
		{"mon 15:00-16:00; mon 09:00-10:00", time.Monday, []Span{{9 * time.Hour, 10 * time.Hour}, {15 * time.Hour, 16 * time.Hour}}},
	}
	for _, tt := range tests {
		h := mustParseHours(t, tt.spec, "", "")
		if got := h.Weekly[tt.day]; !equalSpans(got, tt.want) {
			t.Errorf("%q on %v: %v, want %v", tt.spec, tt.day, got, tt.want)
		}
	}
	if h := mustParseHours(t, "always", "", " 2026-12-25 , ,2027-01-01"); h.Location != time.UTC || len(h.Holidays) != 2 {
		t.Errorf("empty zone and holidays: %v, %v", h.Location, h.Holidays)
	}
}

func equalSpans(a, b []Span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseHoursErrors(t *testing.T) {
	tests := []struct {
		spec, tz, holidays string
		want               string // part of the message
	}{
		{"", "", "", "opening hours are empty"},
		{" ; ", "", "", "opening hours are empty"},
		{"mon-fry 09:00-21:00", "", "", `"fry" is not a day`},
		{"monday 09:00-21:00", "", "", `"monday" is not a day`},
		{"09:00-21:00", "", "", "needs days and then times"},
		{"mon", "", "", "needs days and then times"},
		{"mon 9-21", "", "", "needs days and then times"},
		{"mon 09:00", "", "", "is not a time span like 09:00-21:00"},
		{"mon 25:00-26:00", "", "", `"25:00" is not a time; write 24-hour HH:MM`},
		{"mon 09:60-10:00", "", "", `"09:60" is not a time`},
		{"mon +9:00-10:00", "", "", `"+9:00" is not a time`},
		{"mon 09:00-09:00", "", "", "for a whole day write 00:00-24:00"},
		{"mon 24:00-02:00", "", "", "write 00:00 on the next day"},
		{"always", "Mars/Olympus", "", `time zone: "Mars/Olympus" is not known`},
		{"always", "Local", "", "depends on the server"},
		{"always", "", "25/12/2026", `holidays: "25/12/2026" is not a date; write dates as YYYY-MM-DD`},
		{"always", "", "2026-02-30", `"2026-02-30" is not a date`},
	}
	for _, tt := range tests {
		_, err := ParseHours(tt.spec, tt.tz, tt.holidays)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseHours(%q, %q, %q) = %v, want an error with %q", tt.spec, tt.tz, tt.holidays, err, tt.want)
		}
	}
}
