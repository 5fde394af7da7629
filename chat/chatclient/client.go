// Package chatclient is a Go client of the wire protocol (../PROTOCOL.md).
// Tests and the load generator use it to drive a real server exactly as a
// browser would. A Client is used by one goroutine at a time.
package chatclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"helpline/chat/wire"
)

// The frame shapes are declared once, in package wire; these names are
// kept for code written against chatclient.
type (
	// Frame is any server frame, every field optional.
	Frame = wire.Frame
	// Conversation is PROTOCOL.md §3.2.
	Conversation = wire.Conversation
	// Wait is a waiting seeker's place and estimate.
	Wait = wire.Wait
	// TeamMember is a colleague on shift.
	TeamMember = wire.TeamMember
	// TeamChange is a member's id and the fields of theirs that changed.
	TeamChange = wire.TeamChange
	// Note is a handover note.
	Note = wire.Note
	// Staff is the signed-in staff member.
	Staff = wire.Staff
	// QueueEntry is one waiting conversation.
	QueueEntry = wire.QueueEntry
)

// Team is the team on shift as a console keeps it: replaced by a `team`
// frame, updated by `team_changes`.
type Team map[string]TeamMember

// Apply updates t from a team or team_changes frame; other frames are
// ignored. It reports whether f was one of those.
func (t Team) Apply(f Frame) bool {
	switch f.Type {
	case wire.FrameTeam:
		clear(t)
		for _, m := range f.Team {
			t[m.ID] = m
		}
	case wire.FrameTeamChanges:
		for _, id := range f.Gone {
			delete(t, id)
		}
		for _, m := range f.Added {
			t[m.ID] = m
		}
		for _, c := range f.Changed {
			t.change(c)
		}
	default:
		return false
	}
	return true
}

// change sets the fields in c of the member it names, if on the list.
func (t Team) change(c TeamChange) {
	var id struct{ ID string }
	if json.Unmarshal(c, &id) != nil {
		return
	}
	m, ok := t[id.ID]
	if !ok {
		return // not ours to know (PROTOCOL.md: team_changes)
	}
	// Field by field, into a copy: decoding into m itself would reuse the
	// arrays of its slices, which copies of t may share.
	var fields map[string]json.RawMessage
	b, _ := json.Marshal(m)
	json.Unmarshal(b, &fields)
	json.Unmarshal(c, &fields)
	b, _ = json.Marshal(fields)
	var merged TeamMember
	if json.Unmarshal(b, &merged) == nil {
		t[id.ID] = merged
	}
}

// Client is one WebSocket connection.
type Client struct {
	WS    *websocket.Conn
	Ready Frame

	frames  chan Frame // filled by the reader goroutine
	readErr error      // why the reader stopped; read after frames is closed
	backlog []Frame    // read by WaitFor but not yet wanted
}

// NewClient wraps an open WebSocket and starts reading from it. Reading in
// a goroutine of its own means that a caller giving up on a wait (a context
// deadline) does not close the connection.
func NewClient(ws *websocket.Conn) *Client {
	c := &Client{WS: ws, frames: make(chan Frame, 256)}
	go func() {
		defer close(c.frames)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				c.readErr = err
				return
			}
			var f Frame
			if err := json.Unmarshal(data, &f); err != nil {
				c.readErr = fmt.Errorf("server sent invalid JSON: %w", err)
				ws.CloseNow()
				return
			}
			f.Raw = data
			c.frames <- f
		}
	}()
	return c
}

// WSURL turns a server's base URL (http://host:port) into its WebSocket URL.
func WSURL(base string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/ws"
}

// Dial connects, authenticates with token and waits for ready. An auth
// failure is returned as a *CloseError when the server closed the socket.
func Dial(ctx context.Context, base, token string) (*Client, error) {
	return dial(ctx, base, map[string]any{"type": wire.FrameAuth, "token": token})
}

// DialObserver connects as the supervisor page does (auth with observe):
// a supervisor's or admin's socket that gets pushed frames only and puts
// no one on shift.
func DialObserver(ctx context.Context, base, token string) (*Client, error) {
	return dial(ctx, base, map[string]any{"type": wire.FrameAuth, "token": token, "observe": true})
}

func dial(ctx context.Context, base string, auth map[string]any) (*Client, error) {
	ws, _, err := websocket.Dial(ctx, WSURL(base), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": []string{base}},
	})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	c := NewClient(ws)
	if err := c.Send(ctx, auth); err != nil {
		ws.CloseNow()
		return nil, err
	}
	for {
		f, err := c.Next(ctx)
		if err != nil {
			ws.CloseNow()
			return nil, err
		}
		if f.Type == wire.FrameReady {
			c.Ready = f
			return c, nil
		}
		if f.Type == wire.FrameError {
			// The close frame follows; report it.
			if _, err := c.Next(ctx); err != nil {
				ws.CloseNow()
				return nil, err
			}
		}
	}
}

// Send writes one frame (any JSON-encodable value).
func (c *Client) Send(ctx context.Context, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.WS.Write(ctx, websocket.MessageText, data)
}

// SendRaw writes bytes as a text frame, unchecked.
func (c *Client) SendRaw(ctx context.Context, data []byte) error {
	return c.WS.Write(ctx, websocket.MessageText, data)
}

// Next returns the oldest frame not yet consumed.
func (c *Client) Next(ctx context.Context) (Frame, error) {
	if len(c.backlog) > 0 {
		f := c.backlog[0]
		c.backlog = c.backlog[1:]
		return f, nil
	}
	return c.read(ctx)
}

func (c *Client) read(ctx context.Context) (Frame, error) {
	select {
	case f, ok := <-c.frames:
		if !ok {
			return Frame{}, c.readErr
		}
		return f, nil
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	}
}

// WaitFor returns the first frame (earlier unconsumed ones included) that
// satisfies match; frames passed over stay for later Next and WaitFor calls.
func (c *Client) WaitFor(ctx context.Context, match func(Frame) bool) (Frame, error) {
	for i, f := range c.backlog {
		if match(f) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return f, nil
		}
	}
	for {
		f, err := c.read(ctx)
		if err != nil {
			return Frame{}, err
		}
		if match(f) {
			return f, nil
		}
		c.backlog = append(c.backlog, f)
	}
}

// Discard forgets every frame read but not yet consumed.
func (c *Client) Discard() { c.backlog = nil }

// Sync asks for messages after afterSeq and collects them until synced.
// Message frames of that conversation that arrived before are dropped: the
// replay covers them.
func (c *Client) Sync(ctx context.Context, conversationID string, afterSeq int64) ([]Frame, error) {
	kept := c.backlog[:0]
	for _, f := range c.backlog {
		if !(f.Type == wire.FrameMessage && f.ConversationID == conversationID) {
			kept = append(kept, f)
		}
	}
	c.backlog = kept
	if err := c.Send(ctx, map[string]any{"type": wire.FrameSync, "conversation_id": conversationID, "after_seq": afterSeq}); err != nil {
		return nil, err
	}
	var msgs []Frame
	for {
		f, err := c.read(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case f.Type == wire.FrameMessage && f.ConversationID == conversationID:
			// A live copy sent just before the replay began may come
			// first; the protocol says to drop what we already have.
			if f.Seq > afterSeq && (len(msgs) == 0 || f.Seq > msgs[len(msgs)-1].Seq) {
				msgs = append(msgs, f)
			}
		case f.Type == wire.FrameSynced && f.ConversationID == conversationID:
			return msgs, nil
		case f.Type == wire.FrameError && f.Ref == conversationID:
			return msgs, fmt.Errorf("sync refused: %s: %s", f.Code, f.Message)
		default:
			c.backlog = append(c.backlog, f)
		}
	}
}

// Close closes the connection normally.
func (c *Client) Close() { c.WS.Close(websocket.StatusNormalClosure, "") }

// CloseStatus returns the close code of an error from Next, or -1.
func CloseStatus(err error) websocket.StatusCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
