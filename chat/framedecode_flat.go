package chat

import (
	"unicode/utf8"
)

// A send, sync, ping or typing frame is a flat object: known keys, each
// with a string free of escapes, an integer or a boolean. json.Unmarshal
// spent six allocations on one (its decoding state, its scanner's stack,
// the frame it decodes into, which escapes through the interface, and a
// string per field); flatDecode reads such a frame by hand into the
// caller's frame and allocates only the strings it keeps, and none for the
// frame's type, which is one of a few known names. Whatever it does not
// follow exactly (an escape, a control character, null, a fraction or an
// exponent, an array or object, a value of another type than its field's,
// anything after the object) it leaves to json.Unmarshal, which decides as
// before: on what it takes, the two agree (TestFlatDecodeIsUnmarshal,
// FuzzFlatDecode).

// clientFrameTypes maps every client frame type to itself: a frame's type
// is taken from here rather than allocated. (clientFrames, the rules, is
// made in an init function, after this; TestClientFrameTypesAreTheRules
// holds the two together.)
var clientFrameTypes = func() map[string]string {
	types := map[string]string{}
	for _, t := range []string{frameAuth, frameSync, frameSend, frameTyping, frameEnd, frameAccept, framePing,
		frameStatus, frameDecline, frameTransfer, frameTransferTargets, frameWatch, frameUnwatch, frameStreams} {
		types[t] = t
	}
	return types
}()

// flatDecode decodes a flat frame (see above) into f, reporting false,
// with f in any state, for anything else.
func flatDecode(data []byte, f *clientFrame) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for i < len(data) {
		key, end, ok := plainString(data, i)
		if !ok {
			return false
		}
		if i = skipSpace(data, end); i >= len(data) || data[i] != ':' {
			return false
		}
		if i, ok = flatField(data, skipSpace(data, i+1), key, f); !ok {
			return false
		}
		if i = skipSpace(data, i); i >= len(data) {
			return false
		}
		switch data[i] {
		case '}':
			return skipSpace(data, i+1) == len(data)
		case ',':
			i = skipSpace(data, i+1)
		default:
			return false
		}
	}
	return false
}

// flatField decodes the value at data[i] into the field named key,
// returning the index after it.
func flatField(data []byte, i int, key []byte, f *clientFrame) (int, bool) {
	var field *string
	switch string(key) {
	case "type":
		s, end, ok := plainString(data, i)
		if !ok {
			return 0, false
		}
		if t, known := clientFrameTypes[string(s)]; known {
			f.Type = t
		} else {
			f.Type = string(s)
		}
		return end, true
	case "after_seq":
		n, end, ok := plainInt(data, i)
		if !ok {
			return 0, false
		}
		f.AfterSeq = &n
		return end, true
	case "capacity":
		n, end, ok := plainInt(data, i)
		if !ok || int64(int(n)) != n {
			return 0, false
		}
		c := int(n)
		f.Capacity = &c
		return end, true
	case "typing":
		return plainBool(data, i, &f.Typing)
	case "observe":
		return plainBool(data, i, &f.Observe)
	case "token":
		field = &f.Token
	case "conversation_id":
		field = &f.ConversationID
	case "client_id":
		field = &f.ClientID
	case "body":
		field = &f.Body
	case "reason":
		field = &f.Reason
	case "status":
		field = &f.Status
	case "to":
		field = &f.To
	case "skill":
		field = &f.Skill
	case "note":
		field = &f.Note
	default:
		return 0, false // streams, the server's own fields, an unknown key
	}
	s, end, ok := plainString(data, i)
	if !ok {
		return 0, false
	}
	*field = string(s)
	return end, true
}

// plainString reads the string at data[i] when it has no escape and no
// control character, returning its contents and the index after it. Bytes
// that are not UTF-8 are left to json.Unmarshal, which replaces them.
func plainString(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	ascii := true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			s := data[i+1 : j]
			return s, j + 1, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// plainInt reads the integer at data[i] (JSON's grammar: no leading zero,
// no plus sign, no fraction or exponent), within int64.
func plainInt(data []byte, i int) (int64, int, bool) {
	neg := i < len(data) && data[i] == '-'
	if neg {
		i++
	}
	start := i
	var n uint64
	for ; i < len(data) && '0' <= data[i] && data[i] <= '9'; i++ {
		if n > (1<<63)/10 {
			return 0, 0, false
		}
		n = n*10 + uint64(data[i]-'0')
	}
	switch {
	case i == start, data[start] == '0' && i > start+1:
		return 0, 0, false
	case i < len(data) && (data[i] == '.' || data[i] == 'e' || data[i] == 'E'):
		return 0, 0, false
	case neg && n > 1<<63, !neg && n > 1<<63-1:
		return 0, 0, false
	case neg:
		return -int64(n), i, true
	}
	return int64(n), i, true
}

// plainBool reads true or false at data[i] into b.
func plainBool(data []byte, i int, b *bool) (int, bool) {
	switch {
	case len(data)-i >= 4 && string(data[i:i+4]) == "true":
		*b = true
		return i + 4, true
	case len(data)-i >= 5 && string(data[i:i+5]) == "false":
		*b = false
		return i + 5, true
	}
	return 0, false
}
