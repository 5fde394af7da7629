package routing

import (
	"context"
	"time"
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
	goingOffline := false // returnLostConversations tells of it, this round
	for _, m := range team.members {
		if r.online(m, now, r.offerableFor()) {
			n, idSum = n+1, idSum+m.ID
		}
		goingOffline = goingOffline || (m.Status != StatusOffline && now.Sub(m.SeenAt) > r.cfg.CounselorGrace)
	}
	if r.listed.known && (n != r.listed.n || idSum != r.listed.idSum) && !goingOffline {
		r.svc.TeamChanged(ctx)
	}
	r.listed.n, r.listed.idSum, r.listed.known = n, idSum, true
}
