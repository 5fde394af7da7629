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
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" || len(id) > 32 {
			return nil, fmt.Errorf("%s: %q is not id:base64key (generate one with `helpline keygen`)", what, id+":…")
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s: key %q must be 32 bytes in standard base64 (generate one with `helpline keygen`)", what, id)
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
