package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// Staff traffic grows linearly in the number of consoles: N consoles
// connect one after another, over a ramp of a fixed number of seconds
// (the staff clock is stepped by hand, a second at a time), while one
// seeker arrives each second; every console ends with the whole state
// (how many are on shift, and the queue). What they received of queue,
// team and team_changes frames, counted in bytes, must stay within a
// budget per console that does not grow with N. Listing the whole team to
// every console and every arrival to all the others grew with N².

// staffRampSeconds is the ramp: consoles connect over this many seconds of
// the staff clock, one seeker arriving each second.
const staffRampSeconds = 20

// What one console may receive in the ramp: one team frame of at most 50
// members (~150 bytes each) and the team's changes; of the queue, as the
// web console asks for it (queue_changes), one queue frame and an entry
// and an id per seeker; as whole frames (a console that does not say), one
// frame a second of up to 20 entries (~170 bytes each). Measured at about
// 7.8 KB of team and 24 KB of whole queue frames per console for 60 and
// for 240 consoles; listing the whole team it was 33 KB of team alone for
// 240.
const (
	staffTeamBytesPerConsole         = 12 << 10
	staffQueueChangesBytesPerConsole = 8 << 10
	staffQueueBytesPerConsole        = 40 << 10
)

// The streams the web console asks for (console/streams.js).
const webConsoleStreams = `["queue_changes","team"]`

func TestStaffTrafficGrowsLinearlyInTheConsoles(t *testing.T) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			small := staffTraffic(t, store, 60, webConsoleStreams)
			large := staffTraffic(t, store, 240, webConsoleStreams)
			whole := staffTraffic(t, store, 240, "") // a console that does not say: whole queue frames
			t.Logf("60 consoles: %s", small)
			t.Logf("240 consoles: %s", large)
			t.Logf("240 consoles taking whole queue frames: %s", whole)
			for _, m := range []staffTrafficFigures{small, large, whole} {
				if per := m.team / m.consoles; per > staffTeamBytesPerConsole {
					t.Errorf("%d consoles: %d bytes of team frames each, over %d: the team should be listed bounded", m.consoles, per, staffTeamBytesPerConsole)
				}
			}
			for _, m := range []staffTrafficFigures{small, large} {
				if per := m.queue / m.consoles; per > staffQueueChangesBytesPerConsole {
					t.Errorf("%d consoles: %d bytes of queue frames each, over %d: an arrival should cost an entry", m.consoles, per, staffQueueChangesBytesPerConsole)
				}
			}
			if per := whole.queue / whole.consoles; per > staffQueueBytesPerConsole {
				t.Errorf("%d consoles: %d bytes of whole queue frames each, over %d", whole.consoles, per, staffQueueBytesPerConsole)
			}
			// Four times the consoles: about four times the bytes (linear),
			// not sixteen (quadratic). The small run's consoles have fewer
			// colleagues to list, hence a little slack.
			if ratio := float64(large.team+large.queue) / float64(small.team+small.queue); ratio > 6 {
				t.Errorf("4× the consoles cost %.1f× the staff frames (%d → %d bytes): more than linear", ratio, small.team+small.queue, large.team+large.queue)
			}
		})
	}
}

// staffTrafficFigures is what the consoles of one run received.
type staffTrafficFigures struct {
	consoles    int
	team, queue int // bytes of team and team_changes, and of queue frames
	teamFrames  int // team and team_changes frames delivered
	queueFrames int
	versions    int // distinct team_changes versions: one encode each
}

func (m staffTrafficFigures) String() string {
	return fmt.Sprintf("%d bytes of team frames (%d per console, %d frames for %d changes), %d of queue frames (%d per console, %d frames)",
		m.team, m.team/m.consoles, m.teamFrames, m.versions, m.queue, m.queue/m.consoles, m.queueFrames)
}

// staffTraffic runs one ramp of consoles that authenticate with streams
// (a JSON list, or "" to leave it out) and returns what they received.
func staffTraffic(t testing.TB, store string, consoles int, streams string) staffTrafficFigures {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	srv := servertest.Start(t, store)
	clock := newStaffStepClock()
	srv.Chat.SetStaffClock(chat.StaffClock{Now: clock.now, AfterFunc: clock.afterFunc})
	tokens := make([]string, consoles)
	for i := range consoles {
		name := fmt.Sprintf("c%04d", i)
		password := srv.MustCounselor(t, name, 1, servertest.Skills{})
		in, err := chatclient.Login(ctx, srv.URL, name, password)
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = in.Token
	}
	var all []*countingConsole
	perSecond := (consoles + staffRampSeconds - 1) / staffRampSeconds
	for second := range staffRampSeconds {
		for i := second * perSecond; i < min(consoles, (second+1)*perSecond); i++ {
			all = append(all, dialCounting(t, ctx, srv.URL, tokens[i], streams))
		}
		if _, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", ""); err != nil {
			t.Fatal(err)
		}
		// Each second's seeker reaches every console before the next
		// second: every second of the ramp costs its frames, however
		// fast the consoles connect.
		settle(t, ctx, clock, all, func(s consoleState) bool { return s.waiting == second+1 })
	}
	// Then seconds pass until every console has the end state: everyone on
	// shift, every seeker waiting.
	settle(t, ctx, clock, all, func(s consoleState) bool { return s.onShift == consoles && s.waiting == staffRampSeconds })
	m := staffTrafficFigures{consoles: consoles}
	versions := map[int64]bool{}
	for _, c := range all {
		s := c.state()
		m.team += s.teamBytes
		m.queue += s.queueBytes
		m.teamFrames += s.teamFrames
		m.queueFrames += s.queueFrames
		for v := range s.versions {
			versions[v] = true
		}
	}
	m.versions = len(versions)
	return m
}

// settle steps the staff clock a second at a time until every console's
// state satisfies ok.
func settle(t testing.TB, ctx context.Context, clock *staffStepClock, all []*countingConsole, ok func(consoleState) bool) {
	t.Helper()
	for step := 0; ; step++ {
		clock.advance(time.Second)
		if waitAll(ctx, all, ok) {
			return
		}
		if step > 30 || ctx.Err() != nil {
			t.Fatalf("the consoles never all reached the state wanted; the first has %+v", all[0].state())
		}
	}
}

// waitAll waits up to two seconds for every console to reach a state;
// false if one did not (the caller steps the clock and asks again).
func waitAll(ctx context.Context, all []*countingConsole, ok func(consoleState) bool) bool {
	deadline := time.Now().Add(2 * time.Second)
	for _, c := range all {
		if !c.waitFor(ctx, deadline, ok) {
			return false
		}
	}
	return true
}

// consoleState is what one console has read.
type consoleState struct {
	onShift, waiting      int
	teamBytes, queueBytes int
	teamFrames            int
	queueFrames           int
	bad                   string // a frame that was not JSON
	lastQueue             string // the type of the last queue, queue_changes or queue_total frame
	queueListed           int    // entries in the last queue frame
	versions              map[int64]bool
}

// countingConsole reads every frame of one console's socket as it comes,
// keeps the team count and the queue total, and counts the bytes.
type countingConsole struct {
	mu      sync.Mutex
	changed *sync.Cond
	s       consoleState
	listed  map[string]bool
}

func dialCounting(t testing.TB, ctx context.Context, base, token, streams string) *countingConsole {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, chatclient.WSURL(base), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": []string{base}}})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(32 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	auth := fmt.Appendf(nil, `{"type":"auth","token":%q}`, token)
	if streams != "" {
		auth = fmt.Appendf(nil, `{"type":"auth","token":%q,"streams":%s}`, token, streams)
	}
	if err := ws.Write(ctx, websocket.MessageText, auth); err != nil {
		t.Fatal(err)
	}
	c := &countingConsole{s: consoleState{versions: map[int64]bool{}}, listed: map[string]bool{}}
	c.changed = sync.NewCond(&c.mu)
	ready := make(chan error, 1)
	go c.read(ws, ready)
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *countingConsole) read(ws *websocket.Conn, ready chan<- error) {
	first := true
	for {
		_, data, err := ws.Read(context.Background())
		if err != nil {
			if first {
				ready <- err
			}
			return
		}
		var f chatclient.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			if first {
				ready <- err
			}
			c.mu.Lock()
			c.s.bad = fmt.Sprintf("%q: %v", data, err) // shown when the wait fails
			c.mu.Unlock()
			return
		}
		if first {
			first = false
			if f.Type != "ready" {
				ready <- fmt.Errorf("first frame %s, not ready", data)
				return
			}
			ready <- nil
		}
		c.mu.Lock()
		c.apply(f, len(data))
		c.changed.Broadcast()
		c.mu.Unlock()
	}
}

// apply keeps the count on shift: the server's team_total, or (listing
// everyone, as the server once did) the length of the list.
func (c *countingConsole) apply(f chatclient.Frame, size int) {
	switch f.Type {
	case "queue", "queue_changes", "queue_total":
		c.s.queueBytes += size
		c.s.queueFrames++
		c.s.waiting = f.WaitingTotal
		c.s.lastQueue = f.Type
		if f.Type == "queue" {
			c.s.queueListed = len(f.Waiting)
		}
	case "team":
		c.s.teamBytes += size
		c.s.teamFrames++
		clear(c.listed)
		for _, m := range f.Team {
			c.listed[m.ID] = true
		}
		c.s.onShift = max(f.TeamTotal, len(c.listed))
	case "team_changes":
		c.s.teamBytes += size
		c.s.teamFrames++
		c.s.versions[f.TeamVersion] = true
		for _, id := range f.Gone {
			delete(c.listed, id)
		}
		for _, m := range f.Added {
			c.listed[m.ID] = true
		}
		c.s.onShift = max(f.TeamTotal, len(c.listed))
	}
}

func (c *countingConsole) state() consoleState {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	return s
}

// waitFor waits until ok holds for the console's state, or the deadline.
func (c *countingConsole) waitFor(ctx context.Context, deadline time.Time, ok func(consoleState) bool) bool {
	stop := time.AfterFunc(time.Until(deadline), func() {
		c.mu.Lock()
		c.changed.Broadcast()
		c.mu.Unlock()
	})
	defer stop.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !ok(c.s) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		c.changed.Wait()
	}
	return true
}

// staffStepClock is a clock that moves only when told; its timers run when it
// passes their time.
type staffStepClock struct {
	mu     sync.Mutex
	at     time.Time
	timers []staffStepTimer
}

type staffStepTimer struct {
	at time.Time
	f  func()
}

func newStaffStepClock() *staffStepClock {
	return &staffStepClock{at: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
}

func (c *staffStepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *staffStepClock) afterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, staffStepTimer{at: c.at.Add(d), f: f})
}

// advance moves the clock by d and runs the timers then due, in order.
func (c *staffStepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.at = c.at.Add(d)
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	var due []func()
	for len(c.timers) > 0 && !c.timers[0].at.After(c.at) {
		due = append(due, c.timers[0].f)
		c.timers = c.timers[1:]
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}
