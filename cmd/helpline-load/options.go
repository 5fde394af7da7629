package main

import (
	"errors"
	"fmt"
	"io"
	"time"
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
	// Pairs is the paired workload (BENCHMARKS.md, "Pairs"): one counsellor
	// per conversation (capacity 1), and each console connects during the
	// ramp, just before its seeker arrives, instead of all before it.
	Pairs  bool
	Target string // TargetHelpline (default), TargetRelay (the reference relay of package relay) or TargetCentrifugo (pairs only)
}

// Targets: what --url serves.
const (
	TargetHelpline = "helpline"
	TargetRelay    = "relay"
	// TargetCentrifugo is a Centrifugo v6 server in insecure client mode,
	// without history (centrifugorun.go): the production peer of the
	// benchmarks, run beside the relay.
	TargetCentrifugo = "centrifugo"
)

// bare says whether the target is one of the benchmark peers rather than
// helpline: no accounts, the pairs workload only.
func (o Options) bare() bool { return o.Target == TargetRelay || o.Target == TargetCentrifugo }

// PairsDefaults are the workload of the paired mode: each side of each
// conversation sends 200 bytes every 2 s ± 20 %, measured for 30 s.
func PairsDefaults(o Options) Options {
	o.Pairs = true
	o.CounselorCapacity = 1
	o.Interval, o.Jitter = 2*time.Second, 400*time.Millisecond
	o.Duration = 30 * time.Second
	o.BodyBytes = 200
	return o
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
	if o.Target != "" && o.Target != TargetHelpline && !o.bare() {
		errs = append(errs, errors.New("--target must be helpline, relay or centrifugo"))
	}
	if o.bare() && (!o.Pairs || o.Storm || o.Waiting > 0) {
		errs = append(errs, fmt.Errorf("--target %s runs the --pairs workload only (no storm, no waiting queue)", o.Target))
	}
	if o.Pairs && o.CounselorCapacity != 1 {
		errs = append(errs, errors.New("--pairs holds one conversation per counsellor: --counselor-capacity must be 1"))
	}
	if o.Accounts == nil && o.Admin == "" && !o.bare() {
		errs = append(errs, errors.New("--admin user:password is needed to create counsellor accounts"))
	}
	return errors.Join(errs...)
}

// Assignment modes (the server's HELPLINE_ROUTING).
const (
	RoutingOffer = "offer"
	RoutingPick  = "pick"
)

// counselors is how many counsellor accounts hold o.Seekers conversations.
func (o Options) counselors() int {
	return (o.Seekers + o.CounselorCapacity - 1) / o.CounselorCapacity
}

// withDefaults checks o and fills in the fields that default to something
// depending on the others.
func (o Options) withDefaults() (Options, error) {
	if err := o.check(); err != nil {
		return o, err
	}
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if o.AssignTimeout == 0 {
		o.AssignTimeout = time.Duration(float64(o.Seekers)/o.ArrivalRate*float64(time.Second)) + 60*time.Second
	}
	return o, nil
}
