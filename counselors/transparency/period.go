package transparency

import (
	"fmt"
	"time"

	"helpline/chat"
)

// Period is a range of whole days, both included, in UTC.
type Period struct {
	From time.Time `json:"-"`
	To   time.Time `json:"-"`
}

// MaxDays is the longest range a report covers.
const MaxDays = 3 * 366

// Month is the period of one calendar month, "2026-11".
func Month(month string) (Period, error) {
	start, err := time.Parse("2006-01", month)
	if err != nil {
		return Period{}, chat.Errorf(chat.CodeInvalid, "month %q: write it as YYYY-MM, e.g. 2026-11", month)
	}
	return Period{From: start, To: start.AddDate(0, 1, -1)}, nil
}

// Days is the period from..to, "YYYY-MM-DD" each, both included.
func Days(from, to string) (Period, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return Period{}, chat.Errorf(chat.CodeInvalid, "from and to: write each as YYYY-MM-DD, e.g. 2026-11-01")
	}
	if t.Before(f) {
		return Period{}, chat.Errorf(chat.CodeInvalid, "to (%s) is before from (%s)", to, from)
	}
	if t.Sub(f) > MaxDays*24*time.Hour {
		return Period{}, chat.Errorf(chat.CodeInvalid, "a report covers at most %d days; pick a shorter range", MaxDays)
	}
	return Period{From: f, To: t}, nil
}

// FromDay and ToDay are the period's bounds as "YYYY-MM-DD".
func (p Period) FromDay() string { return p.From.Format(time.DateOnly) }
func (p Period) ToDay() string   { return p.To.Format(time.DateOnly) }

// Weeks are the ISO weeks whose Thursday falls in the period (the ISO rule
// for which month a week belongs to), as "2026-W49"; from > to when none.
func (p Period) Weeks() (from, to string) {
	first := p.From
	for first.Weekday() != time.Thursday {
		first = first.AddDate(0, 0, 1)
	}
	last := p.To
	for last.Weekday() != time.Thursday {
		last = last.AddDate(0, 0, -1)
	}
	if last.Before(first) {
		return "9999-W99", "0000-W00"
	}
	return isoWeek(first), isoWeek(last)
}

func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// MarshalJSON writes {"from":"2026-11-01","to":"2026-11-30"}.
func (p Period) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"from":%q,"to":%q}`, p.FromDay(), p.ToDay()), nil
}
