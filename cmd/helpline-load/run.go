package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"helpline/chat/chatclient"
)

// Phases of a run; receipts are attributed to the phase they happen in.
const (
	phaseSetup int32 = iota
	phaseSteady
	phaseStorm
	phaseDrain
	phaseQueue
)

type runner struct {
	o         Options
	nw        *network
	ctx       context.Context // the whole run
	reg       registry
	count     counters
	notBefore time.Time // queue entries older than this are not ours
	claims    sync.Map
	phase     atomic.Int32

	latency, stormLatency, ack, assign samples
	latencyTo                          [2]samples // steady latency by receiving side
	slow                               slowSends  // steady deliveries of 10 ms or more, by send time
	steadyStart                        time.Time  // set before the phase turns steady
	traffic                            *traffic
	consoleTraffic                     *traffic // what the counsellors' consoles received

	mu      sync.Mutex
	clients []*client

	readers, senders, arrivals sync.WaitGroup
}

func (r *runner) logf(format string, args ...any) {
	if r.o.Log != nil {
		fmt.Fprintf(r.o.Log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
	}
}

func (r *runner) claim(id string) bool {
	_, taken := r.claims.LoadOrStore(id, true)
	return !taken
}

func (r *runner) release(id string) { r.claims.Delete(id) }

func (r *runner) addClient(c *client) {
	r.mu.Lock()
	r.clients = append(r.clients, c)
	r.mu.Unlock()
}

func (r *runner) allClients() []*client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*client(nil), r.clients...)
}

// Run drives the server at o.URL through one whole run and reports on it.
// An error means the run could not be carried out; a run that was carried
// out but failed its checks returns a Report with OK false.
func Run(ctx context.Context, o Options) (Report, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Report{}, err
	}
	switch o.Target {
	case TargetRelay:
		return runRelay(ctx, o)
	case TargetCentrifugo:
		return runCentrifugo(ctx, o)
	}
	nw, err := newNetwork(ctx, o.URL, o.LocalAddrs)
	if err != nil {
		return Report{}, err
	}
	defer nw.close()
	if o.Accounts == nil {
		o.Accounts = adminAccounts(nw, o.Admin)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &runner{o: o, nw: nw, ctx: ctx, reg: registry{byID: map[string]*conversation{}}, traffic: newTraffic(),
		consoleTraffic: newTraffic(), notBefore: time.Now().Add(-time.Second)}
	rep := newReport(o)
	defer r.stopAll()

	mon := startMonitor(o.ServerPID, 250*time.Millisecond)
	defer mon.close()
	start := usage{generator: selfCPU(), server: mon.sample()}
	rep.Machine.LoadBefore = loadAverage()
	rep.Server.RSSIdleKiB = start.server.RSSKiB

	// 1. Counsellors: accounts, sign-in, consoles.
	tokens, err := r.signInCounselors(ctx, &rep, mon)
	if err != nil {
		return rep, err
	}
	metricsBase := r.baseline(ctx, &rep, mon)
	pinger := time.NewTicker(5 * time.Second)
	defer pinger.Stop()
	go r.ping(ctx, pinger.C)
	during, err := r.consolesFirst(ctx, &rep, tokens)
	if err != nil {
		return rep, err
	}

	// 2. Seekers arrive at a bounded rate; counsellors accept them.
	half := r.ramp(ctx, &rep, mon, during)
	if ctx.Err() != nil {
		r.account(&rep, nil)
		rep.finish()
		return rep, ctx.Err()
	}
	established := r.establishedConversations()
	metricsConnected := r.measureConnected(ctx, &rep, mon, half, metricsBase)
	if o.OnPhase != nil {
		o.OnPhase("connected")
	}

	r.afterRamp(ctx, &rep, mon, start, established, metricsConnected)
	return rep, nil
}

// afterRamp runs the phases once every conversation is established:
// steady messaging, the storm, the drain, the queue, the ends, and the
// accounting.
func (r *runner) afterRamp(ctx context.Context, rep *Report, mon *monitor, start usage, established []*conversation, metricsConnected map[string]float64) {
	o := r.o
	// 3. Steady messaging.
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	r.steady(ctx, sendCtx, rep, mon, established, metricsConnected, r.sendLoop)

	// 4. Reconnect storm.
	if o.Storm && ctx.Err() == nil {
		r.stormPhase(ctx, rep, established)
	}
	stopSending()
	r.senders.Wait()

	// 5. Drain: every message sent is acknowledged and received.
	r.drain(ctx, rep)

	// 6. Optionally: a long queue, and how fast offers and places move.
	if o.Waiting > 0 && ctx.Err() == nil {
		r.queuePhase(ctx, rep, established)
	}

	// 7. Seekers end their conversations; both sides see the end.
	r.endConversations(ctx, rep)

	// 8. Close everything and account.
	r.close(ctx, rep, mon, start, established)
}

// consolesFirst connects the consoles before any seeker arrives, except in
// the pairs workload: then it returns them, to connect during the ramp.
func (r *runner) consolesFirst(ctx context.Context, rep *Report, tokens []string) (during []string, err error) {
	if r.o.Pairs {
		return tokens, nil
	}
	return nil, r.connectConsoles(ctx, rep, tokens)
}

// arrive is one help-seeker: start a conversation over HTTP, then connect.
func (r *runner) arrive(ctx context.Context, i int) {
	defer r.arrivals.Done()
	r.count.arrivals.Add(1)
	arrived := time.Now()
	audiences := []string{"self", "young", "other", ""}
	languages := []string{"es", "en"}
	body := map[string]string{"audience": audiences[i%len(audiences)], "language": languages[i%len(languages)], "region": ""}
	var st chatclient.Started
	for attempt := 0; ; attempt++ {
		err := r.nw.postJSON(ctx, "/api/seeker/conversations", "", body, http.StatusCreated, &st)
		if err == nil {
			break
		}
		if attempt == 3 || ctx.Err() != nil {
			r.count.arrivalFailures.Add(1)
			r.count.note("starting a conversation failed: %v", err)
			return
		}
		sleep(ctx, backoff(attempt))
	}
	conv := r.reg.get(st.ConversationID)
	conv.arrivedNs.Store(arrived.UnixNano())
	c := newClient(r, seekerSide, st.Token, 1)
	c.sides[conv.id] = &side{conv: conv}
	conv.clients[seekerSide].Store(c)
	r.addClient(c)
	r.readers.Add(1)
	go c.loop(ctx)
}

func (r *runner) establishedConversations() []*conversation {
	var out []*conversation
	for _, c := range r.reg.all() {
		if c.counted.Load() {
			out = append(out, c)
		}
	}
	return out
}

// settle waits (at most 30 s) until the server's resident memory stops
// falling, and returns it.
func (r *runner) settle(ctx context.Context, mon *monitor) int64 {
	if r.o.ServerPID <= 0 {
		return 0
	}
	last := mon.sample().RSSKiB
	steady := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && steady < 4 && ctx.Err() == nil; {
		sleep(ctx, 500*time.Millisecond)
		now := mon.sample().RSSKiB
		if last-now < 512 {
			steady++
		} else {
			steady = 0
		}
		last = now
	}
	return last
}

// provokeGC makes the server allocate about 300 MiB of short-lived garbage,
// harmlessly: quick-exit requests whose token is 60 KiB of nonsense
// (answered 401, nothing stored). An idle Go server does not collect
// garbage for up to two minutes, so without this the argon2id memory of
// the sign-ins stays resident and hides the cost of the connections made
// next; after a collection the runtime hands the free memory back.
func (r *runner) provokeGC(ctx context.Context) {
	body := map[string]string{"token": strings.Repeat("x", 60<<10)}
	parallel(ctx, 2500, 4, func(int) error {
		r.nw.postJSON(ctx, "/api/seeker/leave", "", body, http.StatusNoContent, nil)
		return nil
	})
}

// waitUntil polls progress until done ≥ want, ctx ends or timeout passes,
// logging every 5 s. It reports whether the goal was reached.
func (r *runner) waitUntil(ctx context.Context, timeout time.Duration, what string, progress func() (done, want int64)) bool {
	deadline := time.Now().Add(timeout)
	lastLog := time.Now()
	for {
		done, want := progress()
		if done >= want {
			r.logf("%s: %d/%d", what, done, want)
			return true
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			r.logf("%s: %d/%d, gave up", what, done, want)
			return false
		}
		if time.Since(lastLog) > 5*time.Second {
			lastLog = time.Now()
			r.logf("%s: %d/%d", what, done, want)
		}
		sleep(ctx, 20*time.Millisecond)
	}
}

// ping keeps quiet sockets alive as browsers do.
func (r *runner) ping(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		limit := nowNs() - int64(pingAfter)
		for _, c := range r.allClients() {
			if c.lastOut.Load() > limit {
				continue
			}
			c.mu.Lock()
			ws, lim := c.ws, c.lim
			c.mu.Unlock()
			if ws != nil && lim.Allow() {
				c.lastOut.Store(nowNs())
				c.writeOnce(ctx, ws, []byte(`{"type":"ping"}`))
			}
		}
	}
}

func (r *runner) stopAll() {
	for _, c := range r.allClients() {
		c.stop()
	}
	done := make(chan struct{})
	go func() {
		r.arrivals.Wait()
		for _, c := range r.allClients() { // arrivals may have added some
			c.stop()
		}
		r.readers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

func (r *runner) firstErrors() string {
	r.count.firstErrors.Lock()
	defer r.count.firstErrors.Unlock()
	if len(r.count.errorLog) == 0 {
		return "no error seen"
	}
	return r.count.errorLog[0]
}
