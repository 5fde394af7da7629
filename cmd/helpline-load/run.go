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
	traffic                            *traffic

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
	if err := o.check(); err != nil {
		return Report{}, err
	}
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if o.AssignTimeout == 0 {
		o.AssignTimeout = time.Duration(float64(o.Seekers)/o.ArrivalRate*float64(time.Second)) + 60*time.Second
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
		notBefore: time.Now().Add(-time.Second)}
	rep := newReport(o)
	defer r.stopAll()

	mon := startMonitor(o.ServerPID, 250*time.Millisecond)
	defer mon.close()
	gen0, srv0 := selfCPU(), mon.sample()
	rep.Machine.LoadBefore = loadAverage()
	rep.Server.RSSIdleKiB = srv0.RSSKiB

	// 1. Counsellors: accounts, sign-in, consoles.
	nc := (o.Seekers + o.CounselorCapacity - 1) / o.CounselorCapacity
	t0 := time.Now()
	r.logf("creating %d counsellor accounts (capacity %d)", nc, o.CounselorCapacity)
	creds, err := o.Accounts(ctx, o.RunID, nc, o.CounselorCapacity)
	if err != nil {
		return rep, fmt.Errorf("creating counsellor accounts: %w", err)
	}
	tokens := make([]string, nc)
	r.logf("signing in %d counsellors", nc)
	err = parallel(ctx, nc, 2, func(i int) error {
		in, err := nw.signIn(ctx, creds[i].Username, creds[i].Password)
		if err != nil {
			return fmt.Errorf("signing in %s: %w", creds[i].Username, err)
		}
		tokens[i] = in.Token
		return nil
	})
	if err != nil {
		return rep, err
	}
	rep.Phases.SignIn = secs(time.Since(t0))
	rep.Server.RSSSignedInKiB = mon.sample().RSSKiB
	// Each sign-in cost the server a 64 MiB argon2id hash; let the runtime
	// hand that memory back before taking the baseline for connections.
	if o.ServerPID > 0 || o.MetricsURL != "" {
		r.logf("letting the server collect the sign-ins' garbage")
		mon.pause(true)
		r.provokeGC(ctx)
		mon.pause(false)
	}
	rep.Server.RSSBaselineKiB = r.settle(ctx, mon)
	metricsBase := r.scrape(ctx)

	pinger := time.NewTicker(5 * time.Second)
	defer pinger.Stop()
	go r.ping(ctx, pinger.C)

	t0 = time.Now()
	var counselors []*client
	for _, tok := range tokens {
		c := newClient(r, counselorSide, tok, o.CounselorCapacity)
		counselors = append(counselors, c)
		r.addClient(c)
		r.readers.Add(1)
		go c.loop(ctx)
	}
	if !r.waitUntil(ctx, 60*time.Second, "counsellors connected", func() (int64, int64) {
		n := 0
		for _, c := range counselors {
			if c.ready.Load() {
				n++
			}
		}
		return int64(n), int64(nc)
	}) {
		return rep, fmt.Errorf("not every counsellor could connect within 60 s (%s)", r.firstErrors())
	}
	rep.Phases.Consoles = secs(time.Since(t0))

	// 2. Seekers arrive at a bounded rate; counsellors accept them.
	if o.OnPhase != nil {
		o.OnPhase("ramp")
	}
	t0 = time.Now()
	r.logf("%d seekers arriving at %.0f/s", o.Seekers, o.ArrivalRate)
	go func() {
		for i := range o.Seekers {
			sleep(ctx, time.Until(t0.Add(time.Duration(float64(i)/o.ArrivalRate*float64(time.Second)))))
			if ctx.Err() != nil {
				return
			}
			r.arrivals.Add(1)
			go r.arrive(ctx, i)
		}
	}()
	var half procSample
	var halfOpen int64
	allIn := r.waitUntil(ctx, o.AssignTimeout, "conversations established", func() (int64, int64) {
		n := r.count.established.Load()
		if halfOpen == 0 && n >= int64(o.Seekers/2) {
			half, halfOpen = mon.sample(), r.count.open.Load()
		}
		return n, int64(o.Seekers) - r.count.arrivalFailures.Load()
	})
	r.arrivals.Wait()
	rep.Phases.Ramp = secs(time.Since(t0))
	if !allIn {
		rep.fail("only %d of %d conversations were assigned and synced within %s", r.count.established.Load(), o.Seekers, o.AssignTimeout)
		r.describeStuck()
	}
	if ctx.Err() != nil {
		r.account(&rep, nil)
		rep.finish()
		return rep, ctx.Err()
	}
	established := r.establishedConversations()
	sleep(ctx, time.Second) // let the server settle before reading its memory
	connected := mon.sample()
	rep.Server.RSSConnectedKiB = connected.RSSKiB
	rep.Connections.Open = int(r.count.open.Load())
	if o.ServerPID > 0 && rep.Connections.Open > 0 {
		rep.Server.PerConnectionKiB = round1(float64(connected.RSSKiB-rep.Server.RSSBaselineKiB) / float64(rep.Connections.Open))
		if n := int64(rep.Connections.Open) - halfOpen; halfOpen > 0 && n > 0 {
			rep.Server.MarginalKiB = round1(float64(connected.RSSKiB-half.RSSKiB) / float64(n))
		}
	}
	var metricsConnected map[string]float64
	if o.MetricsURL != "" {
		// The garbage made here is the generator's doing, so these samples
		// do not count towards the peak (the memory the runtime keeps from
		// it for a while afterwards still may: the peak is an upper bound).
		mon.pause(true)
		r.provokeGC(ctx)
		metricsConnected = r.scrape(ctx)
		mon.pause(false)
		if metricsBase != nil && metricsConnected != nil {
			rt := &RuntimeReport{MetricsRead: true,
				LiveHeapBaselineKiB: liveHeap(metricsBase), LiveHeapConnectedKiB: liveHeap(metricsConnected),
				StacksBaselineKiB:  int64(metricsBase["go_memstats_stack_inuse_bytes"] / 1024),
				StacksConnectedKiB: int64(metricsConnected["go_memstats_stack_inuse_bytes"] / 1024),
				Goroutines:         int64(metricsConnected["go_goroutines"])}
			if rep.Connections.Open > 0 {
				rt.PerConnectionKiB = round1(float64(rt.LiveHeapConnectedKiB-rt.LiveHeapBaselineKiB+rt.StacksConnectedKiB-rt.StacksBaselineKiB) /
					float64(rep.Connections.Open))
			}
			rep.Runtime = rt
		}
	}
	if o.OnPhase != nil {
		o.OnPhase("connected")
	}

	// 3. Steady messaging.
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	gen1, srv1, pg1 := selfCPU(), mon.sample(), postgresCPU()
	steadyStart := time.Now()
	traffic0 := r.traffic.counts()
	r.phase.Store(phaseSteady)
	r.logf("steady phase: %d conversations, %s", len(established), o.Duration)
	for _, conv := range established {
		for _, s := range []sideID{seekerSide, counselorSide} {
			r.senders.Add(1)
			go r.sendLoop(sendCtx, conv, s)
		}
	}
	sleep(ctx, o.Duration)
	if o.OnPhase != nil {
		o.OnPhase("steady")
	}
	steadyEnd := time.Now()
	rep.ReceivedSteady = subtract(r.traffic.counts(), traffic0)
	gen2, srv2, pg2 := selfCPU(), mon.sample(), postgresCPU()
	if o.PostgresCPU {
		rep.Postgres = &PostgresReport{CPUSteadySeconds: secs(pg2 - pg1), CPUSteadyCores: round2((pg2 - pg1).Seconds() / time.Since(steadyStart).Seconds())}
	}
	if m := r.scrape(ctx); m != nil && rep.Runtime != nil {
		if n := m["helpline_store_batch_messages_count"] - metricsConnected["helpline_store_batch_messages_count"]; n > 0 {
			rep.Runtime.BatchMean = round1((m["helpline_store_batch_messages_sum"] - metricsConnected["helpline_store_batch_messages_sum"]) / n)
		}
	}
	rep.Phases.Steady = secs(steadyEnd.Sub(steadyStart))
	rep.Messages.PerSecond = round1(float64(r.count.steadyReceived.Load()) / steadyEnd.Sub(steadyStart).Seconds())
	rep.Server.CPUSteadySeconds = secs(srv2.CPU - srv1.CPU)
	rep.Generator.CPUSteadySeconds = secs(gen2 - gen1)
	rep.Server.CPUSteadyCores = round2((srv2.CPU - srv1.CPU).Seconds() / steadyEnd.Sub(steadyStart).Seconds())
	rep.Generator.CPUSteadyCores = round2((gen2 - gen1).Seconds() / steadyEnd.Sub(steadyStart).Seconds())

	// 4. Reconnect storm.
	if o.Storm && ctx.Err() == nil {
		rep.Storm = r.storm(ctx, established)
		if rep.Storm.Resumed < rep.Storm.Conversations {
			rep.fail("reconnect storm: %d of %d conversations resumed within %s", rep.Storm.Resumed, rep.Storm.Conversations, o.ResumeTimeout)
		}
		sleep(ctx, o.AfterStorm)
	}
	stopSending()
	r.senders.Wait()

	// 5. Drain: every message sent is acknowledged and received.
	r.phase.Store(phaseDrain)
	t0 = time.Now()
	r.waitUntil(ctx, o.DrainTimeout, "messages acknowledged and received", func() (int64, int64) {
		s := r.count.sent.Load()
		return min(r.count.acked.Load(), r.count.received.Load()), s
	})
	rep.Phases.Drain = secs(time.Since(t0))

	// 6. Optionally: a long queue, and how fast offers and places move.
	if o.Waiting > 0 && ctx.Err() == nil {
		t0 = time.Now()
		r.phase.Store(phaseQueue)
		r.queue(ctx, &rep, established)
		rep.Phases.Queue = secs(time.Since(t0))
	}

	// 7. Seekers end their conversations; both sides see the end.
	t0 = time.Now()
	var toEnd []*conversation
	for _, c := range r.reg.all() {
		if c.clients[seekerSide].Load() != nil && !c.ended[seekerSide].Load() {
			toEnd = append(toEnd, c)
		}
	}
	parallel(ctx, len(toEnd), 64, func(i int) error {
		conv := toEnd[i]
		conv.clients[seekerSide].Load().deliver(ctx, fmt.Appendf(nil, `{"type":"end","conversation_id":%q,"reason":""}`, conv.id))
		return nil
	})
	endedSides := func() (done, want int64) {
		for _, c := range r.reg.all() {
			for s := range c.clients {
				if c.clients[s].Load() != nil {
					want++
					if c.ended[s].Load() {
						done++
					}
				}
			}
		}
		return done, want
	}
	if !r.waitUntil(ctx, 60*time.Second, "conversation ends seen", endedSides) {
		done, want := endedSides()
		rep.fail("only %d of %d conversation sides saw their conversation end", done, want)
	}
	rep.Phases.End = secs(time.Since(t0))

	// 8. Close everything and account.
	r.stopAll()
	sleep(ctx, 500*time.Millisecond)
	final := mon.sample()
	peak, monErr := mon.close()
	if monErr != nil && o.ServerPID > 0 {
		rep.fail("reading /proc/%d: %v", o.ServerPID, monErr)
	}
	rep.Server.RSSPeakKiB = peak
	rep.Server.RSSFinalKiB = final.RSSKiB
	if m := r.scrape(context.WithoutCancel(ctx)); m != nil && rep.Runtime != nil {
		rep.Runtime.SlowClosed = int64(m["helpline_slow_connections_closed_total"])
		rep.Runtime.Refused = int64(sumPrefix(m, "helpline_frames_refused_total"))
	}
	if o.ServerPID > 0 {
		rep.Server.CPUSeconds = secs(final.CPU - srv0.CPU)
	}
	rep.Generator.CPUSeconds = secs(selfCPU() - gen0)
	rep.Machine.LoadAfter = loadAverage()
	r.account(&rep, established)
	rep.finish()
	return rep, nil
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
