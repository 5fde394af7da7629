package main

import (
	"bytes"
	"context"
	"strconv"

	"github.com/coder/websocket"

	"helpline/chat/chatclient"
)

// The generator shares the two cores with the server it measures, so what
// it spends per frame shows up in every latency it reports: its own
// garbage collections pause its readers. Decoding each message and ack
// with encoding/json (a frame struct of ~600 bytes on the heap, a string
// per field, the time parsed) made ~3 KiB of garbage per helpline message
// (three frames: the message to each side and the ack) and a collection
// every ~4 s at 5,000 pairs, where the relay's frames are read with a
// string and a split. quickFrame reads the fields the generator uses from
// the flat frames the server writes, and readFrame reads every frame into
// the connection's own buffer, for the relay, Centrifugo and helpline
// alike.

// readFrame reads the next frame into buf (emptied first, its memory kept
// for the next one); the bytes are valid until the next call.
func readFrame(ctx context.Context, ws *websocket.Conn, buf *bytes.Buffer) (websocket.MessageType, []byte, error) {
	typ, r, err := ws.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, buf.Bytes(), nil
}

// quickFrame decodes a message or ack frame into f (cleared first) as far
// as the generator reads them: type, conversation_id, seq, sender, kind,
// client_id (acks only) and body (messages only). It reports false, having
// decided nothing, for anything else: another frame type, a string with an
// escape, a value that is not a plain string or integer, a field it does
// not know. The caller then decodes the frame with encoding/json.
// sides names the conversations the client is in: their ids are reused
// rather than copied.
func quickFrame(data []byte, f *chatclient.Frame, sides map[string]*side) bool {
	*f = chatclient.Frame{}
	p := quickParser{b: data}
	if !p.byte('{') {
		return false
	}
	for first := true; ; first = false {
		if p.byte('}') {
			return p.i == len(p.b) && (f.Type == "message" || f.Type == "ack")
		}
		if !first && !p.byte(',') {
			return false
		}
		key, ok := p.str()
		if !ok || !p.byte(':') || first && string(key) != "type" { // the server writes the type first
			return false
		}
		if !p.field(string(key), f, sides) {
			return false
		}
	}
}

// field reads the value of key into f.
func (p *quickParser) field(key string, f *chatclient.Frame, sides map[string]*side) bool {
	if key == "seq" {
		n, ok := p.integer()
		f.Seq = n
		return ok
	}
	v, ok := p.str()
	if !ok {
		return false
	}
	switch key {
	case "type":
		switch string(v) {
		case "message":
			f.Type = "message"
		case "ack":
			f.Type = "ack"
		default:
			return false
		}
	case "conversation_id":
		if s := sides[string(v)]; s != nil {
			f.ConversationID = s.conv.id
		} else {
			f.ConversationID = string(v)
		}
	case "sender":
		f.Sender = known(v, "seeker", "counselor", "system")
	case "kind":
		f.Kind = known(v, "text", "joined", "ended")
	case "client_id":
		if f.Type == "ack" {
			f.ClientID = string(v)
		}
	case "body":
		if f.Type == "message" {
			f.Body = string(v)
		}
	case "name", "sent_at":
		// not read by the generator
	default:
		return false
	}
	return true
}

// known returns v as one of the strings given without copying it, or as a
// copy.
func known(v []byte, names ...string) string {
	for _, n := range names {
		if string(v) == n {
			return n
		}
	}
	return string(v)
}

type quickParser struct {
	b []byte
	i int
}

func (p *quickParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes and returns its bytes.
func (p *quickParser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	end := bytes.IndexByte(p.b[p.i:], '"')
	if end < 0 {
		return nil, false
	}
	s := p.b[p.i : p.i+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	p.i += end + 1
	return s, true
}

// integer reads a non-negative integer.
func (p *quickParser) integer() (int64, bool) {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	return n, err == nil
}
