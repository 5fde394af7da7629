package routing

import "helpline/chat"

// poolSizes answers "how many counsellors could take this seeker, and only
// by the language fallback?" for every seeker in the queue. Waits asks it
// for each waiting seeker on every change of the queue; most seekers share
// an audience, a language and a skill, so each such kind is counted once,
// and counting builds no pool: building one per seeker (Pool) made Waits
// cost a thousand seekers times every counsellor in copies and garbage.
type poolSizes struct {
	cs      []Counselor
	known   map[poolKey]poolSize
	onShift int // counsellors on shift, whoever they could take
}

// poolKey is everything Pool looks at in a seeker who excludes no one.
type poolKey struct {
	audience, skill chat.Audience
	language        string
}

type poolSize struct {
	n        int
	fallback bool
}

func newPoolSizes(cs []Counselor) *poolSizes {
	p := &poolSizes{cs: cs, known: map[poolKey]poolSize{}}
	for _, c := range cs {
		if c.Status.OnShift() {
			p.onShift++
		}
	}
	return p
}

// of is len(Pool(w, cs)) and Pool's fallback.
func (p *poolSizes) of(w Waiting) (int, bool) {
	if len(w.Excluded) > 0 {
		s := countPool(w, p.cs) // rare (transferred away from someone): not shared
		return s.n, s.fallback
	}
	k := poolKey{audience: w.Audience, skill: w.Skill, language: w.Language}
	s, ok := p.known[k]
	if !ok {
		s = countPool(w, p.cs)
		p.known[k] = s
	}
	return s.n, s.fallback
}

// countPool counts what Pool would return, by the same rules, without
// building it.
func countPool(w Waiting, cs []Counselor) poolSize {
	trained, eligible := 0, 0
	for i := range cs {
		isTrained, isEligible := standing(cs[i], w)
		if isTrained {
			trained++
		}
		if isEligible {
			eligible++
		}
	}
	if fallsBack(w, eligible, trained) {
		return poolSize{n: trained, fallback: true}
	}
	return poolSize{n: eligible}
}

// NobodyFor says what a seeker whose pool holds poolSize counsellors is told
// about it, with onShift counsellors on shift in all. Only when no one at all
// is on shift may they hear "no counsellor is online"; when people are on
// shift but none of them could take this seeker (not trained for a young
// person, or the seeker was transferred away from the only one), saying so
// would be untrue, and they hear that the people on shift are not the ones
// for this conversation instead.
func NobodyFor(poolSize, onShift int) (noneOnShift, noneSuitable bool) {
	if poolSize > 0 {
		return false, false
	}
	return onShift == 0, onShift > 0
}
