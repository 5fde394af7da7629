package chat

import (
	"encoding/json"
	"reflect"
	"strings"
)

// A client frame whose keys are all, byte for byte, names of clientFrame's
// fields is decoded with json.Unmarshal: for such a frame the strict
// decoder (decodeStrictly) would find no unknown field, and Unmarshal
// refuses anything after the object as it does, so the two give the same
// frame. Unmarshal spares the decoder, its reader and the copy of the frame
// it reads into: three of a send frame's twelve allocations and most of its
// bytes. Any other frame, and any frame Unmarshal refuses, goes through
// the strict decoder, which says what is wrong as before.

// clientFrameKeys is the JSON name of every field of clientFrame.
var clientFrameKeys = func() map[string]struct{} {
	keys := map[string]struct{}{}
	t := reflect.TypeOf(clientFrame{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys[name] = struct{}{}
	}
	return keys
}()

// quickDecode decodes data into f and reports true, if it may (see above);
// false leaves f to be cleared and decoded strictly. A flat frame (see
// flatDecode) is decoded by hand; json.Unmarshal decodes into a frame of
// its own, copied to f, so that f itself (the caller's) stays off the heap.
func quickDecode(data []byte, f *clientFrame) bool {
	if flatDecode(data, f) {
		return true
	}
	*f = clientFrame{}
	if !onlyKnownKeys(data) {
		return false
	}
	g := new(clientFrame)
	if json.Unmarshal(data, g) != nil {
		return false
	}
	*f = *g
	return true
}

// onlyKnownKeys reports whether data starts with an object whose every key,
// unescaped, is in clientFrameKeys. It does not validate the JSON (Unmarshal
// does, after it); on anything it does not follow, it says false.
func onlyKnownKeys(data []byte) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	for i = skipSpace(data, i+1); i < len(data); i = skipSpace(data, i+1) {
		if data[i] == '}' {
			return true
		}
		end, ok := knownKey(data, i)
		if !ok {
			return false
		}
		if i = skipSpace(data, end); i >= len(data) || data[i] != ':' {
			return false
		}
		if i = skipValue(data, skipSpace(data, i+1)); i < 0 {
			return false
		}
		if i = skipSpace(data, i); i >= len(data) || data[i] == '}' {
			return i < len(data)
		}
		if data[i] != ',' {
			return false
		}
	}
	return false
}

// knownKey reads the key at data[i] ('"'), returning the index after it.
func knownKey(data []byte, i int) (int, bool) {
	if data[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			return 0, false // an escaped key: left to the strict decoder
		case '"':
			_, known := clientFrameKeys[string(data[i+1:j])]
			return j + 1, known
		}
	}
	return 0, false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the value at data[i], or -1.
func skipValue(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			if i = skipString(data, i); i < 0 {
				return -1
			}
			if depth == 0 {
				return i
			}
			i-- // the loop's i++ comes next
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // ends the enclosing object: a value was missing
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}

// skipString returns the index just after the string at data[i] ('"'), or -1.
func skipString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}
