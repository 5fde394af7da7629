package routing

import (
	"context"
	"time"

	"helpline/chat"
)

// noticeOffShift tells every instance the team changed when the members
// Team lists are no longer those of the last round: one not heard from
// within offerableFor drops out of the list with no event of its own
// (their going offline, after the grace, has one). Instances read the
// team only when told it changed; this is what tells them of that.
// Joining has an event of its own, so a count and a sum of ids, no set
// kept, are enough to see someone drop out.
func (r *Router) noticeOffShift(ctx context.Context, now time.Time, team roster) {
	var n, idSum int64
	for _, m := range team.members {
		if r.online(m, now, r.offerableFor()) {
			n, idSum = n+1, idSum+m.ID
		}
	}
	r.noticeListed(ctx, n, idSum, r.goingOffline(now, team.members))
}

// goingOffline says whether any of members is past the grace but not yet
// offline: returnLostConversations tells of it, this round.
func (r *Router) goingOffline(now time.Time, members []Member) bool {
	for _, m := range members {
		if m.Status != StatusOffline && now.Sub(m.SeenAt) > r.cfg.CounselorGrace {
			return true
		}
	}
	return false
}

// noticeListed compares the members listed now (n, and the sum of their
// ids) with the last round's.
func (r *Router) noticeListed(ctx context.Context, n, idSum int64, goingOffline bool) {
	if r.listed.known && (n != r.listed.n || idSum != r.listed.idSum) && !goingOffline {
		r.svc.TeamChanged(ctx)
	}
	r.listed.n, r.listed.idSum, r.listed.known = n, idSum, true
}

// quietSweep is a round's duties other than offering, from the listing
// (Store.List) rather than the whole roster: it tells of members dropping
// out of the team, returns the conversations of those past their grace
// (reading the active counts only when someone is), and lets go of
// seekers who left. It returns who still waits.
func (r *Router) quietSweep(ctx context.Context, now time.Time) ([]chat.Conversation, error) {
	l, err := r.store.List(ctx, now.Add(-r.offerableFor()), now.Add(-r.cfg.CounselorGrace), false)
	if err != nil {
		return nil, err
	}
	r.noticeListed(ctx, l.Listed, l.IDSum, r.goingOffline(now, l.Lapsed))
	if len(l.Lapsed) > 0 {
		counts, err := r.chat.ActiveCounts(ctx)
		if err != nil {
			return nil, err
		}
		if err := r.returnLostConversations(ctx, now, l.Lapsed, counts); err != nil {
			return nil, err
		}
	}
	waiting, err := r.chat.Waiting(ctx)
	if err != nil {
		return nil, err
	}
	return r.removeAbandoned(ctx, now, waiting)
}

// returnLostConversations puts back in the queue the conversations of
// counsellors not heard from for the grace time, and marks them offline.
// members may be the whole roster or only those past their grace.
func (r *Router) returnLostConversations(ctx context.Context, now time.Time, members []Member, counts map[int64]int) error {
	for _, m := range members {
		if now.Sub(m.SeenAt) <= r.cfg.CounselorGrace {
			continue
		}
		if m.Status != StatusOffline {
			r.store.SetMisses(ctx, m.ID, 0, StatusOffline)
			r.svc.TeamChanged(ctx)
		}
		if counts[m.ID] == 0 {
			continue
		}
		active, err := r.chat.ActiveFor(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, c := range active {
			if err := r.svc.Requeue(ctx, c.ID, m.ID); err != nil && chat.ErrorCode(err) != chat.CodeConflict {
				return err
			}
			r.cfg.Log.Info("a counsellor left: their conversation went back to the front of the queue")
		}
	}
	return nil
}
