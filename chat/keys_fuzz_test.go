package chat

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseKeys feeds arbitrary key specs ("id:base64key,…", the form of
// HELPLINE_ENCRYPTION_KEYS and HELPLINE_TOKEN_KEYS) to both parsers. They
// must never panic, must agree, must accept only well-formed specs, and an
// error (printed at start-up, so it ends up in logs) must never repeat
// secret key material. The seeds in testdata/fuzz/FuzzParseKeys run as a
// normal test.
func FuzzParseKeys(f *testing.F) {
	f.Add("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f.Add(NewKey("new") + "," + NewKey("old"))
	f.Add("")
	f.Fuzz(func(t *testing.T, spec string) {
		keys, specErr := parseKeySpec("keys", spec)
		sealer, sealErr := ParseKeys(spec)
		tokens, tokErr := NewTokens(spec, nil)
		if (specErr == nil) != (sealErr == nil) || (specErr == nil) != (tokErr == nil) {
			t.Fatalf("parsers disagree on %q: spec %v, ParseKeys %v, NewTokens %v", spec, specErr, sealErr, tokErr)
		}
		if specErr != nil {
			for _, err := range []error{specErr, sealErr, tokErr} {
				fuzzCheckNoSecretInError(t, spec, err.Error())
			}
			return
		}

		if len(keys) == 0 {
			t.Fatalf("%q parsed to no keys without an error", spec)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if k.id == "" || len(k.id) > 32 || strings.ContainsAny(k.id, ",:") {
				t.Fatalf("%q parsed to key id %q", spec, k.id)
			}
			if k.id != strings.TrimSpace(k.id) {
				t.Fatalf("%q parsed to key id %q with surrounding space", spec, k.id)
			}
			if seen[k.id] {
				t.Fatalf("%q parsed to key id %q twice", spec, k.id)
			}
			seen[k.id] = true
			if len(k.key) != 32 {
				t.Fatalf("%q parsed to a key of %d bytes", spec, len(k.key))
			}
			if !strings.Contains(spec, k.id+":") {
				t.Fatalf("%q parsed to key id %q, which it does not contain", spec, k.id)
			}
		}

		// The first key is the current one, for encryption and for signing.
		if sealer.CurrentKey() != keys[0].id {
			t.Fatalf("%q: current encryption key %q, want %q", spec, sealer.CurrentKey(), keys[0].id)
		}
		plain := []byte("mensaje de prueba")
		aad := messageAAD("c", 1)
		kid, sealed := sealer.Seal(plain, aad)
		if kid != keys[0].id || bytes.Contains(sealed, plain) {
			t.Fatalf("%q: sealed with %q, plaintext visible: %v", spec, kid, bytes.Contains(sealed, plain))
		}
		if opened, err := sealer.Open(kid, sealed, aad); err != nil || !bytes.Equal(opened, plain) {
			t.Fatalf("%q: round trip: %q %v", spec, opened, err)
		}
		for _, k := range keys {
			if _, err := sealer.Open(k.id, sealed, messageAAD("c", 2)); err == nil {
				t.Fatalf("%q: opened under the wrong associated data with key %q", spec, k.id)
			}
		}
		tok, _ := tokens.IssueSeeker(NewID(), time.Hour)
		if p, err := tokens.Verify(tok); err != nil || p.Role != RoleSeeker {
			t.Fatalf("%q: issued token does not verify: %+v %v", spec, p, err)
		}
	})
}

// fuzzCheckNoSecretInError fails if msg repeats text of spec that may be a
// key: anything after a colon of 8 bytes or more, or any colon-separated piece
// longer than the 32 bytes an id may have.
func fuzzCheckNoSecretInError(t *testing.T, spec, msg string) {
	t.Helper()
	for _, part := range strings.Split(spec, ",") {
		pieces := strings.Split(strings.TrimSpace(part), ":")
		for i, piece := range pieces {
			secret := len(piece) > 32 || i > 0 && len(piece) >= 8
			if !secret {
				continue
			}
			quoted := strconv.Quote(piece)
			if strings.Contains(msg, piece) || strings.Contains(msg, quoted[1:len(quoted)-1]) {
				t.Fatalf("the error for key spec %q repeats possible key material %q: %s", spec, piece, msg)
			}
		}
	}
}

// TestKeySpecErrorsDoNotEchoSecrets pins the cases an operator really makes:
// a key pasted without its id, or id and key swapped.
func TestKeySpecErrorsDoNotEchoSecrets(t *testing.T) {
	key := strings.SplitN(NewKey("k1"), ":", 2)[1]
	for name, spec := range map[string]string{
		"key without id":              key,
		"id and key swapped":          key + ":k1",
		"short key":                   "k1:" + key[:20],
		"two keys, second without id": NewKey("k1") + "," + key,
	} {
		t.Run(name, func(t *testing.T) {
			for what, parse := range map[string]func(string) error{
				"ParseKeys": func(s string) error { _, err := ParseKeys(s); return err },
				"NewTokens": func(s string) error { _, err := NewTokens(s, nil); return err },
			} {
				err := parse(spec)
				if err == nil {
					t.Fatalf("%s accepted %q", what, spec)
				}
				fuzzCheckNoSecretInError(t, spec, err.Error())
			}
		})
	}
}
