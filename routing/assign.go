package routing

import "time"

// Match is one offer to make now.
type Match struct {
	ConversationID string
	CounselorID    int64
	// LanguageFallback: the seeker chose a language that no counsellor on shift
	// (who could take them) speaks, so this counsellor speaks another. Tell the
	// seeker so ("no one who speaks X is on shift now; a counsellor speaking Y
	// can help") rather than leaving them to wait for no one.
	LanguageFallback bool
	// NewRound: every free counsellor who could take it had let it pass, so it
	// goes round again. The caller clears the conversation's Passed set.
	NewRound bool
}

// Choose decides which offers to make now. It walks the queue in Order and, for
// each conversation, picks among the counsellors in its pool (see Pool) who are
// available, have free capacity and have no pending offer: first those who
// have not let it pass this round, then the most free capacity, then the
// longest idle (earliest IdleSince), then the lowest id.
//
// Rules the caller should know:
//   - A counsellor has at most one pending offer at a time, so nobody is handed
//     several strangers at once; the next comes as soon as they answer.
//   - Pending offers (Expires after now) hold their conversation and their
//     counsellor; expired ones are ignored (handle them with Expired first).
//   - Someone in Passed is offered it again only when no one else who could
//     take it is free (Match.NewRound), so a lone counsellor who missed it
//     once gets a second chance instead of the seeker waiting for no one.
//     Excluded counsellors never get it.
//   - A conversation nobody can take now is skipped; later ones may still be
//     matched, so one seeker's rare language never holds up the rest.
//
// ws, cs and offers are not modified.
func Choose(ws []Waiting, cs []Counselor, offers []Offer, now time.Time) []Match {
	heldConv := make(map[string]bool)
	heldCoun := make(map[int64]bool)
	for _, o := range offers {
		if now.Before(o.Expires) {
			heldConv[o.ConversationID] = true
			heldCoun[o.CounselorID] = true
		}
	}
	free := 0 // counsellors who could still be offered something this round
	for _, c := range cs {
		if canTakeOffer(c, heldCoun) {
			free++
		}
	}
	var out []Match
	for _, w := range Order(ws) {
		if free == 0 {
			break // everyone is full or holds an offer: the rest wait for the next round
		}
		if heldConv[w.ConversationID] {
			continue
		}
		best, fallback := bestFor(w, cs, heldCoun)
		if best < 0 {
			continue
		}
		c := cs[best]
		heldCoun[c.ID] = true
		free--
		out = append(out, Match{ConversationID: w.ConversationID, CounselorID: c.ID,
			LanguageFallback: fallback, NewRound: w.Passed[c.ID]})
	}
	return out
}

func canTakeOffer(c Counselor, held map[int64]bool) bool {
	return c.Status == StatusAvailable && c.Free() > 0 && !held[c.ID]
}

// bestFor returns the index in cs of the counsellor to offer w to (-1 for
// none), choosing among its Pool as Pool defines it, without building it:
// this runs for every waiting seeker and every counsellor each round.
func bestFor(w Waiting, cs []Counselor, held map[int64]bool) (best int, fallback bool) {
	bestEligible, bestTrained := -1, -1
	eligible, trained := 0, 0
	for i, c := range cs {
		isTrained, isEligible := standing(c, w)
		if !isTrained {
			continue
		}
		trained++
		candidate := canTakeOffer(c, held)
		if candidate && (bestTrained < 0 || better(c, cs[bestTrained], w)) {
			bestTrained = i
		}
		if isEligible {
			eligible++
			if candidate && (bestEligible < 0 || better(c, cs[bestEligible], w)) {
				bestEligible = i
			}
		}
	}
	if fallsBack(w, eligible, trained) {
		return bestTrained, true
	}
	return bestEligible, false
}

func better(a, b Counselor, w Waiting) bool {
	if pa, pb := w.Passed[a.ID], w.Passed[b.ID]; pa != pb {
		return pb
	}
	if fa, fb := a.Free(), b.Free(); fa != fb {
		return fa > fb
	}
	if c := a.IdleSince.Compare(b.IdleSince); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

// Pool returns the counsellors on shift (any status but offline) who could take
// w, whatever their capacity now. If the seeker chose a language and someone in
// the pool speaks it, only those are in the pool; if no one does, the pool is
// everyone trained for w and fallback is true. Training is never relaxed: a
// young person's pool holds only counsellors trained for young people.
//
// len(pool) is the "counsellors on shift" to give Estimate for this seeker, and
// an empty pool means no one on shift can help them now.
func Pool(w Waiting, cs []Counselor) (pool []Counselor, fallback bool) {
	var trained []Counselor
	for _, c := range cs {
		isTrained, isEligible := standing(c, w)
		if !isTrained {
			continue
		}
		trained = append(trained, c)
		if isEligible {
			pool = append(pool, c)
		}
	}
	if fallsBack(w, len(pool), len(trained)) {
		return trained, true
	}
	return pool, false
}

// standing is Pool's rule for one counsellor, which Pool, bestFor and
// countPool share: trained means on shift, trained for w and not excluded
// from it; eligible means trained and speaking w's language too.
func standing(c Counselor, w Waiting) (trained, eligible bool) {
	if !c.Status.OnShift() || !Trained(c, w) || w.Excluded[c.ID] {
		return false, false
	}
	return true, Eligible(c, w)
}

// fallsBack tells whether w's pool is everyone trained rather than those
// eligible: w chose a language that no one trained for w on shift speaks.
func fallsBack(w Waiting, eligible, trained int) bool {
	return w.Language != "" && eligible == 0 && trained > 0
}
