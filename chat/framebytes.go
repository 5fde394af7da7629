package chat

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"helpline/chat/wire"
)

// Message and ack frames are most of what the server writes, one of each
// kind per message and recipient. They are written here by hand into a
// reused buffer, byte for byte what json.Marshal makes of the same
// serverFrame (TestFrameBytesAreMarshals holds them to it): Marshal costs
// five allocations a frame (the frame boxed, its body and time pointers,
// the time's own encoding and the result), and on the delivery path that
// garbage was a fifth of everything the server allocated.

// framePool holds the buffers message frames are written into: a writer
// goroutine runs only while it has frames to send, so it cannot keep one.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendMessageFrame appends the frame messageFrame(m, forAuthor) encodes
// to. ok is false for a time json.Marshal would write differently or
// refuse (an offset from UTC, or a year outside 0–9999); the caller
// marshals those.
func appendMessageFrame(b []byte, m Message, forAuthor bool) (_ []byte, ok bool) {
	if !plainTime(m.SentAt) {
		return b, false
	}
	b = append(b, `{"type":"`+wire.FrameMessage+`"`...)
	b = appendStringField(b, "conversation_id", m.ConversationID)
	b = appendSeqField(b, m.Seq)
	b = appendStringField(b, "sender", string(m.Sender))
	b = appendStringField(b, "kind", m.Kind)
	b = append(b, `,"body":`...)
	b = appendJSONString(b, m.Body)
	b = appendStringField(b, "name", m.Name)
	if forAuthor {
		b = appendStringField(b, "client_id", m.ClientID)
	}
	b = appendTimeField(b, "sent_at", m.SentAt)
	return append(b, '}'), true
}

// ackBytes is the ack frame for a stored message, the frame onSend queues
// (nil when json.Marshal must write it: see appendMessageFrame).
func ackBytes(conversationID, clientID string, seq int64, sentAt time.Time) []byte {
	if !plainTime(sentAt) {
		return nil
	}
	b := make([]byte, 0, 96+len(conversationID)+len(clientID)+len(time.RFC3339Nano)) // the frame, with room to spare
	return appendAckFrame(b, conversationID, clientID, seq, sentAt)
}

// appendAckFrame appends the ack frame ackBytes makes (sentAt plainTime).
func appendAckFrame(b []byte, conversationID, clientID string, seq int64, sentAt time.Time) []byte {
	b = append(b, `{"type":"`+wire.FrameAck+`"`...)
	b = appendStringField(b, "conversation_id", conversationID)
	b = appendSeqField(b, seq)
	b = appendStringField(b, "client_id", clientID)
	b = appendTimeField(b, "sent_at", sentAt)
	return append(b, '}')
}

// plainTime: a time Time.MarshalJSON writes as AppendFormat(RFC3339Nano)
// does, at offset zero (a "Z"), in a year it accepts.
func plainTime(t time.Time) bool {
	_, offset := t.Zone()
	return offset == 0 && t.Year() >= 0 && t.Year() <= 9999
}

// appendStringField appends ,"name":"value", or nothing for "" (omitempty).
func appendStringField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

func appendSeqField(b []byte, seq int64) []byte {
	if seq == 0 {
		return b
	}
	b = append(b, `,"seq":`...)
	return strconv.AppendInt(b, seq, 10)
}

func appendTimeField(b []byte, name string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes it by default:
// ", \ and control characters escaped (\b \f \n \r \t short), <, > and &
// as \u003c…, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscapedByte(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func htmlSafe(c byte) bool {
	return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

func appendEscapedByte(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// marshalMessageFrame is the slow way, for the frames appendMessageFrame
// leaves (and the reference its tests compare with).
func marshalMessageFrame(m Message, forAuthor bool) ([]byte, error) {
	return json.Marshal(messageFrame(m, forAuthor))
}
