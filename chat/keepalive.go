package chat

import (
	"context"
	"time"
)

const (
	// sessionRecheck is how often every staff connection's sign-in is
	// checked again. Signing out or disabling an account closes its sockets
	// at once by event; this catches what no event announces (a sign-in
	// that expired) or an event this instance missed.
	sessionRecheck = 30 * time.Second
	// idleSweep is how often connections are checked for silence: one
	// closes between idleTimeout and idleTimeout+idleSweep after its last
	// frame.
	idleSweep = 5 * time.Second
)

// keepalive does, for every connection of this instance, the periodic work
// that would otherwise need a timer per connection: it closes connections
// silent for idleTimeout and rechecks staff sign-ins.
//
// It sends no WebSocket pings, on purpose. Clients send an application
// `ping` every 20 s, and a connection that has sent nothing for idleTimeout
// (75 s) is closed. A WebSocket pong does not count as something sent, so a
// server ping could not keep a silent client open; the idle timeout drops a
// dead peer sooner than a ping every 30 s with 60 s to answer did; and the
// client's ping and our pong keep proxies and NAT mappings busy in both
// directions. A ping waiting for its pong also held a goroutine per
// connection.
func (s *Service) keepalive(ctx context.Context) {
	idle := time.NewTicker(idleSweep)
	defer idle.Stop()
	sessions := time.NewTicker(sessionRecheck)
	defer sessions.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
			s.closeIdle()
		case <-sessions.C:
			s.recheckSessions(ctx)
		}
	}
}

// closeIdle drops every connection whose reader has waited idleTimeout for
// a frame, at once and without a closing handshake, as a read deadline
// would: the peer is gone or mute, and a handshake would only wait.
func (s *Service) closeIdle() {
	cutoff := monotonicNow() - int64(idleTimeout)
	for _, c := range s.connections(func(c *Conn) bool { return c.waitingSince.Load() < cutoff }) {
		c.ws.CloseNow()
	}
}

// recheckSessions closes, with 4403, every staff connection whose sign-in
// is no longer valid. Each sign-in is checked once however many sockets it
// has open.
func (s *Service) recheckSessions(ctx context.Context) {
	if s.cfg.Staff == nil {
		return
	}
	type signIn struct {
		staffID   int64
		sessionID string
	}
	revoked := map[signIn]bool{}
	for _, c := range s.connections(func(c *Conn) bool { return c.principal.Role.IsStaff() }) {
		key := signIn{c.principal.StaffID, c.principal.SessionID}
		gone, checked := revoked[key]
		if !checked {
			_, err := s.cfg.Staff.CheckSession(ctx, c.principal)
			gone = IsUnauthorized(err) // any other error: the store's trouble, not the sign-in's
			revoked[key] = gone
		}
		if gone {
			// In a goroutine: the closing handshake with a dead peer takes
			// seconds, and must not hold up the other connections' checks.
			go c.close(StatusRevoked, "signed out")
		}
	}
}

// processStart anchors monotonicNow.
var processStart = time.Now()

// monotonicNow is a time in nanoseconds that a change of the wall clock
// cannot move, small enough to keep in an atomic.Int64.
func monotonicNow() int64 { return int64(time.Since(processStart)) }
