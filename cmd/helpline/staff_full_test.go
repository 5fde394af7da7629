package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// Consoles whose counsellor is at capacity are told how many wait, not who:
// with one counsellor per conversation nearly every console is full while
// seekers keep arriving, and each arrival and departure sent to all of them
// as entries and ids was most of the staff traffic. A full console costs a
// small frame a second while the number changes, whatever the queue holds;
// once it has room it gets the list again.

// fullQueueBytesPerSecond is what a full console may receive of the queue
// each second a seeker arrives: one queue_total frame (~40 bytes). The
// list's changes cost an entry each (~200 bytes with the frame).
const fullQueueBytesPerSecond = 80

func TestConsolesAtCapacityAreToldOnlyHowManyWait(t *testing.T) {
	const consoles, arrivals = 12, 8
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			srv := servertest.Start(t, store)
			clock := newStaffStepClock()
			srv.Chat.SetStaffClock(chat.StaffClock{Now: clock.now, AfterFunc: clock.afterFunc})
			all, sockets, held := fillConsoles(t, ctx, srv, consoles)
			settle(t, ctx, clock, all, func(s consoleState) bool { return s.waiting == 0 && s.onShift == consoles })
			settle(t, ctx, clock, all, func(s consoleState) bool { return s.lastQueue == "queue_total" })
			before := queueBytes(all)
			for second := range arrivals {
				if _, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", ""); err != nil {
					t.Fatal(err)
				}
				settle(t, ctx, clock, all, func(s consoleState) bool { return s.waiting == second+1 })
			}
			after := queueBytes(all)
			t.Logf("%d consoles at capacity, %d arrivals: console 0 got %d bytes of queue frames (%d a second)",
				consoles, arrivals, after[0]-before[0], (after[0]-before[0])/arrivals)
			for i := range all {
				if per := (after[i] - before[i]) / arrivals; per > fullQueueBytesPerSecond {
					t.Errorf("console %d, at capacity: %d bytes of queue frames a second while seekers arrived, over %d: it should be told only how many wait",
						i, per, fullQueueBytesPerSecond)
				}
			}
			// One ends its conversation: with room again it gets the list.
			end := fmt.Appendf(nil, `{"type":"end","conversation_id":%q,"reason":""}`, held[0])
			if err := sockets[0].Write(ctx, websocket.MessageText, end); err != nil {
				t.Fatal(err)
			}
			settle(t, ctx, clock, all[:1], func(s consoleState) bool { return s.lastQueue == "queue" && s.queueListed == arrivals })
			if s := all[1].state(); s.lastQueue != "queue_total" {
				t.Errorf("a console still at capacity last got %q, want queue_total", s.lastQueue)
			}
		})
	}
}

// fillConsoles connects n counsellors of capacity 1 as the web console
// does, and has each accept a conversation of its own; it returns the
// consoles, their sockets and the conversation each holds.
func fillConsoles(t *testing.T, ctx context.Context, srv *servertest.Server, n int) ([]*countingConsole, []*websocket.Conn, []string) {
	t.Helper()
	var all []*countingConsole
	var sockets []*websocket.Conn
	var held []string
	for i := range n {
		name := fmt.Sprintf("full%02d", i)
		in, err := chatclient.Login(ctx, srv.URL, name, srv.MustCounselor(t, name, 1, servertest.Skills{}))
		if err != nil {
			t.Fatal(err)
		}
		c, ws := dialCountingSocket(t, ctx, srv.URL, in.Token, webConsoleStreams)
		started, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "")
		if err != nil {
			t.Fatal(err)
		}
		accept := fmt.Appendf(nil, `{"type":"accept","conversation_id":%q}`, started.ConversationID)
		if err := ws.Write(ctx, websocket.MessageText, accept); err != nil {
			t.Fatal(err)
		}
		all, sockets, held = append(all, c), append(sockets, ws), append(held, started.ConversationID)
	}
	return all, sockets, held
}

// dialCountingSocket is dialCounting that also returns the socket, to
// write on it.
func dialCountingSocket(t testing.TB, ctx context.Context, base, token, streams string) (*countingConsole, *websocket.Conn) {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, chatclient.WSURL(base), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": []string{base}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	if err := ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"auth","token":%q,"streams":%s}`, token, streams)); err != nil {
		t.Fatal(err)
	}
	c := &countingConsole{s: consoleState{versions: map[int64]bool{}}, listed: map[string]bool{}}
	c.changed = sync.NewCond(&c.mu)
	ready := make(chan error, 1)
	go c.read(ws, ready)
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	return c, ws
}

func queueBytes(all []*countingConsole) []int {
	out := make([]int, len(all))
	for i, c := range all {
		out[i] = c.state().queueBytes
	}
	return out
}
