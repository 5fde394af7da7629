package chat_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// exp, iat and nbf are NumericDates (RFC 7519 §2): JSON numbers. The JSON
// decoder jwt uses would also read a string holding a number; such a token
// is refused, with the real key and otherwise genuine claims.
func TestTokenDatesMustBeNumbers(t *testing.T) {
	key, spec := testKey(t, "k1")
	tokens := mustTokens(t, spec)
	exp, iat := tokenNow.Add(time.Hour).Unix(), tokenNow.Add(-time.Minute).Unix()
	nbf := tokenNow.Add(-time.Minute).Unix()
	if _, err := tokens.Verify(forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"nbf": nbf}))); err != nil {
		t.Fatalf("control: a numeric nbf is refused: %v", err)
	}
	if _, err := tokens.Verify(forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"exp": float64(exp) + 0.5}))); err != nil {
		t.Fatalf("control: a fractional exp (a JSON number too) is refused: %v", err)
	}
	for name, change := range map[string]map[string]any{
		"exp as a string":          {"exp": fmt.Sprint(exp)},
		"iat as a string":          {"iat": fmt.Sprint(iat)},
		"nbf as a string":          {"nbf": fmt.Sprint(nbf)},
		"exp null":                 {"exp": json.RawMessage("null")},
		"exp as an object":         {"exp": map[string]any{"n": exp}},
		"exp a string in the past": {"exp": fmt.Sprint(tokenNow.Add(-time.Hour).Unix())},
	} {
		for kind, claims := range map[string]jwt.MapClaims{"seeker": seekerClaims(), "staff": staffClaims()} {
			if p, err := tokens.Verify(forge(t, jwt.SigningMethodHS256, key, "k1", with(claims, change))); err == nil {
				t.Errorf("%s token with %s accepted as %+v", kind, name, p)
			}
		}
	}
}
