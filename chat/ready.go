package chat

// A connection's first frame is always ready (PROTOCOL.md §3.1). Other
// parts of the service may queue frames for a connection as soon as it is
// registered: a console is on shift, in the hub's staff list and in its
// conversations' rooms before ready is built, so an offer, a status, a
// queue or a conversation frame can be queued for it first. Such frames are
// held, in order, and queued right behind ready: nothing can be sent ahead
// of it, whoever queues what and when.

// enqueue hands a frame to the writer without blocking (see push); before
// ready is queued, it holds the frame until then.
func (c *Conn) enqueue(f serverFrame) {
	if !c.ready.Load() && c.holdUntilReady(&f) {
		return
	}
	c.push(&f)
}

// holdUntilReady keeps f for after ready, and reports false if ready was
// queued meanwhile (then f goes straight to the queue). A connection that
// gathers more held frames than its queue holds is closed as slow, as it
// would be once open.
func (c *Conn) holdUntilReady(f *serverFrame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready.Load() {
		return false
	}
	if len(c.held) >= c.out.limit {
		c.svc.cfg.Metrics.SlowClosed.Inc()
		go c.close(StatusSlow, "too slow, reconnect")
		return true
	}
	c.held = append(c.held, f)
	return true
}

// sendReady queues ready, then the frames held for after it, and opens the
// queue to everything else. Under c.mu, so a frame queued meanwhile is
// either held (and queued here, after ready) or queued after all of them.
func (c *Conn) sendReady(ready serverFrame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.push(&ready)
	for _, f := range c.held {
		c.push(f)
	}
	c.held = nil
	c.ready.Store(true)
}
