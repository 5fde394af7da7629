package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"helpline/chat/chatclient"
)

// Options configure one run; zero fields take the defaults of flags in main.go.
type Options struct {
	URL               string        // the server, http://127.0.0.1:8080 (loopback only)
	Label             string        // shown in the report, e.g. the store
	Seekers           int           // conversations to hold at once
	CounselorCapacity int           // conversations per counsellor; Seekers/capacity accounts are made
	Routing           string        // the server's HELPLINE_ROUTING: offer (accept offers) or pick (choose from the queue)
	ArrivalRate       float64       // seekers arriving per second
	Duration          time.Duration // steady messaging before the storm (or the end)
	Interval          time.Duration // each side of each conversation sends every Interval …
	Jitter            time.Duration // … ± up to Jitter
	BodyBytes         int           // message body size
	ServerPID         int           // read the server's memory and CPU from /proc (0: not measured)
	PostgresCPU       bool          // also report the CPU of every postgres process on this machine
	MetricsURL        string        // the server's Prometheus /metrics (HELPLINE_METRICS_ADDR), for its own memory figures
	Storm             bool          // drop and reconnect every client at once after the steady phase
	AfterStorm        time.Duration // keep messaging this long once all conversations resumed
	AssignTimeout     time.Duration // how long arrivals may take to be assigned (0: Seekers/ArrivalRate + 60 s)
	ResumeTimeout     time.Duration // how long the storm may take to resume
	DrainTimeout      time.Duration // how long to wait for outstanding acks and receipts
	Waiting           int           // offer routing: after the steady phase, this many more seekers wait in the queue …
	QueueRounds       int           // … while, this many times, one conversation ends and the next is offered
	LocalAddrs        int           // spread client source addresses over 127.0.0.2… (IPv4 loopback only)
	RunID             string        // names this run's accounts (default random)
	Admin             string        // admin "user:password" for the default Accounts
	Accounts          AccountMaker  // makes the counsellor accounts (default: admin API with Admin)
	Log               io.Writer     // progress lines (default: discarded)
	OnPhase           func(string)  // called at "ramp" (arrivals begin), "connected" (all established, before messaging) and "steady" (its end)
}

// DefaultOptions are the flags' defaults.
func DefaultOptions() Options {
	return Options{URL: "http://127.0.0.1:8080", Seekers: 1000, CounselorCapacity: 10, Routing: RoutingOffer, ArrivalRate: 100,
		Duration: 60 * time.Second, Interval: time.Second, Jitter: 250 * time.Millisecond, BodyBytes: 200,
		AfterStorm: 5 * time.Second, QueueRounds: 20, ResumeTimeout: 60 * time.Second, DrainTimeout: 30 * time.Second, LocalAddrs: 200}
}

func (o Options) check() error {
	var errs []error
	if o.Seekers < 1 {
		errs = append(errs, errors.New("--seekers must be at least 1"))
	}
	if o.CounselorCapacity < 1 {
		errs = append(errs, errors.New("--counselor-capacity must be at least 1"))
	}
	if o.Routing != RoutingOffer && o.Routing != RoutingPick {
		errs = append(errs, errors.New("--routing must be offer or pick, as the server's HELPLINE_ROUTING"))
	}
	if o.ArrivalRate <= 0 {
		errs = append(errs, errors.New("--arrival-rate must be positive"))
	}
	if o.Interval <= 0 || o.Jitter < 0 || o.Jitter >= o.Interval {
		errs = append(errs, errors.New("--interval must be positive and --jitter smaller than it"))
	}
	if o.BodyBytes < 40 || o.BodyBytes > 4000 {
		errs = append(errs, errors.New("--body-bytes must be 40…4000 (the body carries a 40-byte header)"))
	}
	if o.Waiting > 0 && o.Routing != RoutingOffer {
		errs = append(errs, errors.New("--waiting measures offers: it needs --routing offer"))
	}
	if o.Duration <= 0 {
		errs = append(errs, errors.New("--duration must be positive"))
	}
	if o.Accounts == nil && o.Admin == "" {
		errs = append(errs, errors.New("--admin user:password is needed to create counsellor accounts"))
	}
	return errors.Join(errs...)
}

// Assignment modes (the server's HELPLINE_ROUTING).
const (
	RoutingOffer = "offer"
	RoutingPick  = "pick"
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

// describeLost says what is known about a message acknowledged as seq
// ackSeq but never received by the other side (called once every reader
// has stopped, so the receiver's state can be read).
func (r *runner) describeLost(conv *conversation, from sideID, n int, m msgRec) string {
	to := from.other()
	last, ended, synced := int64(-1), false, false
	if c := conv.clients[to].Load(); c != nil {
		if s := c.sides[conv.id]; s != nil {
			last, ended, synced = s.lastSeq, s.ended, s.synced
		}
	}
	return fmt.Sprintf("lost: conversation %d, %s message %d acknowledged as seq %d; the %s saw up to seq %d (ended %v, synced on its last connection %v, resumed after the storm %v, conversation ended on both sides %v/%v)",
		conv.idx, from.sender(), n, m.ackSeq, to.sender(), last, ended, synced, conv.resumedNs[to].Load() != 0,
		conv.ended[seekerSide].Load(), conv.ended[counselorSide].Load())
}

// describeStuck notes the state of a few conversations that were not
// established, for diagnosis.
func (r *runner) describeStuck() {
	n := 0
	for _, c := range r.reg.all() {
		if c.counted.Load() {
			continue
		}
		_, claimed := r.claims.Load(c.id)
		r.count.note("not established: conversation %d %s: arrived %v, seeker told assigned %v, seeker synced %v, counsellor %v, counsellor synced %v, claimed %v",
			c.idx, c.id, c.arrivedNs.Load() != 0, c.assignedNs.Load() != 0, c.synced[seekerSide].Load(),
			c.clients[counselorSide].Load() != nil, c.synced[counselorSide].Load(), claimed)
		if n++; n == 5 {
			return
		}
	}
}

// assigned records that a seeker learnt a counsellor took its conversation.
func (r *runner) assigned(conv *conversation) {
	now := nowNs()
	if conv.assignedNs.CompareAndSwap(0, now) {
		// Only arrivals of the ramp count: the queue phase makes seekers wait on purpose.
		if a := conv.arrivedNs.Load(); a != 0 && r.phase.Load() == phaseSetup {
			r.assign.add(time.Duration(now - a))
		}
		r.tryEstablish(conv)
	}
}

func (r *runner) synced(conv *conversation, s sideID) {
	if !conv.synced[s].Swap(true) {
		r.tryEstablish(conv)
	}
}

func (r *runner) tryEstablish(conv *conversation) {
	if conv.assignedNs.Load() != 0 && conv.synced[0].Load() && conv.synced[1].Load() && conv.counted.CompareAndSwap(false, true) {
		r.count.established.Add(1)
	}
}

func (r *runner) nextInterval() time.Duration {
	d := r.o.Interval
	if j := r.o.Jitter; j > 0 {
		d += rand.N(2*j+1) - j
	}
	return max(d, time.Millisecond)
}

// sendLoop is one side of one conversation typing away.
func (r *runner) sendLoop(ctx context.Context, conv *conversation, s sideID) {
	defer r.senders.Done()
	c := conv.clients[s].Load()
	if c == nil {
		return
	}
	t := time.NewTimer(rand.N(r.o.Interval) + 1) // spread the first sends
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.sendOne(ctx, c, conv, s)
		t.Reset(r.nextInterval())
	}
}

func (r *runner) sendOne(ctx context.Context, c *client, conv *conversation, s sideID) {
	ws, lim := c.conn(ctx)
	if ws == nil || lim.Wait(ctx) != nil {
		return
	}
	sentAt := nowNs()
	conv.mu.Lock()
	n := len(conv.sent[s])
	conv.sent[s] = append(conv.sent[s], msgRec{sentAt: sentAt})
	conv.mu.Unlock()
	r.count.sent.Add(1)
	data := sendFrame(conv.id, clientID(conv.idx, n), messageBody(conv.idx, s, n, sentAt, r.o.BodyBytes))
	c.lastOut.Store(sentAt)
	if c.writeOnce(ctx, ws, data) == nil {
		return
	}
	// The connection failed under us: send it on the next one (the
	// reconnect resends it too; the server stores it once).
	go c.deliver(r.ctx, data)
}

// frameFor rebuilds the send frame of message n of side s.
func (r *runner) frameFor(conv *conversation, s sideID, n int, sentAt int64) []byte {
	return sendFrame(conv.id, clientID(conv.idx, n), messageBody(conv.idx, s, n, sentAt, r.o.BodyBytes))
}

// unacked returns the send frames of side s's messages not yet acknowledged.
func (r *runner) unacked(conv *conversation, s sideID) [][]byte {
	conv.mu.Lock()
	defer conv.mu.Unlock()
	var out [][]byte
	for n, m := range conv.sent[s] {
		if m.ackSeq == 0 {
			out = append(out, r.frameFor(conv, s, n, m.sentAt))
		}
	}
	return out
}

func (r *runner) acked(c *client, f *frame) {
	idx, n, ok := parseClientID(f.ClientID)
	conv := r.reg.at(idx)
	if !ok || conv == nil || conv.id != f.ConversationID {
		r.count.foreign.Add(1)
		return
	}
	conv.mu.Lock()
	if n < 0 || n >= len(conv.sent[c.side]) {
		conv.mu.Unlock()
		r.count.foreign.Add(1)
		return
	}
	m := &conv.sent[c.side][n]
	first, prev := m.ackSeq == 0, m.ackSeq
	if first {
		m.ackSeq = f.Seq
	}
	sentAt := m.sentAt
	conv.mu.Unlock()
	switch {
	case first:
		r.count.acked.Add(1)
		if r.phase.Load() == phaseSteady {
			r.ack.add(time.Duration(nowNs() - sentAt))
		}
	case prev != f.Seq:
		r.count.ackConflicts.Add(1)
		r.count.note("message %s of conversation %d acknowledged as seq %d and as seq %d: stored twice", f.ClientID, idx, prev, f.Seq)
	default:
		r.count.ackRepeats.Add(1)
	}
}

// receivedMsg checks one message the other side (from) wrote.
func (r *runner) receivedMsg(conv *conversation, from sideID, body string) {
	now := nowNs()
	idx, s, n, sentAt, ok := parseBody(body)
	if !ok || idx != conv.idx || s != from {
		r.count.foreign.Add(1)
		r.count.note("unexpected message body in conversation %d: %.40q", conv.idx, body)
		return
	}
	conv.mu.Lock()
	if n < 0 || n >= len(conv.sent[s]) {
		conv.mu.Unlock()
		r.count.foreign.Add(1)
		return
	}
	m := &conv.sent[s][n]
	m.recv++
	first := m.recv == 1
	conv.mu.Unlock()
	if !first {
		r.count.dupReceipts.Add(1)
		r.count.note("message %d-%d-%d received %d times", idx, s, n, m.recv)
		return
	}
	r.count.received.Add(1)
	switch r.phase.Load() {
	case phaseSteady:
		r.count.steadyReceived.Add(1)
		r.latency.add(time.Duration(now - sentAt))
		r.latencyTo[from.other()].add(time.Duration(now - sentAt))
	default:
		r.stormLatency.add(time.Duration(now - sentAt))
	}
}

func (r *runner) sendFailed(c *client, idx, n int, f *frame) {
	conv := r.reg.at(idx)
	if conv == nil {
		r.count.foreign.Add(1)
		return
	}
	conv.mu.Lock()
	var sentAt, ackSeq int64
	if n >= 0 && n < len(conv.sent[c.side]) {
		sentAt, ackSeq = conv.sent[c.side][n].sentAt, conv.sent[c.side][n].ackSeq
	}
	conv.mu.Unlock()
	if ackSeq != 0 {
		// A repeat (after a reconnect) of a send already stored and
		// acknowledged, refused because the conversation has ended since.
		r.count.lateRefusals.Add(1)
		return
	}
	switch f.Code {
	case "unavailable", "internal":
		// Not stored: send the same client id again shortly.
		r.count.sendRetries.Add(1)
		data := r.frameFor(conv, c.side, n, sentAt)
		time.AfterFunc(time.Second, func() { c.deliver(r.ctx, data) })
	default:
		r.count.sendErrors.Add(1)
		r.count.note("send %s refused: %s: %s", f.Ref, f.Code, f.Message)
	}
}

// storm drops every client at once and waits until every conversation has
// been synced again on both sides.
func (r *runner) storm(ctx context.Context, established []*conversation) *StormReport {
	r.phase.Store(phaseStorm)
	clients := r.allClients()
	sr := &StormReport{Clients: len(clients), Conversations: len(established)}
	sr.InFlight = r.count.sent.Load() - r.count.acked.Load()
	resent0, fail0 := r.count.resent.Load(), r.count.connectFailures.Load()
	r.logf("reconnect storm: dropping %d connections", len(clients))
	start := time.Now()
	for _, c := range clients {
		c.drop()
	}
	r.waitUntil(ctx, r.o.ResumeTimeout, "conversations resumed", func() (int64, int64) {
		n := 0
		for _, conv := range established {
			if conv.resumedNs[0].Load() != 0 && conv.resumedNs[1].Load() != 0 {
				n++
			}
		}
		return int64(n), int64(len(established))
	})
	var perClient, perConv []int64
	for _, c := range clients {
		if t := c.resumedNs.Load(); t != 0 {
			perClient = append(perClient, t-start.UnixNano())
		}
	}
	var last int64
	for _, conv := range established {
		a, b := conv.resumedNs[0].Load(), conv.resumedNs[1].Load()
		if a != 0 && b != 0 {
			sr.Resumed++
			t := max(a, b) - start.UnixNano()
			perConv = append(perConv, t)
			last = max(last, t)
		}
	}
	sr.ClientsResumed = len(perClient)
	sr.AllResumedSeconds = secs(time.Duration(last))
	sr.Client = summarize(perClient)
	sr.Conversation = summarize(perConv)
	sr.Resent = r.count.resent.Load() - resent0
	sr.FailedAttempts = r.count.connectFailures.Load() - fail0
	return sr
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

// account checks every message: each acknowledged one must have been
// received exactly once by the other side.
func (r *runner) account(rep *Report, established []*conversation) {
	var lost, lostAway, dup, unacked, sent int64
	var lostNotes []string
	for _, conv := range r.reg.all() {
		conv.mu.Lock()
		for s := range conv.sent {
			away := conv.endedAway[sideID(s).other()].Load()
			for n, m := range conv.sent[s] {
				sent++
				switch {
				case m.ackSeq == 0:
					unacked++
				case m.recv == 0 && away:
					lostAway++
				case m.recv == 0:
					lost++
					if len(lostNotes) < 5 {
						lostNotes = append(lostNotes, r.describeLost(conv, sideID(s), n, m))
					}
				}
				if m.recv > 1 {
					dup += int64(m.recv - 1)
				}
			}
		}
		conv.mu.Unlock()
	}
	c := &r.count
	rep.Connections.Counselors = (r.o.Seekers + r.o.CounselorCapacity - 1) / r.o.CounselorCapacity
	rep.Connections.Seekers = int(c.arrivals.Load() - c.arrivalFailures.Load())
	rep.Connections.Total = rep.Connections.Counselors + rep.Connections.Seekers
	rep.Connections.Peak = int(c.peakOpen.Load())
	rep.Connections.Connects = c.connects.Load()
	rep.Connections.FailedAttempts = c.connectFailures.Load()
	rep.Connections.UnexpectedDrops = c.unexpectedDrops.Load()
	rep.Conversations.Started = rep.Connections.Seekers
	rep.Conversations.Established = len(established)
	for _, conv := range r.reg.all() {
		if conv.ended[seekerSide].Load() {
			rep.Conversations.Ended++
		}
	}
	rep.Conversations.AcceptConflicts = c.acceptConflicts.Load()
	rep.Messages.Sent = sent
	rep.Messages.Acked = c.acked.Load()
	rep.Messages.Received = c.received.Load()
	rep.Messages.Lost = lost + lostAway + c.seqGaps.Load()
	rep.Messages.LostEndedAway = lostAway
	rep.Messages.Duplicated = dup + c.ackConflicts.Load() + c.seqRepeats.Load()
	rep.Messages.Unacked = unacked
	rep.Messages.SeqGaps = c.seqGaps.Load()
	rep.Messages.SeqRepeats = c.seqRepeats.Load()
	rep.Messages.Resent = c.resent.Load()
	rep.Messages.Retried = c.sendRetries.Load()
	rep.Messages.Refused = c.sendErrors.Load()
	rep.Messages.RateLimited = c.rateLimited.Load()
	rep.Latency = r.latency.summary()
	rep.LatencyToSeeker = r.latencyTo[seekerSide].summary()
	rep.LatencyToCounselor = r.latencyTo[counselorSide].summary()
	rep.AckLatency = r.ack.summary()
	rep.StormLatency = r.stormLatency.summary()
	rep.Assignment = r.assign.summary()
	rep.Received = r.traffic.counts()
	c.firstErrors.Lock()
	rep.Problems = append(rep.Problems, c.errorLog...)
	c.firstErrors.Unlock()
	rep.Problems = append(rep.Problems, lostNotes...)
	if c.foreign.Load() > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d frames about conversations or messages this run did not make", c.foreign.Load()))
	}
	if n := c.arrivalFailures.Load(); n > 0 {
		rep.fail("%d seekers could not start a conversation", n)
	}
	if rep.Messages.Lost > 0 {
		rep.fail("%d messages lost (acknowledged but never received; seq gaps %d; %d of them because the receiver was "+
			"disconnected when the conversation ended and cannot sync an ended conversation)", rep.Messages.Lost, c.seqGaps.Load(), lostAway)
	}
	if rep.Messages.Duplicated > 0 {
		rep.fail("%d messages duplicated", rep.Messages.Duplicated)
	}
	if unacked > 0 {
		rep.fail("%d messages never acknowledged", unacked)
	}
	if rep.Messages.Refused > 0 {
		rep.fail("%d sends refused by the server", rep.Messages.Refused)
	}
	rep.Machine.CPUs = runtime.NumCPU()
	rep.Machine.GOMAXPROCS = runtime.GOMAXPROCS(0)
	rep.Machine.GoVersion = runtime.Version()
}
