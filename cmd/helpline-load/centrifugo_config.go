package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
)

// CentrifugoVersion is the Centrifugo the benchmarks compare with (the
// issue's "Centrifugo v6.9.1 without history"). It is built outside this
// module (bench.sh, BENCH_CENTRIFUGO=build), never one of its dependencies.
const CentrifugoVersion = "v6.9.1"

// CentrifugoConfig is the configuration (Centrifugo v6 keys) of the peer
// that the pairs workload runs against, listening on addr (loopback):
//   - client.insecure: every connection is anonymous and may subscribe and
//     publish to any channel, checked by nothing — the relay's bargain, so
//     neither side pays for tokens or permission checks the other skips;
//   - history off (history_size 0, the default, written out): nothing is
//     kept, as on the relay; presence and join/leave stay off (defaults);
//   - allowed_origins: the generator's own origin, which it sends as a
//     browser does;
//   - health on, at /health, to know when it is up; logs at warn;
//   - usage statistics off: a benchmark peer sends nothing anywhere (a
//     build without the release's endpoint sends none anyway).
func CentrifugoConfig(addr string) ([]byte, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s: the benchmark peer listens on a loopback address only", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{
		"http_server": map[string]any{"address": host, "port": p},
		"log":         map[string]any{"level": "warn"},
		"health":      map[string]any{"enabled": true},
		"usage_stats": map[string]any{"disabled": true},
		"client": map[string]any{
			"insecure":        true,
			"allowed_origins": []string{"http://" + addr},
		},
		"channel": map[string]any{
			"without_namespace": map[string]any{"history_size": 0},
		},
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// runCentrifugoConfig is `helpline-load centrifugo-config -addr
// 127.0.0.1:8293`: prints CentrifugoConfig, for `centrifugo --config`
// (with -version: CentrifugoVersion, for bench.sh to build).
func runCentrifugoConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("helpline-load centrifugo-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8293", "Centrifugo listens on this loopback address")
	version := fs.Bool("version", false, "print the Centrifugo version the benchmarks use instead")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, CentrifugoVersion)
		return 0
	}
	data, err := CentrifugoConfig(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "helpline-load centrifugo-config: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s\n", data)
	return 0
}
