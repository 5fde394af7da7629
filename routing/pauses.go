package routing

import (
	"context"
	"time"

	"helpline/chat"
)

// PausedSkill is a skill whose offers a supervisor paused (the
// switchboard, routing/switchboard): the leader offers none of its waiting
// conversations, which staff pick from the queue by hand meanwhile.
// Language "" pauses the audience in every language.
type PausedSkill struct {
	Audience chat.Audience
	Language string
}

// Covers reports whether the pause applies to a waiting conversation.
func (p PausedSkill) Covers(w Waiting) bool {
	return w.Audience == p.Audience && (p.Language == "" || p.Language == w.Language)
}

// Pauses says which skills are paused now. The leader asks once a round,
// so a pause set on any instance stops offers within a round.
type Pauses interface {
	PausedSkills(ctx context.Context) ([]PausedSkill, error)
}

// StatusHook hears a team member's status change (to available, busy or
// break), at the time it happened: the supervisor page tracks breaks from it.
type StatusHook func(ctx context.Context, staffID int64, status Status, at time.Time)

// unpaused drops the waiting conversations a paused skill covers.
func unpaused(ws []Waiting, paused []PausedSkill) []Waiting {
	if len(paused) == 0 {
		return ws
	}
	out := ws[:0:0]
	for _, w := range ws {
		covered := false
		for _, p := range paused {
			covered = covered || p.Covers(w)
		}
		if !covered {
			out = append(out, w)
		}
	}
	return out
}

// Leading reports whether this instance leads now (makes offers). Work that
// must be done once for the whole service, such as the supervisors'
// summary, runs where this is true.
func (r *Router) Leading() bool { return r.leading.Load() }

func (r *Router) statusChanged(ctx context.Context, staffID int64, status Status) {
	if r.cfg.OnStatus != nil {
		r.cfg.OnStatus(ctx, staffID, status, r.cfg.Now())
	}
}

// pickedByHand reports whether c waits for a paused skill: then no one is
// offered it, and any counsellor trained for it may accept it from the queue.
func (r *Router) pickedByHand(ctx context.Context, c chat.Conversation) bool {
	if r.cfg.Paused == nil {
		return false
	}
	paused, err := r.cfg.Paused.PausedSkills(ctx)
	if err != nil {
		return false
	}
	w := FromConversation(c)
	for _, p := range paused {
		if p.Covers(w) {
			return true
		}
	}
	return false
}
