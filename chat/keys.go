package chat

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// namedKey is one secret with the id it is known by, so data and tokens can
// say which key made them and keys can rotate.
type namedKey struct {
	id  string
	key []byte
}

// parseKeySpec reads "id:base64key,id:base64key" (first = current) of 32-byte
// keys, the form shared by HELPLINE_ENCRYPTION_KEYS and HELPLINE_TOKEN_KEYS.
func parseKeySpec(what, spec string) ([]namedKey, error) {
	var out []namedKey
	seen := map[string]bool{}
	for i, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		// Errors name the key by position and id only: the text may be a
		// secret pasted in the wrong place, and errors end up in logs.
		id, b64, ok := strings.Cut(part, ":")
		if !ok || !validKeyID(id) {
			return nil, fmt.Errorf("%s: entry %d is not id:base64key with an id of 1–32 letters, digits, '.', '_' or '-' (generate one with `helpline keygen`)", what, i+1)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(key) != 32 {
			// By position, not id: what stands before the colon may be a
			// secret too (a key pasted twice, or id and key swapped).
			return nil, fmt.Errorf("%s: the key of entry %d must be 32 bytes in standard base64 (generate one with `helpline keygen`)", what, i+1)
		}
		if seen[id] {
			return nil, fmt.Errorf("%s: key id %q appears twice", what, id)
		}
		seen[id] = true
		out = append(out, namedKey{id, key})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no key given (generate one with `helpline keygen`)", what)
	}
	return out, nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
