package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestSmokeLoad is a short run of the load generator against a real server
// on each store: a couple of hundred conversations, a few seconds of
// messages, a reconnect storm. Any lost or duplicated message fails it.
func TestSmokeLoad(t *testing.T) {
	// Both ways of assigning: counsellors picking from the queue, and the
	// router offering (the server's default).
	routingFor := map[string]string{"memory": RoutingPick, "postgres": RoutingOffer}
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			routing := routingFor[store]
			if routing == "" {
				routing = RoutingOffer
			}
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_LOG_LEVEL": "info", "HELPLINE_ROUTING": routing}})
			// The standalone path: an admin creates the counsellors over HTTP.
			password := srv.MustAccount(t, "load-admin", "Load admin", chat.RoleAdmin, 1)

			o := DefaultOptions()
			o.URL, o.Label, o.Admin, o.Routing = srv.URL, store+"/"+routing, "load-admin:"+password, routing
			o.Seekers = 200
			// Every account costs two argon2id hashes (half a second each
			// under -race), so few counsellors with many conversations; the
			// interval keeps each console under the server's frame rate.
			o.CounselorCapacity = 50
			o.ArrivalRate = 400
			o.Duration = 3 * time.Second
			o.Interval, o.Jitter = 5*time.Second, time.Second
			o.Storm, o.AfterStorm = true, 2*time.Second
			o.ResumeTimeout, o.DrainTimeout = 20*time.Second, 10*time.Second
			if routing == RoutingOffer {
				// A short waiting-queue phase: offers and queue positions.
				o.Waiting, o.QueueRounds = 30, 3
			}
			// No --server-pid: the server runs in this process, so its memory
			// could not be told apart (TestReadProc covers /proc).
			o.Log = &testLog{t: t}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
			defer cancel()

			rep, err := Run(ctx, o)
			var table bytes.Buffer
			rep.WriteTable(&table)
			t.Logf("report:\n%s", table.String())
			if err != nil {
				t.Fatal(err)
			}

			if !rep.OK {
				t.Errorf("run failed: %s", strings.Join(rep.Failures, "; "))
			}
			m := rep.Messages
			if m.Lost != 0 || m.Duplicated != 0 || m.Unacked != 0 || m.SeqGaps != 0 || m.SeqRepeats != 0 {
				t.Errorf("lost %d, duplicated %d, unacked %d, gaps %d, repeats %d", m.Lost, m.Duplicated, m.Unacked, m.SeqGaps, m.SeqRepeats)
			}
			if m.Sent < 200 || m.Acked != m.Sent || m.Received != m.Sent {
				t.Errorf("sent %d, acked %d, received %d: want every message acknowledged and received", m.Sent, m.Acked, m.Received)
			}
			if c := rep.Conversations; c.Started != 200+o.Waiting || c.Established != 200 || c.Ended != 200+o.Waiting {
				t.Errorf("conversations %+v, want %d started and ended, 200 established", c, 200+o.Waiting)
			}
			if q := rep.Queue; o.Waiting > 0 && (q == nil || q.Waiting != o.Waiting || q.Rounds != o.QueueRounds || q.Offer.Count != o.QueueRounds ||
				q.NoOffer != 0 || q.MissedPositions != 0 || q.Position.Count == 0) {
				t.Errorf("waiting queue %+v", q)
			}
			if c := rep.Connections; c.Seekers != 200+o.Waiting || c.Counselors != 4 || c.Open != 204 {
				// (Unexpected drops are allowed: a loaded server closes a socket that
				// falls behind with 4001, and the client resumes, as browsers do.)
				t.Errorf("connections %+v", c)
			}
			st := rep.Storm
			if st == nil || st.Clients != 204 || st.Resumed != 200 || st.ClientsResumed != 204 || st.AllResumedSeconds <= 0 || st.AllResumedSeconds > 20 {
				t.Errorf("storm %+v: want all 204 clients and 200 conversations resumed", st)
			}
			if rep.Latency.Count == 0 || rep.Latency.P50 <= 0 || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
				t.Errorf("latency %+v", rep.Latency)
			}
			if rep.AckLatency.Count == 0 || rep.Assignment.Count != 200 || rep.Assignment.P50 <= 0 {
				t.Errorf("ack latency %+v, assignment %+v", rep.AckLatency, rep.Assignment)
			}
			if rep.Messages.PerSecond <= 0 {
				t.Errorf("throughput %v", rep.Messages.PerSecond)
			}
			if rep.Generator.CPUSeconds <= 0 || rep.Machine.CPUs < 1 || rep.Machine.LoadBefore == "" {
				t.Errorf("generator %+v, machine %+v", rep.Generator, rep.Machine)
			}
			var js bytes.Buffer
			if err := rep.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"ok": true`) {
				t.Errorf("JSON report (%v):\n%s", err, js.String())
			}
		})
	}
}

func TestChooseAccept(t *testing.T) {
	start := time.Now()
	q := []chatclient.QueueEntry{
		{ConversationID: "old", WaitingSince: start.Add(-time.Hour)}, // before this run: not ours
		{ConversationID: "a", WaitingSince: start},
		{ConversationID: "b", WaitingSince: start.Add(time.Second)},
		{ConversationID: "c", WaitingSince: start.Add(2 * time.Second)},
	}
	claimed := map[string]bool{"a": true}
	claim := func(id string) bool {
		if claimed[id] {
			return false
		}
		claimed[id] = true
		return true
	}
	tried := map[string]bool{"b": true}
	if got := chooseAccept(q, start, tried, claim); got != "c" {
		t.Errorf("chooseAccept = %q, want c (old is foreign, a claimed, b refused)", got)
	}
	if got := chooseAccept(q, start, tried, claim); got != "" {
		t.Errorf("chooseAccept on an exhausted queue = %q", got)
	}
}

func TestBodyRoundTrip(t *testing.T) {
	b := messageBody(12, counselorSide, 7, 1234567890123, 200)
	if len(b) != 200 {
		t.Errorf("body is %d bytes, want 200", len(b))
	}
	idx, s, n, at, ok := parseBody(b)
	if !ok || idx != 12 || s != counselorSide || n != 7 || at != 1234567890123 {
		t.Errorf("parseBody(%q) = %d %d %d %d %v", b, idx, s, n, at, ok)
	}
	if _, _, _, _, ok := parseBody("hola"); ok {
		t.Error("parseBody accepted a foreign body")
	}
	if i, n, ok := parseClientID(clientID(3, 9)); !ok || i != 3 || n != 9 {
		t.Errorf("client id round trip: %d %d %v", i, n, ok)
	}
}

func TestPercentiles(t *testing.T) {
	var ns []int64
	for i := int64(1); i <= 1000; i++ {
		ns = append(ns, i*int64(time.Millisecond))
	}
	p := summarize(ns)
	if p.Count != 1000 || p.P50 != 500 || p.P95 != 950 || p.P99 != 990 || p.Max != 1000 {
		t.Errorf("summarize = %+v", p)
	}
	if p := summarize([]int64{int64(3 * time.Millisecond)}); p.P50 != 3 || p.P99 != 3 {
		t.Errorf("one sample: %+v", p)
	}
}

func TestReadProc(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil || s.RSSKiB <= 0 {
		t.Fatalf("readProc(self) = %+v, %v", s, err)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	if _, err := newNetwork(context.Background(), "http://192.0.2.1:8080", 0); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("newNetwork to a non-loopback address: %v", err)
	}
}

// testLog passes progress lines to t.Log.
type testLog struct {
	mu sync.Mutex
	t  *testing.T
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
