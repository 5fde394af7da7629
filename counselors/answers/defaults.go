package answers

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"
)

// defaults.json is the starting set, in Spanish and English: shared with the
// whole service, loaded into an empty store.
//
//go:embed defaults.json
var defaultsJSON []byte

// Defaults returns the built-in starting set.
func Defaults() ([]Answer, error) {
	var out []Answer
	if err := json.Unmarshal(defaultsJSON, &out); err != nil {
		return nil, fmt.Errorf("built-in prepared answers: %w", err)
	}
	for i := range out {
		if err := validate(&out[i]); err != nil {
			return nil, fmt.Errorf("built-in prepared answer %q: %w", out[i].ID, err)
		}
	}
	return out, nil
}

// LoadDefaults puts the starting set into store when it holds no answer at
// all (a new deployment); a store that has any is left as its people made
// it, so that a deleted starting answer does not come back.
func LoadDefaults(ctx context.Context, store Store, now time.Time) (int, error) {
	have, err := store.List(ctx)
	if err != nil || len(have) > 0 {
		return 0, err
	}
	set, err := Defaults()
	if err != nil {
		return 0, err
	}
	for _, a := range set {
		a.UpdatedAt = now.UTC().Truncate(time.Microsecond)
		if err := store.Put(ctx, a); err != nil {
			return 0, err
		}
	}
	return len(set), nil
}
