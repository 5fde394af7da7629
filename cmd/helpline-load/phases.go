package main

import (
	"context"
	"fmt"
	"time"
)

// The phases of Run, in the order it runs them.

// usage is the CPU the generator and the server had used at some moment.
type usage struct {
	generator time.Duration
	server    procSample
}

// halfway is the server as it was when half the conversations were
// established, for the marginal cost of a connection.
type halfway struct {
	sample procSample
	open   int64 // connections open then (0: never reached)
}

// signInCounselors makes the counsellor accounts and signs each in,
// returning their tokens.
func (r *runner) signInCounselors(ctx context.Context, rep *Report, mon *monitor) ([]string, error) {
	o := r.o
	nc := o.counselors()
	t0 := time.Now()
	r.logf("creating %d counsellor accounts (capacity %d)", nc, o.CounselorCapacity)
	creds, err := o.Accounts(ctx, o.RunID, nc, o.CounselorCapacity)
	if err != nil {
		return nil, fmt.Errorf("creating counsellor accounts: %w", err)
	}
	tokens := make([]string, nc)
	r.logf("signing in %d counsellors", nc)
	err = parallel(ctx, nc, 2, func(i int) error {
		in, err := r.nw.signIn(ctx, creds[i].Username, creds[i].Password)
		if err != nil {
			return fmt.Errorf("signing in %s: %w", creds[i].Username, err)
		}
		tokens[i] = in.Token
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Phases.SignIn = secs(time.Since(t0))
	rep.Server.RSSSignedInKiB = mon.sample().RSSKiB
	return tokens, nil
}

// baseline measures the server's memory before any connection, and
// returns its metrics then (nil if not read).
func (r *runner) baseline(ctx context.Context, rep *Report, mon *monitor) map[string]float64 {
	// Each sign-in cost the server a 64 MiB argon2id hash; let the runtime
	// hand that memory back before taking the baseline for connections.
	if r.o.ServerPID > 0 || r.o.MetricsURL != "" {
		r.logf("letting the server collect the sign-ins' garbage")
		mon.pause(true)
		r.provokeGC(ctx)
		mon.pause(false)
	}
	rep.Server.RSSBaselineKiB = r.settle(ctx, mon)
	return r.scrape(ctx)
}

// connectConsoles opens every counsellor's console and waits (at most
// 60 s) until all are connected.
func (r *runner) connectConsoles(ctx context.Context, rep *Report, tokens []string) error {
	t0 := time.Now()
	var counselors []*client
	for _, tok := range tokens {
		counselors = append(counselors, r.startConsole(ctx, tok))
	}
	if !r.waitUntil(ctx, 60*time.Second, "counsellors connected", func() (int64, int64) {
		n := 0
		for _, c := range counselors {
			if c.ready.Load() {
				n++
			}
		}
		return int64(n), int64(len(tokens))
	}) {
		return fmt.Errorf("not every counsellor could connect within 60 s (%s)", r.firstErrors())
	}
	rep.Phases.Consoles = secs(time.Since(t0))
	return nil
}

// startConsole opens one counsellor's console.
func (r *runner) startConsole(ctx context.Context, token string) *client {
	c := newClient(r, counselorSide, token, r.o.CounselorCapacity)
	r.addClient(c)
	r.readers.Add(1)
	go c.loop(ctx)
	return c
}

// ramp lets the seekers arrive at o.ArrivalRate and waits until their
// conversations are established (or o.AssignTimeout passes). The consoles
// of during connect meanwhile, the i-th just before the i-th seeker
// arrives: a console that connects while offers are being made must still
// get its ready frame first.
func (r *runner) ramp(ctx context.Context, rep *Report, mon *monitor, during []string) halfway {
	o := r.o
	if o.OnPhase != nil {
		o.OnPhase("ramp")
	}
	t0 := time.Now()
	r.logf("%d seekers arriving at %.0f/s, %d consoles connecting among them", o.Seekers, o.ArrivalRate, len(during))
	go func() {
		for i := range max(o.Seekers, len(during)) {
			sleep(ctx, time.Until(t0.Add(time.Duration(float64(i)/o.ArrivalRate*float64(time.Second)))))
			if ctx.Err() != nil {
				return
			}
			if i < len(during) {
				r.startConsole(ctx, during[i])
			}
			if i < o.Seekers {
				r.arrivals.Add(1)
				go r.arrive(ctx, i)
			}
		}
	}()
	allIn, half := r.awaitEstablished(ctx, mon, "conversations established")
	r.arrivals.Wait()
	rep.Phases.Ramp = secs(time.Since(t0))
	rep.StaffFrames.Ramp = r.consoleTraffic.counts()
	if !allIn {
		rep.fail("only %d of %d conversations were assigned and synced within %s", r.count.established.Load(), o.Seekers, o.AssignTimeout)
		r.describeStuck()
	}
	return half
}

// measureConnected reads what the open connections cost the server, and
// returns its metrics then (nil if not read).
func (r *runner) measureConnected(ctx context.Context, rep *Report, mon *monitor, half halfway, metricsBase map[string]float64) map[string]float64 {
	sleep(ctx, time.Second) // let the server settle before reading its memory
	connected := mon.sample()
	rep.Server.RSSConnectedKiB = connected.RSSKiB
	rep.Connections.Open = int(r.count.open.Load())
	if r.o.ServerPID > 0 && rep.Connections.Open > 0 {
		rep.Server.PerConnectionKiB = round1(float64(connected.RSSKiB-rep.Server.RSSBaselineKiB) / float64(rep.Connections.Open))
		if n := int64(rep.Connections.Open) - half.open; half.open > 0 && n > 0 {
			rep.Server.MarginalKiB = round1(float64(connected.RSSKiB-half.sample.RSSKiB) / float64(n))
		}
	}
	if r.o.MetricsURL == "" {
		return nil
	}
	// The garbage made here is the generator's doing, so these samples
	// do not count towards the peak (the memory the runtime keeps from
	// it for a while afterwards still may: the peak is an upper bound).
	mon.pause(true)
	r.provokeGC(ctx)
	metricsConnected := r.scrape(ctx)
	mon.pause(false)
	if metricsBase != nil && metricsConnected != nil {
		rep.Runtime = runtimeReport(metricsBase, metricsConnected, rep.Connections.Open)
	}
	return metricsConnected
}

// runtimeReport is the server's own memory figures, from its metrics
// before and after the connections were made.
func runtimeReport(base, connected map[string]float64, open int) *RuntimeReport {
	rt := &RuntimeReport{MetricsRead: true,
		LiveHeapBaselineKiB: liveHeap(base), LiveHeapConnectedKiB: liveHeap(connected),
		StacksBaselineKiB:  int64(base["go_memstats_stack_inuse_bytes"] / 1024),
		StacksConnectedKiB: int64(connected["go_memstats_stack_inuse_bytes"] / 1024),
		Goroutines:         int64(connected["go_goroutines"])}
	if open > 0 {
		rt.PerConnectionKiB = round1(float64(rt.LiveHeapConnectedKiB-rt.LiveHeapBaselineKiB+rt.StacksConnectedKiB-rt.StacksBaselineKiB) /
			float64(open))
	}
	return rt
}

// steady has both sides of every established conversation send for
// o.Duration (until sendCtx ends), and measures that phase.
func (r *runner) steady(ctx, sendCtx context.Context, rep *Report, mon *monitor, established []*conversation, metricsConnected map[string]float64,
	sendLoop func(ctx context.Context, conv *conversation, s sideID)) {
	o := r.o
	gen1, srv1, pg1 := selfCPU(), mon.sample(), postgresProcesses()
	steadyStart := time.Now()
	r.steadyStart = steadyStart
	traffic0, console0 := r.traffic.counts(), r.consoleTraffic.counts()
	r.phase.Store(phaseSteady)
	r.logf("steady phase: %d conversations, %s", len(established), o.Duration)
	for _, conv := range established {
		for _, s := range []sideID{seekerSide, counselorSide} {
			r.senders.Add(1)
			go sendLoop(sendCtx, conv, s)
		}
	}
	sleep(ctx, o.Duration)
	if o.OnPhase != nil {
		o.OnPhase("steady")
	}
	steadyEnd := time.Now()
	rep.ReceivedSteady = subtract(r.traffic.counts(), traffic0)
	rep.StaffFrames.Steady = subtract(r.consoleTraffic.counts(), console0)
	gen2, srv2, pg2 := selfCPU(), mon.sample(), postgresProcesses()
	if o.PostgresCPU {
		rep.Postgres = postgresReport(pg1, pg2, time.Since(steadyStart))
		rep.Postgres.attribute(socketPorts(o.ServerPID), time.Since(steadyStart).Seconds())
	}
	if m := r.scrape(ctx); m != nil && rep.Runtime != nil {
		if n := m["helpline_store_batch_messages_count"] - metricsConnected["helpline_store_batch_messages_count"]; n > 0 {
			rep.Runtime.BatchMean = round1((m["helpline_store_batch_messages_sum"] - metricsConnected["helpline_store_batch_messages_sum"]) / n)
		}
	}
	elapsed := steadyEnd.Sub(steadyStart)
	rep.Phases.Steady = secs(elapsed)
	rep.Messages.PerSecond = round1(float64(r.count.steadyReceived.Load()) / elapsed.Seconds())
	rep.Server.CPUSteadySeconds = secs(srv2.CPU - srv1.CPU)
	rep.Generator.CPUSteadySeconds = secs(gen2 - gen1)
	rep.Server.CPUSteadyCores = round2((srv2.CPU - srv1.CPU).Seconds() / elapsed.Seconds())
	rep.Generator.CPUSteadyCores = round2((gen2 - gen1).Seconds() / elapsed.Seconds())
	rep.headline()
}

// stormPhase drops every connection at once, fails the run unless every
// conversation resumes, and keeps messaging for o.AfterStorm.
func (r *runner) stormPhase(ctx context.Context, rep *Report, established []*conversation) {
	rep.Storm = r.storm(ctx, established)
	if rep.Storm.Resumed < rep.Storm.Conversations {
		rep.fail("reconnect storm: %d of %d conversations resumed within %s", rep.Storm.Resumed, rep.Storm.Conversations, r.o.ResumeTimeout)
	}
	sleep(ctx, r.o.AfterStorm)
}

// drain waits until every message sent is acknowledged and received.
func (r *runner) drain(ctx context.Context, rep *Report) {
	r.phase.Store(phaseDrain)
	t0 := time.Now()
	r.waitUntil(ctx, r.o.DrainTimeout, "messages acknowledged and received", func() (int64, int64) {
		s := r.count.sent.Load()
		return min(r.count.acked.Load(), r.count.received.Load()), s
	})
	rep.Phases.Drain = secs(time.Since(t0))
}

// queuePhase measures a long waiting queue (QueueReport).
func (r *runner) queuePhase(ctx context.Context, rep *Report, established []*conversation) {
	t0 := time.Now()
	r.phase.Store(phaseQueue)
	r.queue(ctx, rep, established)
	rep.Phases.Queue = secs(time.Since(t0))
}

// endConversations has every seeker still connected end its conversation,
// and waits until both sides have seen each end.
func (r *runner) endConversations(ctx context.Context, rep *Report) {
	t0 := time.Now()
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
	if !r.waitUntil(ctx, 60*time.Second, "conversation ends seen", r.endedSides) {
		done, want := r.endedSides()
		rep.fail("only %d of %d conversation sides saw their conversation end", done, want)
	}
	rep.Phases.End = secs(time.Since(t0))
}

// endedSides counts the conversation sides that have a client, and those
// of them that saw their conversation end.
func (r *runner) endedSides() (done, want int64) {
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

// close stops every client, takes the last measurements and accounts for
// every message.
func (r *runner) close(ctx context.Context, rep *Report, mon *monitor, start usage, established []*conversation) {
	r.stopAll()
	sleep(ctx, 500*time.Millisecond)
	final := mon.sample()
	peak, monErr := mon.close()
	if monErr != nil && r.o.ServerPID > 0 {
		rep.fail("reading /proc/%d: %v", r.o.ServerPID, monErr)
	}
	rep.Server.RSSPeakKiB = peak
	rep.Server.RSSFinalKiB = final.RSSKiB
	if m := r.scrape(context.WithoutCancel(ctx)); m != nil && rep.Runtime != nil {
		rep.Runtime.SlowClosed = int64(m["helpline_slow_connections_closed_total"])
		rep.Runtime.Refused = int64(sumPrefix(m, "helpline_frames_refused_total"))
	}
	if r.o.ServerPID > 0 {
		rep.Server.CPUSeconds = secs(final.CPU - start.server.CPU)
	}
	rep.Generator.CPUSeconds = secs(selfCPU() - start.generator)
	rep.Machine.LoadAfter = loadAverage()
	r.account(rep, established)
	rep.finish()
}

// awaitEstablished waits until every arrival is established (or failed,
// or the assign timeout passes), taking the halfway sample on the way, and
// says whether all got in.
func (r *runner) awaitEstablished(ctx context.Context, mon *monitor, what string) (allIn bool, half halfway) {
	o := r.o
	allIn = r.waitUntil(ctx, o.AssignTimeout, what, func() (int64, int64) {
		n := r.count.established.Load()
		if half.open == 0 && n >= int64(o.Seekers/2) {
			half = halfway{sample: mon.sample(), open: r.count.open.Load()}
		}
		return n, int64(o.Seekers) - r.count.arrivalFailures.Load()
	})
	return allIn, half
}
