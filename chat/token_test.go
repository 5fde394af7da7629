package chat_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"helpline/chat"
)

// These tests forge tokens with jwt/v5 exactly as an attacker who knows the
// format (and, for the control cases, the key) would, and check that Verify
// accepts only well-formed HS256 tokens of one kind from a known key.

var tokenNow = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

func fixedClock() time.Time { return tokenNow }

// testKey returns a fresh 32-byte secret and its "id:base64" spec.
func testKey(t *testing.T, id string) ([]byte, string) {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key, id + ":" + base64.StdEncoding.EncodeToString(key)
}

func mustTokens(t *testing.T, spec string) *chat.Tokens {
	t.Helper()
	tk, err := chat.NewTokens(spec, fixedClock)
	if err != nil {
		t.Fatalf("NewTokens(%q): %v", spec, err)
	}
	return tk
}

const testConversationID = "0b8e2c5a-3f4d-4e6a-9b1c-2d3e4f5a6b7c"

// seekerClaims are the claims of a genuine seeker credential.
func seekerClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "helpline",
		"aud": []string{"helpline-seeker"},
		"sub": testConversationID,
		"typ": "seeker",
		"iat": tokenNow.Add(-time.Minute).Unix(),
		"exp": tokenNow.Add(time.Hour).Unix(),
		"jti": "4f1c7a52-1111-4222-8333-944455556666",
	}
}

// staffClaims are the claims of a genuine staff token.
func staffClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":  "helpline",
		"aud":  []string{"helpline-staff"},
		"sub":  "42",
		"typ":  "staff",
		"role": "counselor",
		"sid":  "5e6f7a8b-aaaa-4bbb-8ccc-dddddddddddd",
		"iat":  tokenNow.Add(-time.Minute).Unix(),
		"exp":  tokenNow.Add(time.Hour).Unix(),
		"jti":  "9a8b7c6d-1111-4222-8333-944455556666",
	}
}

func with(c jwt.MapClaims, changes map[string]any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// forge signs claims with method and key; kid is set unless it is nil.
func forge(t *testing.T, method jwt.SigningMethod, key any, kid any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != nil {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("forging a %s token: %v", method.Alg(), err)
	}
	return s
}

func segments(t *testing.T, token string) []string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q does not have three parts", token)
	}
	return parts
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestForgedTokensAreRefused(t *testing.T) {
	key, spec := testKey(t, "k1")
	otherKey, _ := testKey(t, "k1")
	tokens := mustTokens(t, spec)

	// Controls: tokens the test forges with the real key and the real claims
	// are accepted, so every refusal below is due to the one thing changed.
	if p, err := tokens.Verify(forge(t, jwt.SigningMethodHS256, key, "k1", seekerClaims())); err != nil ||
		p.Role != chat.RoleSeeker || p.ConversationID != testConversationID || p.StaffID != 0 {
		t.Fatalf("control seeker token: %+v, %v", p, err)
	}
	if p, err := tokens.Verify(forge(t, jwt.SigningMethodHS256, key, "k1", staffClaims())); err != nil ||
		p.Role != chat.RoleCounselor || p.StaffID != 42 || p.SessionID == "" || p.ConversationID != "" {
		t.Fatalf("control staff token: %+v, %v", p, err)
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	genuine := forge(t, jwt.SigningMethodHS256, key, "k1", seekerClaims())
	parts := segments(t, genuine)

	cases := map[string]string{
		"alg none":                             forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", seekerClaims()),
		"alg none, staff":                      forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", staffClaims()),
		"alg none header on a genuine payload": b64(`{"alg":"none","kid":"k1","typ":"JWT"}`) + "." + parts[1] + ".",
		"alg NONE header, genuine signature":   b64(`{"alg":"NONE","kid":"k1","typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		"HS512 with the real key":              forge(t, jwt.SigningMethodHS512, key, "k1", seekerClaims()),
		"HS384 with the real key":              forge(t, jwt.SigningMethodHS384, key, "k1", seekerClaims()),
		"RS256":                                forge(t, jwt.SigningMethodRS256, rsaKey, "k1", seekerClaims()),
		"RS256 header, HMAC signature":         b64(`{"alg":"RS256","kid":"k1","typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		"wrong key":                            forge(t, jwt.SigningMethodHS256, otherKey, "k1", seekerClaims()),
		"wrong key, staff":                     forge(t, jwt.SigningMethodHS256, otherKey, "k1", staffClaims()),
		"unknown kid":                          forge(t, jwt.SigningMethodHS256, key, "k2", seekerClaims()),
		"missing kid":                          forge(t, jwt.SigningMethodHS256, key, nil, seekerClaims()),
		"empty kid":                            forge(t, jwt.SigningMethodHS256, key, "", seekerClaims()),
		"numeric kid":                          forge(t, jwt.SigningMethodHS256, key, 1, seekerClaims()),
		"expired":                              forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"exp": tokenNow.Add(-time.Minute).Unix()})),
		"expired staff":                        forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"exp": tokenNow.Add(-time.Hour).Unix()})),
		"missing exp":                          forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"exp": nil})),
		"exp not a number":                     forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"exp": "tomorrow"})),
		"not valid before the future":          forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"nbf": tokenNow.Add(time.Hour).Unix()})),
		"issued in the future":                 forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"iat": tokenNow.Add(time.Hour).Unix()})),
		"wrong issuer":                         forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"iss": "helpline-evil"})),
		"missing issuer":                       forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"iss": nil})),
		"wrong audience":                       forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"aud": []string{"someone-else"}})),
		"missing audience":                     forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"aud": nil})),
		"both audiences":                       forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"aud": []string{"helpline-seeker", "helpline-staff"}})),
		"both audiences, staff":                forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"aud": []string{"helpline-staff", "helpline-seeker"}})),
		"seeker token claiming staff typ": forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(),
			map[string]any{"typ": "staff", "role": "admin", "sid": "x"})),
		"seeker token claiming staff typ, numeric subject": forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(),
			map[string]any{"typ": "staff", "role": "admin", "sid": "x", "sub": "1"})),
		"staff token with seeker audience":  forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"aud": []string{"helpline-seeker"}})),
		"staff token with seeker typ":       forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"typ": "seeker"})),
		"seeker typ with staff audience":    forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"aud": []string{"helpline-staff"}})),
		"missing typ":                       forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"typ": nil})),
		"seeker subject not a uuid":         forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"sub": "../../etc"})),
		"seeker without subject":            forge(t, jwt.SigningMethodHS256, key, "k1", with(seekerClaims(), map[string]any{"sub": nil})),
		"staff role seeker":                 forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"role": "seeker"})),
		"staff role unknown":                forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"role": "root"})),
		"staff without role":                forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"role": nil})),
		"staff without session":             forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"sid": nil})),
		"staff subject zero":                forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"sub": "0"})),
		"staff subject negative":            forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"sub": "-42"})),
		"staff subject not a number":        forge(t, jwt.SigningMethodHS256, key, "k1", with(staffClaims(), map[string]any{"sub": "42; DROP TABLE staff"})),
		"tampered payload":                  parts[0] + "." + b64(strings.Replace(mustDecodeSegment(t, parts[1]), testConversationID, "1a1a1a1a-2b2b-4c3c-8d4d-5e5e5e5e5e5e", 1)) + "." + parts[2],
		"tampered payload, typ staff":       parts[0] + "." + b64(strings.Replace(mustDecodeSegment(t, parts[1]), `"typ":"seeker"`, `"typ":"staff","role":"admin","sid":"x"`, 1)) + "." + parts[2],
		"tampered signature":                parts[0] + "." + parts[1] + "." + flipFirst(parts[2]),
		"signature removed":                 parts[0] + "." + parts[1] + ".",
		"padded segments":                   parts[0] + "=." + parts[1] + "." + parts[2],
		"garbage":                           "not-a-token",
		"empty":                             "",
		"dots":                              "..",
		"four parts":                        genuine + ".x",
		"whitespace around a genuine token": " " + genuine + " ",
		"huge":                              strings.Repeat("A", 100_000) + "." + parts[1] + "." + parts[2],
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := tokens.Verify(token)
			if err == nil {
				t.Fatalf("accepted as %+v", p)
			}
			if !chat.IsUnauthorized(err) || chat.ErrorCode(err) != chat.CodeUnauthorized {
				t.Fatalf("refused with %v, want an unauthorized error", err)
			}
			if p != (chat.Principal{}) {
				t.Fatalf("a refused token still produced a principal: %+v", p)
			}
		})
	}
}

func mustDecodeSegment(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// flipFirst changes the signature's first character (the last one may carry
// only padding bits, which a lenient decoder ignores).
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestIssuedTokensVerifyAsTheirKindOnly(t *testing.T) {
	_, spec := testKey(t, "k1")
	tokens := mustTokens(t, spec)

	seekerTok, exp := tokens.IssueSeeker(testConversationID, time.Hour)
	if !exp.Equal(tokenNow.Add(time.Hour)) {
		t.Errorf("seeker expiry %v", exp)
	}
	var hdr struct {
		Alg, Kid string
	}
	tok, _, err := jwt.NewParser().ParseUnverified(seekerTok, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	hdr.Alg, _ = tok.Header["alg"].(string)
	hdr.Kid, _ = tok.Header["kid"].(string)
	if hdr.Alg != "HS256" || hdr.Kid != "k1" {
		t.Errorf("seeker token header = %v", tok.Header)
	}
	p, err := tokens.Verify(seekerTok)
	if err != nil || p.Role != chat.RoleSeeker || p.ConversationID != testConversationID || p.StaffID != 0 || p.SessionID != "" {
		t.Fatalf("seeker token verified as %+v, %v", p, err)
	}

	for _, role := range []chat.Role{chat.RoleCounselor, chat.RoleSupervisor, chat.RoleAdmin} {
		staffTok, _ := tokens.IssueStaff(7, role, "sess-1", time.Hour)
		p, err := tokens.Verify(staffTok)
		if err != nil || p.Role != role || p.StaffID != 7 || p.SessionID != "sess-1" || p.ConversationID != "" {
			t.Fatalf("%s token verified as %+v, %v", role, p, err)
		}
	}

	// A token issued for a moment that has passed is refused, however it was made.
	past := mustTokensAt(t, spec, tokenNow.Add(-2*time.Hour))
	old, _ := past.IssueSeeker(testConversationID, time.Hour)
	if _, err := tokens.Verify(old); !chat.IsUnauthorized(err) {
		t.Fatalf("expired issued token: %v", err)
	}
	oldStaff, _ := past.IssueStaff(7, chat.RoleAdmin, "sess-1", time.Hour)
	if _, err := tokens.Verify(oldStaff); !chat.IsUnauthorized(err) {
		t.Fatalf("expired issued staff token: %v", err)
	}
}

func mustTokensAt(t *testing.T, spec string, at time.Time) *chat.Tokens {
	t.Helper()
	tk, err := chat.NewTokens(spec, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestTokenKeyRotation(t *testing.T) {
	oldKey, oldSpec := testKey(t, "old")
	_, newSpec := testKey(t, "new")

	before := mustTokens(t, oldSpec)
	seekerTok, _ := before.IssueSeeker(testConversationID, time.Hour)
	staffTok, _ := before.IssueStaff(3, chat.RoleSupervisor, "s", time.Hour)

	// Rotation: the new key signs, the old one is listed second and still verifies.
	rotating := mustTokens(t, newSpec+","+oldSpec)
	for name, tok := range map[string]string{"seeker": seekerTok, "staff": staffTok} {
		if _, err := rotating.Verify(tok); err != nil {
			t.Errorf("%s token signed with the old key, old key listed second: %v", name, err)
		}
	}
	fresh, _ := rotating.IssueSeeker(testConversationID, time.Hour)
	tok, _, err := jwt.NewParser().ParseUnverified(fresh, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["kid"] != "new" {
		t.Errorf("after rotation new tokens carry kid %v, want new", tok.Header["kid"])
	}
	if _, err := before.Verify(fresh); err == nil {
		t.Error("a server that does not know the new key accepted a token signed with it")
	}
	// The old key's material under the new key's id is not accepted.
	if _, err := rotating.Verify(forge(t, jwt.SigningMethodHS256, oldKey, "new", seekerClaims())); err == nil {
		t.Error("a token signed with the old key but labelled with the new key's id was accepted")
	}

	// Retirement: once the old key is removed, its tokens fail; the new one's still work.
	retired := mustTokens(t, newSpec)
	for name, tok := range map[string]string{"seeker": seekerTok, "staff": staffTok} {
		if _, err := retired.Verify(tok); !chat.IsUnauthorized(err) {
			t.Errorf("%s token signed with a removed key: %v", name, err)
		}
	}
	if _, err := retired.Verify(fresh); err != nil {
		t.Errorf("token signed with the current key after retiring the old one: %v", err)
	}
}

func TestTokenKeySpecsAreChecked(t *testing.T) {
	_, good := testKey(t, "k1")
	_, good2 := testKey(t, "k2")
	short := "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 16))
	for _, spec := range []string{
		"",
		" , ",
		"k1",
		":" + strings.SplitN(good, ":", 2)[1],
		short,
		"k1:not base64!",
		good + "," + strings.Replace(good2, "k2", "k1", 1), // the same id twice
		strings.Repeat("x", 33) + ":" + strings.SplitN(good, ":", 2)[1],
	} {
		if _, err := chat.NewTokens(spec, nil); err == nil {
			t.Errorf("NewTokens(%q) accepted a bad key spec", spec)
		}
	}
	if _, err := chat.NewTokens(" "+good+" , "+good2+" ,", nil); err != nil {
		t.Errorf("NewTokens with spaces and a trailing comma: %v", err)
	}
}
