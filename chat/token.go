package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a principal is allowed to be.
type Role string

const (
	RoleSeeker     Role = "seeker"
	RoleCounselor  Role = "counselor"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// IsStaff reports whether r is a staff role.
func (r Role) IsStaff() bool { return r == RoleCounselor || r == RoleSupervisor || r == RoleAdmin }

// Principal is who is making a request, as proven by a verified token.
type Principal struct {
	Role           Role
	ConversationID string // seekers: the one conversation they may touch
	StaffID        int64  // staff
	SessionID      string // staff: the sign-in, so it can be revoked
	Expires        time.Time
}

// Token audiences and types: a seeker credential and a staff token differ in
// both, and each is checked, so one can never be accepted as the other.
const (
	tokenIssuer    = "helpline"
	audienceSeeker = "helpline-seeker"
	audienceStaff  = "helpline-staff"
	audiencePause  = "helpline-pause"
)

type claims struct {
	jwt.RegisteredClaims
	Type string `json:"typ"`
	Role Role   `json:"role,omitempty"`
	SID  string `json:"sid,omitempty"`
}

// UnmarshalJSON refuses dates that are not JSON numbers. RFC 7519 makes
// exp, iat and nbf NumericDates, but jwt reads them through json.Number,
// which encoding/json also fills from a string holding a number; we never
// issue one, so a token that has one was not made here.
func (c *claims) UnmarshalJSON(data []byte) error {
	var dates struct {
		Exp json.RawMessage `json:"exp"`
		Iat json.RawMessage `json:"iat"`
		Nbf json.RawMessage `json:"nbf"`
	}
	if err := json.Unmarshal(data, &dates); err != nil {
		return err
	}
	for _, d := range []json.RawMessage{dates.Exp, dates.Iat, dates.Nbf} {
		if len(d) > 0 && !isJSONNumber(d) {
			return errors.New("a date claim is not a number")
		}
	}
	type plain claims // the same fields, without this method
	return json.Unmarshal(data, (*plain)(c))
}

// isJSONNumber reports whether a raw JSON value (as the decoder hands it
// over: valid JSON, no surrounding space) is a number.
func isJSONNumber(v json.RawMessage) bool {
	return v[0] == '-' || v[0] >= '0' && v[0] <= '9'
}

// Tokens issues and verifies both kinds of bearer token (HS256, keys by id).
type Tokens struct {
	keys    map[string][]byte
	current string
	now     Clock
}

// NewTokens reads keys in the form "id:base64key,…" (first = signing key; the
// others are still accepted, so a key can be retired without signing
// everyone out at once).
func NewTokens(spec string, now Clock) (*Tokens, error) {
	keys, err := parseKeySpec("token keys", spec)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{keys: map[string][]byte{}, current: keys[0].id, now: now}
	for _, k := range keys {
		t.keys[k.id] = k.key
	}
	return t, nil
}

func (t *Tokens) sign(c claims, ttl time.Duration) (string, time.Time) {
	now := t.now()
	exp := now.Add(ttl)
	c.Issuer = tokenIssuer
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(exp)
	c.ID = NewID()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = t.current
	s, err := tok.SignedString(t.keys[t.current])
	if err != nil {
		panic(err) // HMAC signing cannot fail with a key present
	}
	return s, exp
}

// IssueSeeker returns a credential that proves only "I am the seeker of
// conversation id".
func (t *Tokens) IssueSeeker(conversationID string, ttl time.Duration) (string, time.Time) {
	return t.sign(claims{RegisteredClaims: jwt.RegisteredClaims{Subject: conversationID,
		Audience: jwt.ClaimStrings{audienceSeeker}}, Type: string(RoleSeeker)}, ttl)
}

// IssueStaff returns a token for staff account id in sign-in session sid.
func (t *Tokens) IssueStaff(staffID int64, role Role, sid string, ttl time.Duration) (string, time.Time) {
	return t.sign(claims{RegisteredClaims: jwt.RegisteredClaims{Subject: strconv.FormatInt(staffID, 10),
		Audience: jwt.ClaimStrings{audienceStaff}}, Type: "staff", Role: role, SID: sid}, ttl)
}

var errBadToken = &Error{Code: CodeUnauthorized, Message: "credential is invalid or expired"}

// Verify checks a token of either kind: algorithm fixed to HS256, known key
// id, issuer, expiry required, and audience and type agreeing.
func (t *Tokens) Verify(token string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, t.keyFor, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(tokenIssuer), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now), jwt.WithIssuedAt(), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return Principal{}, errBadToken
	}
	p := Principal{Expires: c.ExpiresAt.Time}
	switch {
	case c.Type == string(RoleSeeker) && audienceIs(c.Audience, audienceSeeker) && isUUID(c.Subject):
		p.Role, p.ConversationID = RoleSeeker, c.Subject
	case c.Type == "staff" && audienceIs(c.Audience, audienceStaff) && c.Role.IsStaff() && c.SID != "":
		id, err := strconv.ParseInt(c.Subject, 10, 64)
		if err != nil || id <= 0 {
			return Principal{}, errBadToken
		}
		p.Role, p.StaffID, p.SessionID = c.Role, id, c.SID
	default:
		return Principal{}, errBadToken
	}
	return p, nil
}

// keyFor finds the key a token names by id.
func (t *Tokens) keyFor(tok *jwt.Token) (any, error) {
	kid, _ := tok.Header["kid"].(string)
	key, ok := t.keys[kid]
	if !ok {
		return nil, fmt.Errorf("unknown key id")
	}
	return key, nil
}

func audienceIs(aud jwt.ClaimStrings, want string) bool {
	return len(aud) == 1 && aud[0] == want
}

// IsUnauthorized reports whether err means "credential not accepted".
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeUnauthorized
}
