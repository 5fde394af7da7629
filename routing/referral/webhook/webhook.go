// Package webhook signs and verifies webhooks as the Standard Webhooks
// specification (v1, HMAC-SHA256) defines them: the signed content is
// "<webhook-id>.<webhook-timestamp>.<body>", the signature header is a
// space-separated list of "v1,<base64 signature>", and secrets are written
// "whsec_<base64>". Several secrets may be active at once so a partner can
// rotate theirs without losing a delivery. Everything here is pure and safe
// to call from any goroutine.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The header names the specification defines.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

const (
	secretPrefix = "whsec_"
	// MinSecretBytes and MaxSecretBytes are the specification's bounds.
	MinSecretBytes = 24
	MaxSecretBytes = 64
	// DefaultTolerance is how far a timestamp may be from now.
	DefaultTolerance = 5 * time.Minute
)

// Errors Verify returns; callers answer 400 or 401 without saying which.
var (
	ErrMissingHeaders   = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrInvalidTimestamp = errors.New("webhook: timestamp is not unix seconds")
	ErrTimestampTooOld  = errors.New("webhook: timestamp too far in the past")
	ErrTimestampTooNew  = errors.New("webhook: timestamp too far in the future")
	ErrNoMatch          = errors.New("webhook: no signature matches")
)

// Secret is one decoded signing key.
type Secret []byte

// ParseSecret reads "whsec_<base64>" (the prefix may be left out, as the
// specification's libraries allow) and checks its length.
func ParseSecret(s string) (Secret, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), secretPrefix))
	if err != nil {
		return nil, fmt.Errorf("webhook secret is not base64 after %q: generate one with NewSecret", secretPrefix)
	}
	if len(raw) < MinSecretBytes || len(raw) > MaxSecretBytes {
		return nil, fmt.Errorf("webhook secret is %d bytes: it must be %d to %d random bytes", len(raw), MinSecretBytes, MaxSecretBytes)
	}
	return Secret(raw), nil
}

// ParseSecrets reads several secrets; the first signs first.
func ParseSecrets(list []string) ([]Secret, error) {
	if len(list) == 0 {
		return nil, errors.New("webhook: at least one secret is needed")
	}
	out := make([]Secret, 0, len(list))
	for i, s := range list {
		sec, err := ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i+1, err)
		}
		out = append(out, sec)
	}
	return out, nil
}

// NewSecret returns a fresh "whsec_" secret of 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// String is the "whsec_" form of the secret.
func (s Secret) String() string { return secretPrefix + base64.StdEncoding.EncodeToString(s) }

func (s Secret) sign(id string, ts int64, body []byte) []byte {
	mac := hmac.New(sha256.New, s)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return mac.Sum(nil)
}

// Sign returns the webhook-signature header value: one "v1,<base64>" per
// secret, separated by spaces.
func Sign(secrets []Secret, id string, at time.Time, body []byte) string {
	parts := make([]string, 0, len(secrets))
	for _, s := range secrets {
		parts = append(parts, "v1,"+base64.StdEncoding.EncodeToString(s.sign(id, at.Unix(), body)))
	}
	return strings.Join(parts, " ")
}

// SetHeaders writes the three headers onto h.
func SetHeaders(h http.Header, secrets []Secret, id string, at time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderSignature, Sign(secrets, id, at, body))
}

// Verify checks that some v1 signature in h matches body under one of the
// secrets, and that the timestamp lies within tolerance of now (to limit
// replays). Unknown versions in the list are skipped.
func Verify(secrets []Secret, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	at := time.Unix(ts, 0)
	if now.Sub(at) >= tolerance {
		return ErrTimestampTooOld
	}
	if at.Sub(now) > tolerance {
		return ErrTimestampTooNew
	}
	for _, s := range secrets {
		want := s.sign(id, ts, body)
		for _, sig := range strings.Fields(sigs) {
			version, value, ok := strings.Cut(sig, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(value)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrNoMatch
}
