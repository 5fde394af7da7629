package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Payload is the body of a frame in the typed envelope: a struct per frame
// type, whose fields sit beside "type" in the frame,
// {"type": FrameType(), ...fields}. A payload must encode as a JSON object
// and must not have a field named "type". Every new server frame is one.
type Payload interface {
	FrameType() string
}

// Encode returns the frame of p: {"type": p.FrameType(), ...p's fields}.
func Encode(p Payload) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("wire: a %s payload must encode as a JSON object", p.FrameType())
	}
	typ, _ := json.Marshal(p.FrameType())
	var b bytes.Buffer
	b.Grow(len(body) + len(typ) + 9)
	b.WriteString(`{"type":`)
	b.Write(typ)
	if rest := bytes.TrimSpace(body[1:]); len(rest) > 1 { // not just "}"
		b.WriteByte(',')
	}
	b.Write(body[1:])
	return b.Bytes(), nil
}

// Decode reads a frame in the typed envelope into p, checking its type.
func Decode(frame []byte, p Payload) error {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(frame, &head); err != nil {
		return err
	}
	if head.Type != p.FrameType() {
		return fmt.Errorf("wire: frame is %q, not %q", head.Type, p.FrameType())
	}
	return json.Unmarshal(frame, p)
}
