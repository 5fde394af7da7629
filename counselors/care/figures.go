package care

import (
	"slices"
	"time"
)

// Period is what a staff member took on from From until now.
type Period struct {
	From             time.Time
	ConversationTime time.Duration // time with at least one conversation open
	Conversations    int           // conversations taken part in
	HighRisk         int           // of them, with a risk flag or an escalation
	Escalated        int           // of them, with an escalation
	Breaks           int
	BreakTime        time.Duration
}

// Cap states.
const (
	CapOK   = "ok"
	CapNear = "near" // within Config.CapNotice of the cap
	CapPast = "past" // at or over the cap
)

// Figures is one staff member's care figures at a time.
type Figures struct {
	StaffID  int64
	Shift    Period // the current shift
	Week     Period // the last 7 days
	Cap      time.Duration
	CapState string
	OnBreak  bool
	// BreakSuggested, when not zero, is when a high-risk conversation
	// ended with no break begun since: the console offers one.
	BreakSuggested time.Time
}

// Week is how far back the longer figures go.
const Week = 7 * 24 * time.Hour

// rules are what figures are computed with.
type rules struct {
	cap, notice, gap time.Duration
	suggest          bool
}

func figuresOf(id int64, a Activity, now time.Time, r rules) Figures {
	f := Figures{StaffID: id, Cap: r.cap}
	f.Shift = periodOf(a, shiftStart(a, now, r.gap), now, r.gap)
	f.Week = periodOf(a, now.Add(-Week), now, r.gap)
	switch {
	case f.Shift.ConversationTime >= r.cap:
		f.CapState = CapPast
	case f.Shift.ConversationTime >= r.cap-r.notice:
		f.CapState = CapNear
	default:
		f.CapState = CapOK
	}
	var lastBreak time.Time
	for _, b := range a.Breaks {
		lastBreak = b.Start
		f.OnBreak = b.End.IsZero() && now.Sub(b.Start) < r.gap
	}
	if r.suggest && !f.OnBreak {
		for _, sp := range a.Spells {
			if (sp.HighRisk || sp.Escalated) && !sp.End.IsZero() && sp.End.After(lastBreak) && now.Sub(sp.End) < r.gap &&
				sp.End.After(f.BreakSuggested) {
				f.BreakSuggested = sp.End
			}
		}
	}
	return f
}

// span is an interval with an end (an open one ends at now; an open break
// at most gap after it began: a break left open by signing off is not a
// day-long break).
type span struct{ start, end time.Time }

func spellSpan(sp Spell, now time.Time) span {
	if sp.End.IsZero() {
		return span{sp.Start, now}
	}
	return span{sp.Start, sp.End}
}

func breakSpan(b Interval, now time.Time, gap time.Duration) span {
	if b.End.IsZero() {
		return span{b.Start, minTime(now, b.Start.Add(gap))}
	}
	return span{b.Start, b.End}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// shiftStart is where the current shift began: the start of the last run of
// conversations and breaks with no gap of gap or more, if it reaches to
// within gap of now; else now (a new shift, nothing in it yet).
func shiftStart(a Activity, now time.Time, gap time.Duration) time.Time {
	var all []span
	for _, sp := range a.Spells {
		all = append(all, spellSpan(sp, now))
	}
	for _, b := range a.Breaks {
		all = append(all, breakSpan(b, now, gap))
	}
	if len(all) == 0 {
		return now
	}
	// Latest end first: walk back while the next one reaches within gap.
	slices.SortFunc(all, func(x, y span) int { return y.end.Compare(x.end) })
	if now.Sub(all[0].end) >= gap {
		return now
	}
	start := all[0].start
	for _, s := range all[1:] {
		if start.Sub(s.end) >= gap {
			break // every span after this one ends earlier still
		}
		start = minTime(start, s.start)
	}
	return start
}

// periodOf sums what overlaps [from, now].
func periodOf(a Activity, from, now time.Time, gap time.Duration) Period {
	p := Period{From: from}
	var spells, breaks []span
	for _, sp := range a.Spells {
		s := spellSpan(sp, now)
		if s.end.Before(from) {
			continue
		}
		p.Conversations++
		if sp.HighRisk || sp.Escalated {
			p.HighRisk++
		}
		if sp.Escalated {
			p.Escalated++
		}
		spells = append(spells, s)
	}
	for _, b := range a.Breaks {
		s := breakSpan(b, now, gap)
		if s.end.Before(from) {
			continue
		}
		p.Breaks++
		breaks = append(breaks, s)
	}
	p.ConversationTime = union(spells, from, now)
	p.BreakTime = union(breaks, from, now)
	return p
}

// union is how long at least one of spans covers, within [from, to].
func union(spans []span, from, to time.Time) time.Duration {
	slices.SortFunc(spans, func(x, y span) int { return x.start.Compare(y.start) })
	var total time.Duration
	var cur span
	open := false
	for _, s := range spans {
		s = span{maxTime(s.start, from), minTime(s.end, to)}
		if !s.end.After(s.start) {
			continue
		}
		if open && !s.start.After(cur.end) {
			cur.end = maxTime(cur.end, s.end)
			continue
		}
		if open {
			total += cur.end.Sub(cur.start)
		}
		cur, open = s, true
	}
	if open {
		total += cur.end.Sub(cur.start)
	}
	return total
}
