package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// Helpers shared by the security and privacy tests (authz, fan-out, rate
// limits, privacy). The end-to-end helpers of e2e_test.go are used too.

// apiAnswer is one HTTP answer, with the error code and message when the
// body is an error.
type apiAnswer struct {
	Status  int
	Body    []byte
	Header  http.Header
	Code    string
	Message string
}

// call does one HTTP request with client (http.DefaultClient when nil).
// body is sent as is when it is []byte, else as JSON; nil sends nothing.
func call(t *testing.T, ctx context.Context, client *http.Client, method, url, bearer string, body any, header http.Header) apiAnswer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	a := apiAnswer{Status: resp.StatusCode, Body: data, Header: resp.Header}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil {
			a.Code, a.Message = e.Error.Code, e.Error.Message
		}
	}
	return a
}

// startConversation starts a conversation as a new seeker.
func startConversation(t *testing.T, ctx context.Context, srv *servertest.Server) chatclient.Started {
	t.Helper()
	st, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// dialAs opens an authenticated socket, closed when t ends.
func dialAs(t *testing.T, ctx context.Context, srv *servertest.Server, token string) *chatclient.Client {
	t.Helper()
	c, err := chatclient.Dial(ctx, srv.URL, token)
	if err != nil {
		t.Fatalf("opening a socket: %v", err)
	}
	t.Cleanup(func() { c.WS.CloseNow() })
	return c
}

// dialRaw opens a socket without authenticating, closed when t ends.
func dialRaw(t *testing.T, ctx context.Context, srv *servertest.Server) *chatclient.Client {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, chatclient.WSURL(srv.URL), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {srv.URL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return chatclient.NewClient(ws)
}

// waitFrame waits up to 5 s for a frame that satisfies match.
func waitFrame(t *testing.T, ctx context.Context, c *chatclient.Client, what string, match func(chatclient.Frame) bool) chatclient.Frame {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	f, err := c.WaitFor(wctx, match)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return f
}

// waitClose reads until the server closes the socket and returns the code.
func waitClose(ctx context.Context, c *chatclient.Client) (websocket.StatusCode, []chatclient.Frame) {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var frames []chatclient.Frame
	for {
		f, err := c.Next(wctx)
		if err != nil {
			return chatclient.CloseStatus(err), frames
		}
		frames = append(frames, f)
	}
}

// collect reads every frame that arrives within window (a deadline, not a
// synchronisation), including frames read earlier but not consumed.
func collect(ctx context.Context, c *chatclient.Client, window time.Duration) []chatclient.Frame {
	wctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	var frames []chatclient.Frame
	for {
		f, err := c.Next(wctx)
		if err != nil {
			return frames
		}
		frames = append(frames, f)
	}
}

// about reports whether f concerns conversation id.
func about(f chatclient.Frame, id string) bool {
	return f.ConversationID == id || f.Conversation != nil && f.Conversation.ID == id || strings.Contains(string(f.Raw), id)
}

// activityAbout reports whether f is the trace of something done in
// conversation id: a message, an ack, a replay, a typing signal or a state
// change. (Not the staff waiting list or a seeker's place in it.)
func activityAbout(f chatclient.Frame, id string) bool {
	switch f.Type {
	case "message", "ack", "synced", "typing", "conversation":
		return about(f, id)
	}
	return false
}

// expectQuiet fails if any of the clients receives a trace of activity in
// conversation id within window; each client is read by its own goroutine.
func expectQuiet(t *testing.T, ctx context.Context, window time.Duration, id string, clients map[string]*chatclient.Client) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[string][]string{}
	for name, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range collect(ctx, c, window) {
				if activityAbout(f, id) {
					mu.Lock()
					got[name] = append(got[name], string(f.Raw))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for name, frames := range got {
		t.Errorf("%s received frames about %s: %v", name, id, frames)
	}
}

// conversationState returns a conversation's status and last sequence
// number as its seeker sees them on a fresh connection.
func conversationState(t *testing.T, ctx context.Context, srv *servertest.Server, seekerToken string) (string, int64) {
	t.Helper()
	c, err := chatclient.Dial(ctx, srv.URL, seekerToken)
	if err != nil {
		t.Fatalf("reading the conversation's state: %v", err)
	}
	defer c.WS.CloseNow()
	if len(c.Ready.Conversations) != 1 {
		t.Fatalf("seeker ready = %s", c.Ready.Raw)
	}
	conv := c.Ready.Conversations[0]
	return conv.Status, conv.LastSeq
}

// clientFrom returns an HTTP client and WebSocket dial options whose
// connections come from the loopback address ip (all of 127/8 is local on
// Linux) and carry userAgent. It records every local address it dialled from.
type sourcedClient struct {
	HTTP      *http.Client
	UserAgent string

	mu    sync.Mutex
	addrs []string
}

func newSourcedClient(t *testing.T, ip, userAgent string) *sourcedClient {
	t.Helper()
	sc := &sourcedClient{UserAgent: userAgent}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				sc.mu.Lock()
				sc.addrs = append(sc.addrs, conn.LocalAddr().String())
				sc.mu.Unlock()
			}
			return conn, err
		},
		DisableCompression: true,
	}
	t.Cleanup(transport.CloseIdleConnections)
	sc.HTTP = &http.Client{Transport: &uaTransport{ua: userAgent, next: transport}} // requests carry their own deadlines
	return sc
}

// LocalAddrs returns the local addresses connections were dialled from.
func (sc *sourcedClient) LocalAddrs() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]string(nil), sc.addrs...)
}

type uaTransport struct {
	ua   string
	next http.RoundTripper
}

func (u *uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(r)
}

// Dial opens an authenticated socket through this client.
func (sc *sourcedClient) Dial(t *testing.T, ctx context.Context, srv *servertest.Server, token string) *chatclient.Client {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, chatclient.WSURL(srv.URL), &websocket.DialOptions{
		HTTPClient: sc.HTTP,
		HTTPHeader: http.Header{"Origin": {srv.URL}, "User-Agent": {sc.UserAgent}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	c := chatclient.NewClient(ws)
	if err := c.Send(ctx, map[string]any{"type": "auth", "token": token}); err != nil {
		t.Fatal(err)
	}
	c.Ready = waitFrame(t, ctx, c, "ready", func(f chatclient.Frame) bool { return f.Type == "ready" || f.Type == "error" })
	if c.Ready.Type != "ready" {
		t.Fatalf("auth refused: %s", c.Ready.Raw)
	}
	return c
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("answer %q: %v", data, err)
	}
}
