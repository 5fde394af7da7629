package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/cmd/helpline-load/relay"
	"helpline/cmd/internal/servertest"

	"github.com/coder/websocket"
)

// pairsOptions is a small, short pairs run: every side sends its first
// message within one interval, so each of the 2·n sides sends at least one.
func pairsOptions(t *testing.T, url string, n int) Options {
	o := PairsDefaults(DefaultOptions())
	o.URL, o.Seekers, o.ArrivalRate = url, n, 50
	o.Duration = 2500 * time.Millisecond
	o.Interval, o.Jitter = 2*time.Second, 400*time.Millisecond
	o.DrainTimeout = 10 * time.Second
	o.Log = &testLog{t: t}
	return o
}

func runLogged(t *testing.T, o Options) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, o)
	var table bytes.Buffer
	rep.WriteTable(&table)
	t.Logf("report:\n%s", table.String())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestPairsRelay runs the pairs workload against the reference relay:
// every message sent is acknowledged (the sender's own copy) and received
// once by the other side.
func TestPairsRelay(t *testing.T) {
	srv := httptest.NewServer(relay.New())
	defer srv.Close()
	o := pairsOptions(t, srv.URL, 20)
	o.Target, o.Label = TargetRelay, "relay"
	rep := runLogged(t, o)
	if !rep.OK {
		t.Errorf("run failed: %s", strings.Join(rep.Failures, "; "))
	}
	m := rep.Messages
	if m.Sent < 40 || m.Acked != m.Sent || m.Received != m.Sent || m.Lost != 0 || m.Duplicated != 0 {
		t.Errorf("messages %+v: want at least 40 sent, each acknowledged and received once", m)
	}
	if c := rep.Connections; c.Total != 40 || c.Open != 40 || c.Counselors != 20 || rep.Conversations.Established != 20 {
		t.Errorf("connections %+v, conversations %+v: want 20 pairs", c, rep.Conversations)
	}
	if rep.Latency.Count != int(m.Received) && rep.Latency.Count == 0 {
		t.Errorf("latency %+v", rep.Latency)
	}
	if !rep.Settings.Pairs || rep.Settings.Target != TargetRelay || rep.Settings.CounselorCapacity != 1 {
		t.Errorf("settings %+v", rep.Settings)
	}
}

// TestPairsCountsLostAndDuplicated has the relay drop one message on its way
// to the other side and write another twice: the run must say so, and fail.
func TestPairsCountsLostAndDuplicated(t *testing.T) {
	rl := relay.New()
	rl.Copies = func(data []byte, sender bool) int {
		switch {
		case sender:
			return 1 // the ack: the sender knows it was sent
		case bytes.HasPrefix(data, []byte("L1 0-1-0 ")): // conversation 0, counsellor's first message
			return 0
		case bytes.HasPrefix(data, []byte("L1 1-0-0 ")): // conversation 1, seeker's first message
			return 2
		}
		return 1
	}
	srv := httptest.NewServer(rl)
	defer srv.Close()
	o := pairsOptions(t, srv.URL, 4)
	o.Target = TargetRelay
	o.DrainTimeout = 2 * time.Second // the lost one never arrives
	rep := runLogged(t, o)
	if m := rep.Messages; m.Lost != 1 || m.Duplicated != 1 || m.Acked != m.Sent {
		t.Errorf("lost %d, duplicated %d, acked %d of %d: want exactly one lost and one duplicated", m.Lost, m.Duplicated, m.Acked, m.Sent)
	}
	if rep.OK || !strings.Contains(strings.Join(rep.Failures, ";"), "1 messages lost") || !strings.Contains(strings.Join(rep.Failures, ";"), "1 messages duplicated") {
		t.Errorf("OK %v, failures %q: want the loss and the duplicate to fail the run", rep.OK, rep.Failures)
	}
}

// TestPairsServer runs the pairs workload against the real server on each
// store: one counsellor per conversation, consoles connecting among the
// arriving seekers, and every console's ready frame first.
func TestPairsServer(t *testing.T) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_LOG_LEVEL": "info", "HELPLINE_ROUTING": RoutingOffer}})
			password := srv.MustAccount(t, "load-admin", "Load admin", chat.RoleAdmin, 1)
			o := pairsOptions(t, srv.URL, 12)
			o.Admin, o.Label = "load-admin:"+password, store
			rep := runLogged(t, o)
			if !rep.OK {
				t.Errorf("run failed: %s", strings.Join(rep.Failures, "; "))
			}
			m := rep.Messages
			if m.Sent < 24 || m.Acked != m.Sent || m.Received != m.Sent || m.Lost != 0 || m.Duplicated != 0 {
				t.Errorf("messages %+v", m)
			}
			c := rep.Connections
			if c.Counselors != 12 || c.Seekers != 12 || c.Open != 24 || c.FramesBeforeReady != 0 || rep.Conversations.Established != 12 {
				t.Errorf("connections %+v, conversations %+v: want 12 pairs, no frame before ready", c, rep.Conversations)
			}
			// The consoles connected during the ramp, not before it, and what
			// they were sent then is counted: the team they joined at least.
			if rep.Phases.Consoles != 0 || rep.StaffFrames.RampBytes == 0 || !hasType(rep.StaffFrames.Ramp, "team") || !hasType(rep.StaffFrames.Ramp, "ready") {
				t.Errorf("consoles phase %.1f s, staff frames in the ramp %+v", rep.Phases.Consoles, rep.StaffFrames)
			}
			if rep.Phases.SignIn <= 0 {
				t.Errorf("sign-in took %v s: want it measured", rep.Phases.SignIn)
			}
			if store == "postgres" {
				livePostgresAttribution(t)
			}
		})
	}
}

func hasType(counts []FrameCount, t string) bool {
	for _, f := range counts {
		if f.Type == t && f.Frames > 0 {
			return true
		}
	}
	return false
}

// TestOfferBeforeReady has a server send an offer before ready: the console
// must count it, and the run fail. An error frame before ready (the reason
// for the close that follows) is allowed.
func TestOfferBeforeReady(t *testing.T) {
	for _, tc := range []struct {
		before string
		want   int64
	}{
		{`{"type":"offer","conversation":{"id":"c1","status":"waiting"}}`, 1},
		{`{"type":"error","code":"unavailable","message":"try again"}`, 0},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer ws.CloseNow()
			ws.Read(r.Context()) // auth
			ws.Write(r.Context(), websocket.MessageText, []byte(tc.before))
			ws.Write(r.Context(), websocket.MessageText, []byte(`{"type":"ready","role":"counselor","conversations":[]}`))
			ws.Read(r.Context())
		}))
		ctx := context.Background()
		nw, err := newNetwork(ctx, srv.URL, 0)
		if err != nil {
			t.Fatal(err)
		}
		o := PairsDefaults(DefaultOptions())
		r := &runner{o: o, nw: nw, traffic: newTraffic(), consoleTraffic: newTraffic()}
		ws, ready, err := newClient(r, counselorSide, "token", 1).connect(ctx)
		if err != nil || ready.Type != "ready" {
			t.Fatalf("connect: %v, %+v", err, ready)
		}
		ws.CloseNow()
		srv.Close()
		if got := r.count.beforeReady.Load(); got != tc.want {
			t.Errorf("%s before ready: counted %d, want %d", tc.before, got, tc.want)
		}
		rep := newReport(o)
		r.judge(&rep, tally{})
		rep.finish()
		if failed := strings.Contains(strings.Join(rep.Failures, ";"), "before ready"); failed != (tc.want > 0) || rep.OK == (tc.want > 0) {
			t.Errorf("%s before ready: OK %v, failures %q", tc.before, rep.OK, rep.Failures)
		}
	}
}

func TestHeadlineAndCompare(t *testing.T) {
	var rep Report
	rep.Messages.PerSecond = 2000
	rep.Server.CPUSteadyCores = 0.5
	rep.Postgres = &PostgresReport{CPUSteadyCores: 0.3}
	rep.StaffFrames.Ramp = []FrameCount{{Type: "team", Frames: 2, Bytes: 100}, {Type: "message", Frames: 1, Bytes: 7}, {Type: "offer", Frames: 1, Bytes: 20}}
	rep.headline()
	if h := rep.Headline; h.TotalCores != 0.8 || h.CoresPer1000 != 0.4 || rep.StaffFrames.RampBytes != 120 {
		t.Errorf("headline %+v, ramp staff bytes %d: want 0.8 cores, 0.4 per 1,000 messages/s, 120 bytes", h, rep.StaffFrames.RampBytes)
	}
	var rl Report
	rl.Latency.P99, rep.Latency.P99 = 0.5, 2
	rl.Phases.Ramp, rep.Phases.Ramp = 10, 15
	for _, c := range Compare(rl, rep) {
		if want := map[string]float64{"p99 latency": 4, "ramp": 1.5}[c.Name]; want != 0 && c.Ratio != want {
			t.Errorf("%s: ratio %v, want %v", c.Name, c.Ratio, want)
		}
		if c.Name == "p50 latency" && c.Ratio != 0 {
			t.Errorf("p50 latency with no relay figure: ratio %v, want 0", c.Ratio)
		}
	}
}

func TestPostgresReport(t *testing.T) {
	before := map[int]pgProcess{1: {title: "postgres: walwriter", cpu: time.Second}, 2: {title: "postgres: checkpointer", cpu: time.Second}}
	after := map[int]pgProcess{1: {title: "postgres: walwriter", cpu: 3 * time.Second}, 2: {title: "postgres: checkpointer", cpu: time.Second},
		3: {title: "postgres: postgres test", cpu: 4 * time.Second}} // started in between
	pg := postgresReport(before, after, 2*time.Second)
	if pg.CPUSteadySeconds != 6 || pg.CPUSteadyCores != 3 || len(pg.Processes) != 2 || pg.Processes[0].PID != 3 || pg.Processes[1].Cores != 1 {
		t.Errorf("postgresReport = %+v", pg)
	}
}

func TestPostgresAttribution(t *testing.T) {
	table := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:9E5A 0100007F:1538 01 00000000:00000000 00:00000000 00000000   106        0 6830 1 0 100 0 0 10 0\n" +
		"   1: 0100007F:23E7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 2 0 100 0 0 10 0\n"
	ports := tcpPorts(table, map[string]bool{"6830": true})
	if len(ports) != 1 || !ports[0x9E5A] {
		t.Fatalf("tcpPorts = %v, want only %d", ports, 0x9E5A)
	}
	pg := &PostgresReport{Processes: []PostgresProcess{
		{Title: "postgres: 15/main: postgres test 127.0.0.1(40538) idle", CPUSeconds: 2},
		{Title: "postgres: 15/main: postgres test 127.0.0.1(41000) INSERT", CPUSeconds: 4},
		{Title: "postgres: 15/main: walwriter", CPUSeconds: 1},
	}}
	pg.attribute(ports, 2)
	if !pg.Attributed || pg.ServerBackendsCores != 1 || pg.OtherBackendsCores != 2 || pg.BackgroundCores != 0.5 || pg.Processes[0].Kind != pgServer {
		t.Errorf("attribute: %+v", pg)
	}
}

// livePostgresAttribution checks, on a real database, that the backends of
// this process's server are told apart from everyone else's.
func livePostgresAttribution(t *testing.T) {
	ports := socketPorts(os.Getpid())
	n := 0
	for _, p := range postgresProcesses() {
		if pgKind(p.title, ports) == pgServer {
			n++
		}
	}
	if n == 0 {
		t.Errorf("no postgres backend found for this process's connections (its ports %v)", ports)
	}
}
