package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeCentrifugo speaks the subset of Centrifugo's JSON client protocol
// that the pairs workload uses (centrifugo_proto.go), strictly: a command
// with an unknown field, a missing channel, data that is not JSON, a
// publish before connect or without subscribing, is answered with an
// error (code 107, bad request, as Centrifugo does), which fails the run.
// Its replies have the shapes Centrifugo v6.9.1 sent (recorded in
// TestCentrifugoFrames), and like Centrifugo it batches: the sender's
// own copy of a publication and the publish reply travel in one frame.
// Every connection is pinged once, and must answer.
type fakeCentrifugo struct {
	mu       sync.Mutex
	channels map[string][]*fakeConn
	pongs    atomic.Int64
	bad      atomic.Int64
	clients  atomic.Int64
	// refuse, when set, says which publications to refuse (103,
	// permission denied) instead of publishing.
	refuse func(data json.RawMessage) bool
}

type fakeConn struct {
	ws        *websocket.Conn
	mu        sync.Mutex
	client    string
	connected bool
	channels  map[string]bool
}

type fakeCommand struct {
	ID        uint32    `json:"id"`
	Connect   *struct{} `json:"connect"`
	Subscribe *struct {
		Channel string `json:"channel"`
	} `json:"subscribe"`
	Publish *struct {
		Channel string          `json:"channel"`
		Data    json.RawMessage `json:"data"`
	} `json:"publish"`
}

func newFakeCentrifugo() *fakeCentrifugo { return &fakeCentrifugo{channels: map[string][]*fakeConn{}} }

func (f *fakeCentrifugo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != cfPath {
		http.NotFound(w, r)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	c := &fakeConn{ws: ws, client: "c" + strconv.Itoa(int(f.clients.Add(1))), channels: map[string]bool{}}
	for {
		_, data, err := ws.Read(r.Context())
		if err != nil {
			return
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			f.command(r.Context(), c, line)
		}
	}
}

func (f *fakeCentrifugo) command(ctx context.Context, c *fakeConn, line []byte) {
	if string(line) == "{}" {
		f.pongs.Add(1)
		return
	}
	var cmd fakeCommand
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	err := dec.Decode(&cmd)
	switch {
	case err == nil && cmd.ID > 0 && cmd.Connect != nil && !c.connected:
		c.connected = true
		c.send(ctx, fmt.Sprintf(`{"id":%d,"connect":{"client":%q,"version":"6.9.1","ping":25,"pong":true}}`, cmd.ID, c.client))
		c.send(ctx, "{}") // a ping, straight away
	case err == nil && cmd.ID > 0 && cmd.Subscribe != nil && c.connected && cmd.Subscribe.Channel != "":
		f.mu.Lock()
		f.channels[cmd.Subscribe.Channel] = append(f.channels[cmd.Subscribe.Channel], c)
		c.channels[cmd.Subscribe.Channel] = true
		f.mu.Unlock()
		c.send(ctx, fmt.Sprintf(`{"id":%d,"subscribe":{}}`, cmd.ID))
	case err == nil && cmd.ID > 0 && cmd.Publish != nil && c.connected && c.subscribed(f, cmd.Publish.Channel) && json.Valid(cmd.Publish.Data):
		if f.refuse != nil && f.refuse(cmd.Publish.Data) {
			c.send(ctx, fmt.Sprintf(`{"id":%d,"error":{"code":103,"message":"permission denied"}}`, cmd.ID))
			return
		}
		f.publish(ctx, c, cmd.ID, cmd.Publish.Channel, cmd.Publish.Data)
	default:
		f.bad.Add(1)
		c.send(ctx, fmt.Sprintf(`{"id":%d,"error":{"code":107,"message":"bad request"}}`, cmd.ID))
	}
}

func (c *fakeConn) subscribed(f *fakeCentrifugo, channel string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return c.channels[channel]
}

// publish pushes data to every subscriber of channel; the sender's copy
// goes with its reply, in one frame.
func (f *fakeCentrifugo) publish(ctx context.Context, from *fakeConn, id uint32, channel string, data json.RawMessage) {
	push := fmt.Sprintf(`{"push":{"channel":%q,"pub":{"data":%s,"info":{"user":"","client":%q}}}}`, channel, data, from.client)
	f.mu.Lock()
	subs := append([]*fakeConn(nil), f.channels[channel]...)
	f.mu.Unlock()
	for _, c := range subs {
		if c != from {
			c.send(ctx, push)
		}
	}
	from.send(ctx, push+"\n"+fmt.Sprintf(`{"id":%d,"publish":{}}`, id))
}

func (c *fakeConn) send(ctx context.Context, frame string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws.Write(ctx, websocket.MessageText, []byte(frame))
}

// TestPairsCentrifugo runs the pairs workload against the fake Centrifugo:
// every message is acknowledged by its publish reply and received once by
// the other side, every connection answered its ping, and no command was
// refused.
func TestPairsCentrifugo(t *testing.T) {
	t.Parallel()
	fake := newFakeCentrifugo()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o := pairsOptions(t, srv.URL, 20)
	o.Target, o.Label = TargetCentrifugo, "centrifugo"
	rep := runLogged(t, o)
	if !rep.OK {
		t.Errorf("run failed: %s", strings.Join(rep.Failures, "; "))
	}
	m := rep.Messages
	if m.Sent < 40 || m.Acked != m.Sent || m.Received != m.Sent || m.Lost != 0 || m.Duplicated != 0 || m.Refused != 0 {
		t.Errorf("messages %+v: want at least 40 sent, each acknowledged and received once", m)
	}
	if c := rep.Connections; c.Total != 40 || c.Open != 40 || rep.Conversations.Established != 20 || c.UnexpectedDrops != 0 {
		t.Errorf("connections %+v, conversations %+v: want 20 pairs", c, rep.Conversations)
	}
	if n := frames(rep.Received, "own"); n != m.Sent {
		t.Errorf("%d own copies received, want one per message sent (%d)", n, m.Sent)
	}
	if n := frames(rep.Received, "ack"); n != m.Sent {
		t.Errorf("%d publish replies, want %d", n, m.Sent)
	}
	if fake.bad.Load() != 0 || fake.pongs.Load() != 40 {
		t.Errorf("fake Centrifugo: %d commands refused, %d pongs: want none refused and one pong per connection", fake.bad.Load(), fake.pongs.Load())
	}
	if rep.Settings.Target != TargetCentrifugo || rep.AckLatency.Count == 0 {
		t.Errorf("settings %+v, ack latency %+v", rep.Settings, rep.AckLatency)
	}
}

// TestPairsCentrifugoRefused: a publish that Centrifugo refuses is
// counted and fails the run, as a refused send on helpline does.
func TestPairsCentrifugoRefused(t *testing.T) {
	t.Parallel()
	fake := newFakeCentrifugo()
	fake.refuse = func(data json.RawMessage) bool { return bytes.HasPrefix(data, []byte(`"L1 0-1-0 `)) } // pair 0, counsellor, first message
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o := pairsOptions(t, srv.URL, 2)
	o.Target = TargetCentrifugo
	o.DrainTimeout = 2 * time.Second // the refused one is never acknowledged
	rep := runLogged(t, o)
	if m := rep.Messages; m.Refused != 1 || m.Unacked != 1 || m.Acked != m.Sent-1 || m.Received != m.Sent-1 {
		t.Errorf("messages %+v: want exactly one refused, unacknowledged and not received", m)
	}
	if failures := strings.Join(rep.Failures, ";"); rep.OK || !strings.Contains(failures, "1 sends refused") {
		t.Errorf("OK %v, failures %q: want the refusal to fail the run", rep.OK, rep.Failures)
	}
}

func frames(counts []FrameCount, t string) int64 {
	for _, f := range counts {
		if f.Type == t {
			return f.Frames
		}
	}
	return 0
}

// TestCentrifugoFrames checks the commands against the shapes Centrifugo
// v6.9.1 accepted, and the decoding against frames it sent (recorded on
// loopback with the configuration of CentrifugoConfig: two clients on
// channel p7, one publishing twice and once without data).
func TestCentrifugoFrames(t *testing.T) {
	if got, want := string(cfHello("p7")), `{"id":1,"connect":{}}`+"\n"+`{"id":2,"subscribe":{"channel":"p7"}}`; got != want {
		t.Errorf("hello:\n got %s\nwant %s", got, want)
	}
	body := messageBody(7, seekerSide, 0, 1764690000000000000, 60)
	if got, want := string(cfPublish("p7", 0, body)), `{"id":3,"publish":{"channel":"p7","data":"`+body+`"}}`; got != want {
		t.Errorf("publish:\n got %s\nwant %s", got, want)
	}
	if got := string(cfPublish("p7", 41, body)); !strings.HasPrefix(got, `{"id":44,`) {
		t.Errorf("publish of message 41: %s, want id 44", got)
	}
	const client = "f9a3f745-bfd0-4319-b367-d1fe5f597b1c"
	recorded := []struct {
		frame string
		want  []cfMsg
	}{
		{`{"id":1,"connect":{"client":"` + client + `","version":"0.0.0 OSS","ping":25,"pong":true}}` + "\n" + `{"id":2,"subscribe":{}}`,
			[]cfMsg{{kind: cfReply, id: 1}, {kind: cfReply, id: 2}}},
		{`{"push":{"channel":"p7","pub":{"data":"` + body + `","info":{"user":"","client":"` + client + `"}}}}` + "\n" + `{"id":3,"publish":{}}` + "\n" + `{"id":4,"publish":{}}`,
			[]cfMsg{{kind: cfPub, channel: "p7", data: body}, {kind: cfReply, id: 3}, {kind: cfReply, id: 4}}},
		{`{"id":9,"error":{"code":107,"message":"bad request"}}`, []cfMsg{{kind: cfError, id: 9, what: "107 bad request"}}},
		{`{}`, []cfMsg{{kind: cfPing}}},
		{`{"push":{"channel":"p7","join":{"info":{"client":"x"}}}}`, []cfMsg{{kind: cfOtherPush}}},
		{`{"push":{"channel":"p7","pub":{"data":{"text":"hi"}}}}`, []cfMsg{{kind: cfBad}}}, // not what this generator sends
		{`not json`, []cfMsg{{kind: cfBad}}},
	}
	for _, rc := range recorded {
		var got []cfMsg
		cfDecode([]byte(rc.frame), func(m cfMsg) { got = append(got, m) })
		if len(got) != len(rc.want) {
			t.Errorf("%.60s: decoded %d lines, want %d", rc.frame, len(got), len(rc.want))
			continue
		}
		for i, w := range rc.want {
			g := got[i]
			if g.kind != w.kind || g.id != w.id || g.channel != w.channel || g.data != w.data || (w.what != "" && g.what != w.what) || g.size == 0 {
				t.Errorf("%.60s: line %d decoded as %+v, want %+v", rc.frame, i, g, w)
			}
		}
	}
}

// TestCentrifugoLive runs a short pairs workload against a real Centrifugo
// (HELPLINE_LOAD_CENTRIFUGO=/path/to/centrifugo, v6; skipped without it),
// started with CentrifugoConfig.
func TestCentrifugoLive(t *testing.T) {
	bin := os.Getenv("HELPLINE_LOAD_CENTRIFUGO")
	if bin == "" {
		t.Skip("HELPLINE_LOAD_CENTRIFUGO is not set")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg, err := CentrifugoConfig(addr)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(file, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config", file)
	cmd.Stdout, cmd.Stderr = &testLog{t: t}, &testLog{t: t}
	// Dies with the test binary too, when a timeout ends it before the
	// deferred kill runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel() // kills it
		cmd.Wait()
	}()
	up := false
	for deadline := time.Now().Add(20 * time.Second); !up && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			up = resp.StatusCode == http.StatusOK
		}
	}
	if !up {
		t.Fatalf("centrifugo did not answer on %s/health", addr)
	}
	o := pairsOptions(t, "http://"+addr, 10)
	o.Target, o.Label, o.ServerPID = TargetCentrifugo, "centrifugo", cmd.Process.Pid
	rep := runLogged(t, o)
	if m := rep.Messages; !rep.OK || m.Sent < 20 || m.Acked != m.Sent || m.Received != m.Sent || frames(rep.Received, "own") != m.Sent {
		t.Errorf("OK %v (%q), messages %+v, frames %+v", rep.OK, rep.Failures, m, rep.Received)
	}
}

// TestComparePeer: given Centrifugo's report too (told apart by its
// target, wherever it stands), compare prints each run's ratios to the
// relay and to Centrifugo, and Centrifugo's to the relay; without it, the
// output is the two-way one.
func TestComparePeer(t *testing.T) {
	var rl, cf, hl Report
	rl.RunID, cf.RunID, hl.RunID = "r", "c", "h"
	rl.Settings.Target, cf.Settings.Target, hl.Settings.Target = TargetRelay, TargetCentrifugo, TargetHelpline
	cf.Label, hl.Label = "centrifugo", "memory"
	rl.Latency.P99, cf.Latency.P99, hl.Latency.P99 = 0.5, 1, 2
	rl.Server.PerConnectionKiB, cf.Server.PerConnectionKiB, hl.Server.PerConnectionKiB = 30, 45, 36
	for _, c := range ComparePeer(rl, cf, hl) {
		want := map[string][3]float64{"p99 latency": {4, 2, 2}, "RSS per connection": {1.2, 0.8, 1.5}}[c.Name]
		if want != ([3]float64{}) && [3]float64{c.ToRelay, c.ToCentrifugo, c.CentrifugoRelay} != want {
			t.Errorf("%s: ratios %v %v %v, want %v", c.Name, c.ToRelay, c.ToCentrifugo, c.CentrifugoRelay, want)
		}
	}
	dir := t.TempDir()
	file := func(name string, rep Report) string {
		data, _ := json.Marshal(rep)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r, c, h := file("relay.json", rl), file("centrifugo.json", cf), file("memory.json", hl)
	var three, two, stderr bytes.Buffer
	if code := runCompare([]string{r, h, c}, &three, &stderr); code != 0 {
		t.Fatalf("compare: %d %s", code, stderr.String())
	}
	if code := runCompare([]string{r, h}, &two, &stderr); code != 0 {
		t.Fatalf("compare: %d %s", code, stderr.String())
	}
	for _, want := range []string{"centrifugo (run c) against the relay (run r)", "memory (run h) against the relay (run r) and Centrifugo (run c)", "÷ centrifugo", "4.00×"} {
		if !strings.Contains(three.String(), want) {
			t.Errorf("three-way compare lacks %q:\n%s", want, three.String())
		}
	}
	var want bytes.Buffer
	WriteComparison(&want, rl, hl)
	if two.String() != want.String() || strings.Contains(two.String(), "entrifugo") {
		t.Errorf("two-way compare changed:\n%s", two.String())
	}
}
