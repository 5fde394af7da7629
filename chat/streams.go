package chat

import "helpline/chat/wire"

// streamSet is which of the console broadcasts a connection wants: the
// queue frames, the team (a team frame, then team_changes). A console that
// does not show the team (a tool, a load generator) says so and costs
// nothing when colleagues come and go (PROTOCOL.md §3.1, "streams").
type streamSet uint32

const (
	streamQueue streamSet = 1 << iota
	streamTeam
	streamQueueChanges // a queue frame, then queue_changes, instead of whole queue frames

	allStreams = streamQueue | streamTeam // without streams on auth, as before consoles chose
)

// maxStreamNames bounds the list a client may send.
const maxStreamNames = 8

// parseStreams reads auth's or a streams frame's list; nil (not sent)
// means every stream, as before consoles could choose.
func parseStreams(names *[]string) (streamSet, error) {
	if names == nil {
		return allStreams, nil
	}
	if len(*names) > maxStreamNames {
		return 0, Errorf(CodeInvalid, "streams lists at most %d names", maxStreamNames)
	}
	var set streamSet
	for _, n := range *names {
		switch n {
		case wire.StreamQueue:
			set |= streamQueue
		case wire.StreamTeam:
			set |= streamTeam
		case wire.StreamQueueChanges:
			set |= streamQueueChanges
		default:
			return 0, Errorf(CodeInvalid, "unknown stream %q: use %q, %q or %q", truncate(n, 32),
				wire.StreamQueue, wire.StreamQueueChanges, wire.StreamTeam)
		}
	}
	if set&streamQueueChanges != 0 {
		set &^= streamQueue // the changes, not whole frames as well
	}
	return set, nil
}

func validateStreams(f clientFrame) error {
	if f.Streams == nil {
		return Errorf(CodeInvalid, "streams needs streams, a list (it may be empty)")
	}
	_, err := parseStreams(f.Streams)
	return err
}

// wants says whether this connection gets stream s: staff consoles only,
// never a supervisor page's observing socket.
func (c *Conn) wants(s streamSet) bool {
	return c.principal.Role.IsStaff() && !c.observer && streamSet(c.streams.Load())&s != 0
}

// onStreams changes what the console gets from now on, and sends a
// snapshot of each stream it names: a fresh start for a console that
// found a change missing (a team_changes version skipped).
func (c *Conn) onStreams(f clientFrame) {
	if c.observer {
		c.enqueue(errorFrame(ErrNotFound, ""))
		return
	}
	set, _ := parseStreams(f.Streams) // validated
	c.streams.Store(uint32(set))
	if err := c.sendSnapshots(); err != nil {
		c.enqueue(errorFrame(err, ""))
	}
}

// sendSnapshots queues the queue and the team as they stand, for the
// streams this console wants. The broadcaster lists its consoles after
// replacing the team snapshot, so nothing between the two is missed.
func (c *Conn) sendSnapshots() error {
	switch {
	case c.wants(streamQueue):
		q, err := c.svc.cast.queueFrame(c.ctx)
		if err != nil {
			return err
		}
		c.enqueue(q)
	case c.wants(streamQueueChanges):
		q, err := c.svc.cast.queueSnapshot(c.ctx)
		if err != nil {
			return err
		}
		c.svc.cast.views.start(c, q, c.svc.cast.queue.waitingTotal()) // or only the total, at capacity
	}
	if c.wants(streamTeam) {
		team, err := c.svc.cast.teamFrame(c.ctx)
		if err != nil {
			return err
		}
		c.enqueue(team)
	}
	return nil
}
