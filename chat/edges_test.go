package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A socket that sends no auth in time is closed with 4002, by a close
// frame the client receives, not dropped (1006).
func TestNoAuthInTimeClosesWith4002(t *testing.T) {
	e := startConnTest(t, func(c *Config) { c.AuthTimeout = 50 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_, _, err = ws.Read(ctx)
	if code := websocket.CloseStatus(err); code != StatusAuthTimeout {
		t.Fatalf("silent socket: %v (close code %d), want close %d", err, code, StatusAuthTimeout)
	}
}

// An auth frame that comes in time opens the connection as before, with a
// timeout short enough that the timer would have fired had it not stopped.
func TestAuthInTimeStopsTheTimer(t *testing.T) {
	e := startConnTest(t, func(c *Config) { c.AuthTimeout = 200 * time.Millisecond })
	ws, _ := e.seeker(t)
	time.Sleep(300 * time.Millisecond) // past the auth timeout: still open
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, ws, "pong")
}

func readRaw(t *testing.T, ws *websocket.Conn) map[string]json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %q: %v", data, err)
	}
	return f
}

// A console that holds no conversation still gets "conversations": [].
func TestStaffReadyAlwaysListsConversations(t *testing.T) {
	e := startConnTest(t)
	token, _ := e.tokens.IssueStaff(7, RoleCounselor, "s7", time.Hour)
	ws := e.dial(t, token)
	f := readRaw(t, ws)
	if string(f["type"]) != `"ready"` {
		t.Fatalf("first frame %v, want ready", f)
	}
	if got := string(f["conversations"]); got != "[]" {
		t.Fatalf(`ready's conversations: %q, want "[]"`, got)
	}
}

// A sync after a sequence number the conversation has not reached is
// refused with invalid, and the connection's live delivery goes on from
// where it was.
func TestSyncBeyondLastSeqIsRefusedAndDoesNotStall(t *testing.T) {
	e := startConnTest(t)
	ws, id := e.seeker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	write := func(frame string) {
		t.Helper()
		if err := ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"type":"sync","conversation_id":"` + id + `","after_seq":1000000}`)
	f := readRaw(t, ws)
	if string(f["type"]) != `"error"` || string(f["code"]) != `"invalid"` || string(f["ref"]) != `"`+id+`"` {
		t.Fatalf("sync after 1000000 of an empty conversation: got %v, want an invalid error for it", f)
	}
	write(`{"type":"sync","conversation_id":"` + id + `","after_seq":0}`)
	expectFrames(t, ws, "synced")
	write(`{"type":"send","conversation_id":"` + id + `","client_id":"a","body":"hola"}`)
	expectFrames(t, ws, "message", "ack")
	write(`{"type":"sync","conversation_id":"` + id + `","after_seq":2}`)
	if f := readFrame(t, ws); f.Type != "error" {
		t.Fatalf("sync after 2 with one message: got %+v, want an error", f)
	}
	// Still live from seq 1: the next message arrives.
	write(`{"type":"send","conversation_id":"` + id + `","client_id":"b","body":"hola"}`)
	if f := readFrame(t, ws); f.Type != "message" || f.Seq != 2 {
		t.Fatalf("after a refused sync: got %+v, want message 2", f)
	}
	// Its ack is queued only after the message is published: wait for it,
	// so that the sync below cannot be answered first.
	expectFrames(t, ws, "ack")
	// Syncing at the last seq is fine: nothing to replay.
	write(`{"type":"sync","conversation_id":"` + id + `","after_seq":2}`)
	expectFrames(t, ws, "synced")
}

// The writer may have just served a wake-up when a sender's message is
// stored (its wake-up queued behind) and its ack queued: the message still
// goes first.
func TestOwnMessageBeforeAckWhenStoredAsTheWriterRuns(t *testing.T) {
	e := startConnTest(t)
	ws, id := e.seeker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"sync","conversation_id":"`+id+`","after_seq":0}`)); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, ws, "synced")
	c := e.connOf(t, id)
	var armed atomic.Bool
	var clientID atomic.Value
	hook := func(w *Conn) {
		if w == c && armed.CompareAndSwap(true, false) {
			// As the reader does for a send frame: store, then queue the ack.
			c.handle(clientFrame{Type: frameSend, ConversationID: id, ClientID: clientID.Load().(string), Body: "hola"})
		}
	}
	testHookDelivered.Store(&hook)
	defer testHookDelivered.Store(nil)
	for round := range 5 {
		waitWriterIdle(t)
		clientID.Store(fmt.Sprint("mid", round))
		armed.Store(true)
		c.wakeUp()
		for _, want := range []string{"message", "ack"} {
			if f := readFrame(t, ws); f.Type != want || f.ClientID != clientID.Load() || f.Seq != int64(round+1) {
				t.Fatalf("round %d: got %+v, want the message's %s", round, f, want)
			}
		}
	}
}

// announcingRouter, like a routing round run the moment a counsellor comes
// on shift, offers them a conversation, tells them their status, assigns
// them one and sends every console the queue: all before their ready is
// built.
type announcingRouter struct {
	connTestRouter
	svc atomic.Pointer[Service]
}

func (r *announcingRouter) Connected(ctx context.Context, s StaffInfo) {
	svc := r.svc.Load()
	conv := Conversation{ID: NewID(), Status: StatusWaiting, Audience: AudienceSelf, Language: "es"}
	svc.handleEvent(ctx, Event{Type: EventOffer, StaffID: s.ID, Conversation: &conv, Until: time.Now().Add(time.Minute)})
	svc.handleEvent(ctx, Event{Type: EventStaff, StaffID: s.ID, Member: &TeamMember{ID: s.ID, Status: "available"}})
	assigned := conv
	assigned.Status, assigned.CounselorID = StatusActive, s.ID
	svc.handleEvent(ctx, Event{Type: EventConversation, StaffID: s.ID, ConversationID: conv.ID, Conversation: &assigned})
	for _, c := range svc.hub.staffConns(0) {
		c.enqueue(queueFrame(nil))
	}
}

// Frames queued for a console before its ready wait for it: ready comes
// first, and none of them is lost.
func TestNothingComesBeforeReady(t *testing.T) {
	router := &announcingRouter{}
	e := startConnTest(t, func(c *Config) { c.Router = router })
	router.svc.Store(e.svc)
	token, _ := e.tokens.IssueStaff(7, RoleCounselor, "s7", time.Hour)
	ws := e.dial(t, token)
	if f := readFrame(t, ws); f.Type != "ready" {
		t.Fatalf("first frame %q, want ready", f.Type)
	}
	want := map[string]bool{"offer": true, "status": true, "conversation": true, "queue": true, "team": true}
	for len(want) > 0 {
		delete(want, readFrame(t, ws).Type)
	}
}

// Many consoles connecting while others' frames are broadcast to every
// console (as the queue refresher does when seekers arrive) each get ready
// first.
func TestConsolesConnectingDuringBroadcastsGetReadyFirst(t *testing.T) {
	e := startConnTest(t)
	stop := make(chan struct{})
	var broadcasts sync.WaitGroup
	broadcasts.Go(func() {
		sent := map[*Conn]int{}
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, c := range e.svc.hub.staffConns(0) {
				// As often as can be, but fewer in all than a console's
				// queue holds: these consoles read only their first frame.
				if sent[c] < staffOutQueueFrames/2 {
					sent[c]++
					c.enqueue(queueFrame(nil))
				}
			}
			runtime.Gosched()
		}
	})
	defer func() { close(stop); broadcasts.Wait() }()
	const consoles = 100
	var wg sync.WaitGroup
	errs := make(chan error, consoles)
	for i := range consoles {
		wg.Go(func() {
			token, _ := e.tokens.IssueStaff(int64(100+i), RoleCounselor, fmt.Sprint("s", i), time.Hour)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws", nil)
			if err != nil {
				errs <- err
				return
			}
			defer ws.CloseNow()
			if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"auth","token":"`+token+`"}`)); err != nil {
				errs <- err
				return
			}
			_, data, err := ws.Read(ctx)
			if err == nil && !strings.HasPrefix(string(data), `{"type":"ready"`) {
				err = fmt.Errorf("console %d: first frame %.40s…, want ready", i, data)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The page's own origin is the request's scheme and host: over plain HTTP,
// https://host is another origin, unless the service says it is reached
// over HTTPS or a pattern names it.
func TestOriginIsSchemeAndHost(t *testing.T) {
	for _, tc := range []struct {
		name     string
		https    bool
		patterns []string
		origin   string // %s: the server's host
		allowed  bool
	}{
		{"own origin", false, nil, "http://%s", true},
		{"https page for an http server", false, nil, "https://%s", false},
		{"behind a TLS proxy", true, nil, "https://%s", true},
		{"http page for an https server", true, nil, "http://%s", false},
		{"other host", false, nil, "http://elsewhere.example", false},
		{"a scheme pattern", false, []string{"https://127.0.0.1:*"}, "https://%s", true},
		{"a scheme pattern is not another scheme", false, []string{"https://elsewhere.example"}, "http://elsewhere.example", false},
		{"a host pattern matches either scheme", false, []string{"*.example"}, "https://elsewhere.example", true},
		{"no Origin: not a browser", false, nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startConnTest(t, func(c *Config) { c.HTTPS, c.OriginPatterns = tc.https, tc.patterns })
			host := strings.TrimPrefix(e.srv.URL, "http://")
			header := http.Header{}
			if tc.origin != "" {
				header.Set("Origin", strings.ReplaceAll(tc.origin, "%s", host))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, resp, err := websocket.Dial(ctx, "ws://"+host+"/ws", &websocket.DialOptions{HTTPHeader: header})
			if err == nil {
				ws.CloseNow()
			}
			if tc.allowed != (err == nil) {
				status := 0
				if resp != nil {
					status = resp.StatusCode
				}
				t.Fatalf("Origin %q: dial %v (status %d), want allowed %v", header.Get("Origin"), err, status, tc.allowed)
			}
		})
	}
}
