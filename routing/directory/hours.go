package directory

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"helpline/routing"
)

// weekOrder is the order days are written in: Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

var dayAbbrev = map[time.Weekday]string{time.Monday: "mon", time.Tuesday: "tue", time.Wednesday: "wed",
	time.Thursday: "thu", time.Friday: "fri", time.Saturday: "sat", time.Sunday: "sun"}

// rfcDay is the RFC 5545 BYDAY code HSDS schedules use.
var rfcDay = map[time.Weekday]string{time.Monday: "MO", time.Tuesday: "TU", time.Wednesday: "WE",
	time.Thursday: "TH", time.Friday: "FR", time.Saturday: "SA", time.Sunday: "SU"}

// dayGroup is the days that share one list of spans.
type dayGroup struct {
	days  []time.Weekday
	spans []routing.Span
}

// groupDays gathers the days of h with the same spans, in week order.
func groupDays(h routing.Hours) []dayGroup {
	var groups []dayGroup
	for _, d := range weekOrder {
		spans := h.Weekly[d]
		if len(spans) == 0 {
			continue
		}
		i := slices.IndexFunc(groups, func(g dayGroup) bool { return slices.Equal(g.spans, spans) })
		if i < 0 {
			groups = append(groups, dayGroup{spans: spans})
			i = len(groups) - 1
		}
		groups[i].days = append(groups[i].days, d)
	}
	return groups
}

// FormatHours writes h in routing.ParseHours' form, one way only, so that
// equal hours are equal strings: "mon,tue,wed,thu,fri 09:00-17:00; sat
// 10:00-14:00". Holidays are not written.
func FormatHours(h routing.Hours) string {
	var items []string
	for _, g := range groupDays(h) {
		days := make([]string, len(g.days))
		for i, d := range g.days {
			days[i] = dayAbbrev[d]
		}
		spans := make([]string, len(g.spans))
		for i, s := range g.spans {
			spans[i] = clock(s.From) + "-" + clock(s.To)
		}
		items = append(items, strings.Join(days, ",")+" "+strings.Join(spans, ","))
	}
	return strings.Join(items, "; ")
}

// clock writes a wall-clock time; one past midnight wraps ("26:00" is 02:00).
func clock(d time.Duration) string {
	if d > 24*time.Hour {
		d -= 24 * time.Hour
	}
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// schedule is one HSDS schedule row of ours: weekly, on some days, one span.
type schedule struct {
	ByDay    string // "MO,TU"
	OpensAt  string // "09:00"
	ClosesAt string // "17:00"
}

// toSchedules turns h into HSDS schedule rows, one per group of days and span.
func toSchedules(h routing.Hours) []schedule {
	var out []schedule
	for _, g := range groupDays(h) {
		days := make([]string, len(g.days))
		for i, d := range g.days {
			days[i] = rfcDay[d]
		}
		for _, s := range g.spans {
			out = append(out, schedule{ByDay: strings.Join(days, ","), OpensAt: clock(s.From), ClosesAt: clock(s.To)})
		}
	}
	return out
}

// fromSchedule turns one HSDS schedule row into a ParseHours item, or says
// which field is wrong.
func fromSchedule(s schedule) (item string, field string, err error) {
	var days []string
	for _, code := range strings.Split(strings.ToUpper(s.ByDay), ",") {
		code = strings.TrimSpace(code)
		i := slices.IndexFunc(weekOrder, func(d time.Weekday) bool { return rfcDay[d] == code })
		if i < 0 {
			return "", "byday", fmt.Errorf("%q is not a list of weekdays; write RFC 5545 codes such as MO,TU,WE", s.ByDay)
		}
		days = append(days, dayAbbrev[weekOrder[i]])
	}
	for field, t := range map[string]string{"opens_at": s.OpensAt, "closes_at": s.ClosesAt} {
		if len(t) != 5 || t[2] != ':' {
			return "", field, fmt.Errorf("%q is not a time; write HH:MM in the schedule's time zone (x_timezone)", t)
		}
	}
	return strings.Join(days, ",") + " " + s.OpensAt + "-" + s.ClosesAt, "", nil
}
