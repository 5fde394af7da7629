package routing

import "context"

// TeamTally is the team as the supervisors' summary counts it: the members
// Team lists, by status, their active conversations and room, and every
// active conversation in all.
type TeamTally struct {
	OnShift, Available, Busy, Break, Active, Capacity int
	LiveTotal                                         int
}

// TeamTally counts what Team lists without listing it. The summary is
// built every two seconds; building the whole team for it (a member with
// its strings and lists each) and reading the active counts a second time
// was, with 5,000 counsellors on shift, a tenth of what the server
// allocated.
func (r *Router) TeamTally(ctx context.Context) (TeamTally, error) {
	now := r.cfg.Now()
	team, err := r.readRoster(ctx)
	if err != nil {
		return TeamTally{}, err
	}
	var t TeamTally
	for _, n := range team.active {
		t.LiveTotal += n
	}
	for _, m := range team.members {
		if !r.online(m, now, r.offerableFor()) {
			continue
		}
		t.OnShift++
		t.Active += team.active[m.ID]
		t.Capacity += min(m.Capacity, max(m.MaxCapacity, 1)) // as teamMember shows it
		switch m.Status {
		case StatusAvailable:
			t.Available++
		case StatusBusy:
			t.Busy++
		case StatusBreak:
			t.Break++
		}
	}
	return t, nil
}
