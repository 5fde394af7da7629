// Command helpline-load drives a running helpline server through the real
// protocol, as browsers and consoles do, and reports what it measured.
//
// It signs counsellors in (creating their accounts through the admin API),
// starts --seekers anonymous conversations at --arrival-rate, lets the
// counsellors accept them from their queue, has both sides of every
// conversation exchange messages for --duration, optionally drops and
// reconnects every client at once (--storm), and finally ends the
// conversations. Every message carries its send time and an id; the other
// side checks that each acknowledged message arrives exactly once.
//
//	helpline-load --url http://127.0.0.1:8080 --admin admin:PASSWORD --seekers 1000 --server-pid $(pgrep -n helpline)
//
// With --pairs it runs the paired workload of BENCHMARKS.md ("Pairs"); with
// --target relay the same workload against the reference relay, which
// `helpline-load relay -addr 127.0.0.1:8291` serves (package relay);
// `helpline-load compare RELAY.json OTHER.json…` prints each run's ratios to
// the relay's.
//
// With --target centrifugo the same workload runs against Centrifugo
// (CentrifugoVersion, insecure client mode, no history), whose
// configuration `helpline-load centrifugo-config -addr 127.0.0.1:8293`
// prints; given its report too, compare adds each run's ratios to it.
//
// The exit status is 1 when any message was lost or duplicated, a
// conversation did not resume after the storm, or the run could not be
// carried out. See BENCHMARKS.md at the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "relay":
			return runRelayServer(ctx, args[1:], stdout, stderr)
		case "compare":
			return runCompare(args[1:], stdout, stderr)
		case "centrifugo-config":
			return runCentrifugoConfig(args[1:], stdout, stderr)
		}
	}
	return runLoad(ctx, args, stdout, stderr)
}

// runLoad is one load run with the flags in args.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := DefaultOptions()
	fs := flag.NewFlagSet("helpline-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.URL, "url", o.URL, "server base URL (loopback only)")
	fs.StringVar(&o.Admin, "admin", os.Getenv("HELPLINE_LOAD_ADMIN"), "admin account user:password, to create the counsellor accounts (env HELPLINE_LOAD_ADMIN)")
	fs.StringVar(&o.Label, "label", "", "label for the report, e.g. the store (memory, postgres)")
	fs.IntVar(&o.Seekers, "seekers", o.Seekers, "concurrent conversations (one anonymous seeker each)")
	fs.IntVar(&o.CounselorCapacity, "counselor-capacity", o.CounselorCapacity, "conversations per counsellor; seekers/capacity counsellor accounts are made")
	fs.StringVar(&o.Routing, "routing", o.Routing, "the server's HELPLINE_ROUTING: offer (counsellors accept the offers they get) or pick (they choose from the queue)")
	fs.Float64Var(&o.ArrivalRate, "arrival-rate", o.ArrivalRate, "seekers arriving per second")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "steady messaging phase")
	fs.DurationVar(&o.Interval, "interval", o.Interval, "each side of each conversation sends a message this often (total ≈ 2·seekers/interval per second)")
	fs.DurationVar(&o.Jitter, "jitter", o.Jitter, "± random spread of the interval")
	fs.IntVar(&o.BodyBytes, "body-bytes", o.BodyBytes, "message body size in bytes")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "server process id: report its resident memory and CPU from /proc")
	fs.StringVar(&o.MetricsURL, "metrics-url", "", "the server's Prometheus metrics (HELPLINE_METRICS_ADDR), e.g. http://127.0.0.1:9090/metrics: report its live heap and stacks per connection")
	fs.BoolVar(&o.PostgresCPU, "postgres-cpu", false, "also report the CPU time of every postgres process on this machine (the database shares the cores)")
	fs.BoolVar(&o.Storm, "storm", false, "after the steady phase, drop every client at once and measure until all conversations resumed")
	fs.DurationVar(&o.AfterStorm, "after-storm", o.AfterStorm, "keep messaging this long after the storm")
	fs.DurationVar(&o.ResumeTimeout, "resume-timeout", o.ResumeTimeout, "give up waiting for the storm to resume after this long")
	fs.DurationVar(&o.AssignTimeout, "assign-timeout", 0, "give up waiting for every conversation to be assigned after this long (default seekers/arrival-rate + 60s)")
	fs.IntVar(&o.Waiting, "waiting", 0, "offer routing: after the steady phase, let this many more seekers wait and measure offers and queue positions")
	fs.IntVar(&o.QueueRounds, "queue-rounds", o.QueueRounds, "with --waiting: end this many conversations one by one, measuring the offer each time")
	fs.IntVar(&o.LocalAddrs, "local-addrs", o.LocalAddrs, "spread client source addresses over this many of 127.0.0.2… (0: let the kernel choose)")
	fs.StringVar(&o.RunID, "run-id", "", "names the counsellor accounts load-c-<run-id>-<n> (default random)")
	pairs := fs.Bool("pairs", false, "the paired workload: one counsellor per conversation, consoles connecting while seekers arrive; "+
		"sets --counselor-capacity 1, --interval 2s, --jitter 400ms, --duration 30s, --body-bytes 200 unless given")
	fs.StringVar(&o.Target, "target", TargetHelpline, "what --url serves: helpline, relay (`helpline-load relay`, with --pairs) or centrifugo (with --pairs)")
	jsonFile := fs.String("json", "", "also write the report as JSON to this file (- for standard output)")
	quiet := fs.Bool("quiet", false, "no progress lines on standard error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pairs {
		o = withPairs(fs, o)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "helpline-load: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if !*quiet {
		o.Log = stderr
	}
	// Every connection is a file descriptor, here and in the server
	// (which needs `ulimit -n 65536` of its own).
	need := uint64(o.Seekers+o.Waiting+o.Seekers/o.CounselorCapacity)*2 + 1024
	if got := raiseFileLimit(max(need, 65536)); got < need {
		fmt.Fprintf(stderr, "helpline-load: warning: open file limit is %d, a run this size needs about %d\n", got, need)
	}

	return runAndReport(ctx, o, *jsonFile, stdout, stderr)
}

// runAndReport runs the load, prints its report (and writes it as JSON to
// jsonFile, when given) and returns the exit code: 1 when the run failed.
func runAndReport(ctx context.Context, o Options, jsonFile string, stdout, stderr io.Writer) int {
	start := time.Now()
	rep, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "helpline-load: %v\n", err)
		if rep.RunID == "" {
			return 1
		}
		rep.fail("%v", err)
		rep.finish()
	}
	rep.WriteTable(stdout)
	fmt.Fprintf(stdout, "(run took %s)\n", time.Since(start).Round(time.Second))
	if jsonFile != "" {
		w := stdout
		if jsonFile != "-" {
			f, err := os.Create(jsonFile)
			if err != nil {
				fmt.Fprintf(stderr, "helpline-load: %v\n", err)
				return 1
			}
			defer f.Close()
			w = f
		}
		if err := rep.WriteJSON(w); err != nil {
			fmt.Fprintf(stderr, "helpline-load: writing JSON: %v\n", err)
			return 1
		}
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// withPairs turns on the paired workload: PairsDefaults for every setting
// not given on the command line.
func withPairs(fs *flag.FlagSet, o Options) Options {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	p := PairsDefaults(o)
	for name, set := range map[string]func(){
		"counselor-capacity": func() { o.CounselorCapacity = p.CounselorCapacity },
		"interval":           func() { o.Interval = p.Interval },
		"jitter":             func() { o.Jitter = p.Jitter },
		"duration":           func() { o.Duration = p.Duration },
		"body-bytes":         func() { o.BodyBytes = p.BodyBytes },
	} {
		if !given[name] {
			set()
		}
	}
	o.Pairs = true
	return o
}
