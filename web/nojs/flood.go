package nojs

import (
	"context"
	"math"
	"net/http"
	"time"

	"helpline/chat/flood"
)

// Flood is the waiting step for new conversations under a flood
// (chat/flood). A page without JavaScript cannot solve its puzzle, so it
// waits instead: the pre-chat page hands out a signed ticket (a cookie)
// and reloads itself until the ticket is mature; then the questions show
// and starting works, once per ticket.
type Flood interface {
	State(ctx context.Context) (flood.State, error)
	NewTicket() (string, time.Duration)
	TicketLeft(ticket string) (time.Duration, bool)
	CheckStart(ctx context.Context, pr flood.Proof) error
}

// ticketCookie holds this browser's waiting-step ticket.
const ticketCookie = "helpline_ticket"

// floodView is the waiting step as a page shows it.
type floodView struct {
	On      bool // the pre-chat page says why it may take a moment
	Seconds int  // while waiting: about how long still
}

// waitingStep decides what the pre-chat page shows under the waiting
// step: ok true when the questions can be asked now (the step is off, or
// this browser's ticket is mature); false when the waiting page was drawn.
// fresh: the browser's ticket was used already, so it gets a new one.
func (h *Handler) waitingStep(w http.ResponseWriter, r *http.Request, v *view, status int, fresh bool) bool {
	if h.cfg.Flood == nil {
		return true
	}
	st, err := h.cfg.Flood.State(r.Context())
	if err != nil || !st.On {
		return true // unreadable: CheckStart refuses, saying so
	}
	v.Flood.On = true
	var left time.Duration
	ok := false
	if c, err := r.Cookie(ticketCookie); err == nil && !fresh {
		left, ok = h.cfg.Flood.TicketLeft(c.Value)
	}
	if !ok {
		var ticket string
		ticket, left = h.cfg.Flood.NewTicket()
		http.SetCookie(w, &http.Cookie{Name: ticketCookie, Value: ticket, Path: "/nojs/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
	}
	if left <= 0 {
		return true
	}
	v.Flood.Seconds = int(math.Ceil(left.Seconds()))
	v.Refresh = min(v.Flood.Seconds, 5)
	h.render(w, status, "floodwait", *v)
	return false
}

// ticket is the browser's waiting-step ticket, for the start.
func ticket(r *http.Request) flood.Proof {
	if c, err := r.Cookie(ticketCookie); err == nil && len(c.Value) < 512 {
		return flood.Proof{Ticket: c.Value}
	}
	return flood.Proof{}
}
