package routing

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

const hoursExample = `write e.g. "mon-fri 09:00-21:00; sat 10:00-14:00" or "always"`

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseHours reads opening hours from configuration.
//
// spec is "always", or items separated by ";", each "DAYS TIMES":
// DAYS is a day (mon … sun), a range of days ("mon-fri", "sat-mon" wraps), a
// list of those ("mon,wed,fri-sun"), or "daily"; TIMES is one or more
// "HH:MM-HH:MM" separated by ",". "24:00" may end a span; a span that ends
// earlier than it starts runs past midnight ("fri 20:00-02:00" is open until
// 02:00 on Saturday). tz is an IANA zone such as "Europe/Madrid" ("" is UTC).
// holidays is a comma-separated list of local dates, "2026-12-25,2027-01-01".
// Errors say what was wrong and what to write instead.
func ParseHours(spec, tz, holidays string) (Hours, error) {
	h := Hours{Weekly: make(map[time.Weekday][]Span), Holidays: make(map[string]bool)}
	loc, err := parseZone(tz)
	if err != nil {
		return Hours{}, err
	}
	h.Location = loc
	if err := parseWeekly(h.Weekly, spec); err != nil {
		return Hours{}, err
	}
	for _, s := range strings.Split(holidays, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return Hours{}, fmt.Errorf("holidays: %q is not a date; write dates as YYYY-MM-DD separated by commas, e.g. 2026-12-25,2027-01-01", s)
		}
		h.Holidays[day.Format(time.DateOnly)] = true
	}
	return h, nil
}

func parseZone(tz string) (*time.Location, error) {
	tz = strings.TrimSpace(tz)
	if tz == "Local" {
		// The server's own zone is an accident of deployment.
		return nil, errors.New(`time zone: "Local" depends on the server; write an IANA name such as Europe/Madrid`)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone: %q is not known; write an IANA name such as Europe/Madrid or America/Mexico_City", tz)
	}
	return loc, nil
}

func parseWeekly(weekly map[time.Weekday][]Span, spec string) error {
	spec = strings.ToLower(strings.TrimSpace(spec))
	if spec == "always" {
		for d := time.Sunday; d <= time.Saturday; d++ {
			weekly[d] = []Span{{0, 24 * time.Hour}}
		}
		return nil
	}
	for _, item := range strings.Split(spec, ";") {
		fields := strings.Fields(item)
		if len(fields) == 0 {
			continue
		}
		// Days come before the first field with a ":", so that spaces around
		// "-" and "," do no harm: "mon - fri 09:00 - 21:00" reads fine.
		i := slices.IndexFunc(fields, func(f string) bool { return strings.Contains(f, ":") })
		if i <= 0 {
			return fmt.Errorf("opening hours: %q needs days and then times; %s", strings.TrimSpace(item), hoursExample)
		}
		days, err := parseDays(strings.Join(fields[:i], ""))
		if err == nil {
			var spans []Span
			if spans, err = parseSpans(strings.Join(fields[i:], "")); err == nil {
				for _, d := range days {
					weekly[d] = append(weekly[d], spans...)
				}
			}
		}
		if err != nil {
			if strings.Contains(err.Error(), "write") {
				return fmt.Errorf("opening hours: in %q: %w", strings.TrimSpace(item), err)
			}
			return fmt.Errorf("opening hours: in %q: %w; %s", strings.TrimSpace(item), err, hoursExample)
		}
	}
	if len(weekly) == 0 {
		return fmt.Errorf("opening hours are empty; %s", hoursExample)
	}
	for d := range weekly {
		slices.SortFunc(weekly[d], func(a, b Span) int { return int(a.From - b.From) })
	}
	return nil
}

func parseDays(s string) ([]time.Weekday, error) {
	if s == "daily" {
		return []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil
	}
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := dayNames[from]
		if !ok {
			return nil, fmt.Errorf("%q is not a day (mon, tue, wed, thu, fri, sat, sun or daily)", from)
		}
		b := a
		if isRange {
			if b, ok = dayNames[to]; !ok {
				return nil, fmt.Errorf("%q is not a day (mon, tue, wed, thu, fri, sat, sun)", to)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func parseSpans(s string) ([]Span, error) {
	var out []Span
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return nil, fmt.Errorf("%q is not a time span like 09:00-21:00", part)
		}
		from, err := parseClock(a)
		if err != nil {
			return nil, err
		}
		to, err := parseClock(b)
		if err != nil {
			return nil, err
		}
		switch {
		case from == 24*time.Hour:
			return nil, fmt.Errorf("%q starts at 24:00; write 00:00 on the next day", part)
		case from == to:
			return nil, fmt.Errorf("%q starts and ends at the same time; for a whole day write 00:00-24:00", part)
		case to < from:
			to += 24 * time.Hour // runs past midnight
		}
		out = append(out, Span{From: from, To: to})
	}
	return out, nil
}

// parseClock reads "H:MM" or "HH:MM", 00:00 to 24:00.
func parseClock(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	if !ok || errH != nil || errM != nil || !digits(hh, 1, 2) || !digits(mm, 2, 2) ||
		m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("%q is not a time; write 24-hour HH:MM, e.g. 09:00 or 21:30", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// digits reports whether s is lo to hi ASCII digits (Atoi alone takes "+9").
func digits(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
