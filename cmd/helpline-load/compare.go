package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"helpline/cmd/helpline-load/relay"
)

// runRelayServer is `helpline-load relay -addr 127.0.0.1:8291`: the
// reference relay, until interrupted.
func runRelayServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("helpline-load relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8291", "listen on this loopback address")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "helpline-load relay: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: relay.New(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "reference relay on %s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "helpline-load relay: %v\n", err)
		return 1
	}
	return 0
}

// Ratio is one figure of a run next to the relay's in the same invocation.
type Ratio struct {
	Name   string  `json:"name"`
	Relay  float64 `json:"relay"`
	Value  float64 `json:"value"`
	Ratio  float64 `json:"ratio"` // value / relay (0 when the relay's is 0)
	Unit   string  `json:"unit"`
	Format string  `json:"-"`
}

// Compare sets the headline figures of rep beside those of the relay's run.
func Compare(relayRep, rep Report) []Ratio {
	rows := []Ratio{
		{Name: "p50 latency", Relay: relayRep.Latency.P50, Value: rep.Latency.P50, Unit: "ms", Format: "%.2f"},
		{Name: "p99 latency", Relay: relayRep.Latency.P99, Value: rep.Latency.P99, Unit: "ms", Format: "%.2f"},
		{Name: "CPU (server + PostgreSQL)", Relay: relayRep.Headline.TotalCores, Value: rep.Headline.TotalCores, Unit: "cores", Format: "%.2f"},
		{Name: "CPU per 1,000 msg/s", Relay: relayRep.Headline.CoresPer1000, Value: rep.Headline.CoresPer1000, Unit: "cores", Format: "%.2f"},
		{Name: "RSS per connection", Relay: relayRep.Server.PerConnectionKiB, Value: rep.Server.PerConnectionKiB, Unit: "KiB", Format: "%.1f"},
		{Name: "ramp", Relay: relayRep.Phases.Ramp, Value: rep.Phases.Ramp, Unit: "s", Format: "%.1f"},
	}
	for i := range rows {
		if rows[i].Relay > 0 {
			rows[i].Ratio = round2(rows[i].Value / rows[i].Relay)
		}
	}
	return rows
}

// runCompare is `helpline-load compare RELAY.json [CENTRIFUGO.json] RUN.json…`.
func runCompare(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: helpline-load compare RELAY.json [CENTRIFUGO.json] RUN.json…")
		return 2
	}
	reps := make([]Report, len(args))
	for i, name := range args {
		data, err := os.ReadFile(name)
		if err == nil {
			err = json.Unmarshal(data, &reps[i])
		}
		if err != nil {
			fmt.Fprintf(stderr, "helpline-load compare: %s: %v\n", name, err)
			return 1
		}
	}
	if peer, runs, ok := splitPeer(reps[1:]); ok {
		WriteComparison(stdout, reps[0], peer)
		for _, rep := range runs {
			fmt.Fprintln(stdout)
			WritePeerComparison(stdout, reps[0], peer, rep)
		}
		return 0
	}
	for _, rep := range reps[1:] {
		WriteComparison(stdout, reps[0], rep)
	}
	return 0
}

// splitPeer takes the Centrifugo run (its report says --target
// centrifugo) out of reps, when there is one.
func splitPeer(reps []Report) (peer Report, runs []Report, ok bool) {
	for _, rep := range reps {
		if rep.Settings.Target == TargetCentrifugo && !ok {
			peer, ok = rep, true
			continue
		}
		runs = append(runs, rep)
	}
	return peer, runs, ok
}

// PeerRatio is one figure of a run next to the relay's and Centrifugo's in
// the same invocation.
type PeerRatio struct {
	Name            string  `json:"name"`
	Relay           float64 `json:"relay"`
	Centrifugo      float64 `json:"centrifugo"`
	Value           float64 `json:"value"`
	ToRelay         float64 `json:"to_relay"`      // value / relay (0 when the relay's is 0)
	ToCentrifugo    float64 `json:"to_centrifugo"` // value / centrifugo
	CentrifugoRelay float64 `json:"centrifugo_to_relay"`
	Unit            string  `json:"unit"`
	Format          string  `json:"-"`
}

// ComparePeer sets the headline figures of rep beside the relay's and
// Centrifugo's (Compare's rows, three ways).
func ComparePeer(relayRep, peerRep, rep Report) []PeerRatio {
	toRelay, toPeer, peerToRelay := Compare(relayRep, rep), Compare(peerRep, rep), Compare(relayRep, peerRep)
	rows := make([]PeerRatio, len(toRelay))
	for i, c := range toRelay {
		rows[i] = PeerRatio{Name: c.Name, Relay: c.Relay, Centrifugo: toPeer[i].Relay, Value: c.Value, ToRelay: c.Ratio,
			ToCentrifugo: toPeer[i].Ratio, CentrifugoRelay: peerToRelay[i].Ratio, Unit: c.Unit, Format: c.Format}
	}
	return rows
}

// WritePeerComparison prints rep's ratios to the relay's run and to
// Centrifugo's.
func WritePeerComparison(w io.Writer, relayRep, peerRep, rep Report) {
	fmt.Fprintf(w, "%s (run %s) against the relay (run %s) and Centrifugo (run %s), same workload, same invocation:\n",
		rep.Label, rep.RunID, relayRep.RunID, peerRep.RunID)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\trelay\tcentrifugo\t%s\t÷ relay\t÷ centrifugo\t(centrifugo ÷ relay)\t\n", rep.Label)
	for _, c := range ComparePeer(relayRep, peerRep, rep) {
		fmt.Fprintf(tw, "%s\t"+c.Format+" %s\t"+c.Format+" %s\t"+c.Format+" %s\t%.2f×\t%.2f×\t%.2f×\t\n",
			c.Name, c.Relay, c.Unit, c.Centrifugo, c.Unit, c.Value, c.Unit, c.ToRelay, c.ToCentrifugo, c.CentrifugoRelay)
	}
	tw.Flush()
	fmt.Fprintf(w, "load average before: relay %s, centrifugo %s, %s %s\n", relayRep.Machine.LoadBefore, peerRep.Machine.LoadBefore, rep.Label, rep.Machine.LoadBefore)
	fmt.Fprintf(w, "staff frames to consoles: ramp %s, steady %s; sign-in (outside the windows) %.1f s; lost %d, duplicated %d, frames before ready %d\n",
		size(rep.StaffFrames.RampBytes), size(rep.StaffFrames.SteadyBytes), rep.Phases.SignIn, rep.Messages.Lost, rep.Messages.Duplicated,
		rep.Connections.FramesBeforeReady)
}

// WriteComparison prints rep's ratios to the relay's run.
func WriteComparison(w io.Writer, relayRep, rep Report) {
	fmt.Fprintf(w, "%s (run %s) against the relay (run %s), same workload, same invocation:\n", rep.Label, rep.RunID, relayRep.RunID)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\trelay\t%s\tratio\t\n", rep.Label)
	for _, c := range Compare(relayRep, rep) {
		fmt.Fprintf(tw, "%s\t"+c.Format+" %s\t"+c.Format+" %s\t%.2f×\t\n", c.Name, c.Relay, c.Unit, c.Value, c.Unit, c.Ratio)
	}
	tw.Flush()
	fmt.Fprintf(w, "staff frames to consoles: ramp %s, steady %s; sign-in (outside the windows) %.1f s; lost %d, duplicated %d, frames before ready %d; load average before %s\n",
		size(rep.StaffFrames.RampBytes), size(rep.StaffFrames.SteadyBytes), rep.Phases.SignIn, rep.Messages.Lost, rep.Messages.Duplicated,
		rep.Connections.FramesBeforeReady, rep.Machine.LoadBefore)
}
