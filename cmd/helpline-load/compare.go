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

// runCompare is `helpline-load compare RELAY.json RUN.json…`.
func runCompare(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: helpline-load compare RELAY.json RUN.json…")
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
	for _, rep := range reps[1:] {
		WriteComparison(stdout, reps[0], rep)
	}
	return 0
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
