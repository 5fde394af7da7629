package flood

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"

	"helpline/chat"
)

// State is the switch.
type State struct {
	On    bool      `json:"on"`
	ByID  int64     `json:"-"`
	By    string    `json:"by,omitempty"` // the display name of who switched it
	Since time.Time `json:"since,omitzero"`
}

// Store keeps the switch and the spent proofs; MemoryStore and
// PostgresStore pass the same suite.
type Store interface {
	State(ctx context.Context) (State, error)
	Set(ctx context.Context, s State) error
	// Spend records id as used until expires; false when it was already.
	// Expired ids may be forgotten.
	Spend(ctx context.Context, id string, expires, now time.Time) (bool, error)
}

// Auditor writes one audit entry; counselors.Service satisfies it.
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// AuditSwitch is the audit action of turning the waiting step on or off.
const AuditSwitch = "flood.waiting_step"

// Defaults.
const (
	DefaultBits     = 16
	DefaultWait     = 20 * time.Second
	DefaultTTL      = 10 * time.Minute
	DefaultCacheFor = 2 * time.Second
)

// Config wires a Service.
type Config struct {
	Store Store
	Audit Auditor
	// Key signs challenges and tickets; every instance must have the same.
	Key      []byte
	Bits     int           // proof-of-work difficulty in leading zero bits
	Wait     time.Duration // how long a ticket takes to mature
	TTL      time.Duration // how long a challenge or ticket can be used
	CacheFor time.Duration // how long an instance trusts its last read of the switch (negative: not at all)
	Now      func() time.Time
	Log      *slog.Logger
}

// Service is the waiting step.
type Service struct {
	c Config

	mu     sync.Mutex
	cached State
	readAt time.Time
}

// New returns a Service; zero settings take the defaults.
func New(c Config) *Service {
	if c.Bits <= 0 {
		c.Bits = DefaultBits
	}
	if c.Wait <= 0 {
		c.Wait = DefaultWait
	}
	if c.TTL <= 0 {
		c.TTL = DefaultTTL
	}
	if c.CacheFor == 0 {
		c.CacheFor = DefaultCacheFor
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{c: c}
}

var (
	errUnavailable = chat.Errorf(chat.CodeUnavailable, "the waiting step cannot be read right now; try again in a moment")
	errNotAudited  = chat.Errorf(chat.CodeUnavailable, "the switch was not changed because it could not be recorded; try again in a moment")
	// ErrNeeded: a start without a solved challenge or a mature ticket
	// while the waiting step is on.
	ErrNeeded = chat.Errorf(chat.CodeRateLimited, "many people are starting conversations right now: the waiting step is on; "+
		"solve the challenge from GET /api/seeker/waiting-step and send it with the start")
	// ErrSpent: that challenge or ticket already started a conversation.
	ErrSpent = chat.Errorf(chat.CodeRateLimited, "this waiting step was already used for a conversation; take a new one")
)

// State reads the switch (through the cache).
func (s *Service) State(ctx context.Context) (State, error) {
	now := s.now()
	s.mu.Lock()
	if !s.readAt.IsZero() && !now.Before(s.readAt) && now.Sub(s.readAt) < s.c.CacheFor {
		st := s.cached
		s.mu.Unlock()
		return st, nil
	}
	s.mu.Unlock()
	st, err := s.c.Store.State(ctx)
	if err != nil {
		s.c.Log.Error("reading the waiting step switch failed", "error", err)
		return State{}, errUnavailable
	}
	s.mu.Lock()
	s.cached, s.readAt = st, now
	s.mu.Unlock()
	return st, nil
}

// Switch turns the waiting step on or off: supervisors and admins only,
// audited first (refused when the audit row cannot be written).
func (s *Service) Switch(ctx context.Context, p chat.Principal, name string, on bool) (State, error) {
	if p.Role != chat.RoleSupervisor && p.Role != chat.RoleAdmin {
		return State{}, chat.Errorf(chat.CodeUnauthorized, "only supervisors and admins can switch the waiting step")
	}
	detail := "off"
	if on {
		detail = "on"
	}
	if err := s.c.Audit.Record(ctx, p.StaffID, AuditSwitch, "service", detail); err != nil {
		s.c.Log.Error("refusing to switch the waiting step: its audit row could not be written", "error", err)
		return State{}, errNotAudited
	}
	now := s.now()
	st := State{On: on, ByID: p.StaffID, By: name, Since: now.UTC().Truncate(time.Second)}
	if err := s.c.Store.Set(ctx, st); err != nil {
		s.c.Log.Error("storing the waiting step switch failed", "error", err)
		return State{}, errUnavailable
	}
	s.mu.Lock()
	s.cached, s.readAt = st, now
	s.mu.Unlock()
	return st, nil
}

// Challenge is what a page with JavaScript solves.
type Challenge struct {
	On        bool      `json:"on"`
	Challenge string    `json:"challenge,omitempty"`
	Bits      int       `json:"bits,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// NewChallenge hands out a challenge while the waiting step is on.
func (s *Service) NewChallenge(ctx context.Context) (Challenge, error) {
	st, err := s.State(ctx)
	if err != nil || !st.On {
		return Challenge{}, err
	}
	now := s.now()
	tok := s.sign("pow", now, now.Add(s.c.TTL))
	return Challenge{On: true, Challenge: tok, Bits: s.c.Bits, ExpiresAt: now.Add(s.c.TTL).UTC()}, nil
}

// NewTicket hands out a ticket for a page without JavaScript and how long
// it takes to mature.
func (s *Service) NewTicket() (string, time.Duration) {
	now := s.now()
	mature := now.Add(s.c.Wait)
	return s.sign("ticket", mature, mature.Add(s.c.TTL)), s.c.Wait
}

// TicketLeft reports how long a ticket still takes to mature (0 or less:
// it is mature) and whether it is one of ours that has not expired.
func (s *Service) TicketLeft(ticket string) (time.Duration, bool) {
	_, from, _, ok := s.verify("ticket", ticket)
	return from.Sub(s.now()), ok
}

// SetClock replaces the clock (tests step it past a ticket's wait).
func (s *Service) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.c.Now, s.readAt = now, time.Time{}
	s.mu.Unlock()
}

func (s *Service) now() time.Time {
	s.mu.Lock()
	now := s.c.Now
	s.mu.Unlock()
	return now()
}

// Proof is what a start presents: a solved challenge (Challenge, Nonce)
// or a ticket.
type Proof struct {
	Challenge string `json:"challenge,omitempty"`
	Nonce     string `json:"nonce,omitempty"`
	Ticket    string `json:"ticket,omitempty"`
}

// CheckStart lets a new conversation start: always while the waiting step
// is off; while it is on, only with a solved challenge or a mature ticket
// not used before (it is spent here).
func (s *Service) CheckStart(ctx context.Context, pr Proof) error {
	st, err := s.State(ctx)
	if err != nil || !st.On {
		return err
	}
	now := s.now()
	var id string
	var until time.Time
	switch {
	case pr.Ticket != "":
		var from time.Time
		var ok bool
		id, from, until, ok = s.verify("ticket", pr.Ticket)
		if !ok || now.Before(from) {
			return ErrNeeded
		}
	case pr.Challenge != "":
		var ok bool
		id, _, until, ok = s.verify("pow", pr.Challenge)
		if !ok || len(pr.Nonce) > 64 || !Solved(pr.Challenge, pr.Nonce, s.c.Bits) {
			return ErrNeeded
		}
	default:
		return ErrNeeded
	}
	fresh, err := s.c.Store.Spend(ctx, id, until, now)
	if err != nil {
		s.c.Log.Error("spending a waiting step failed", "error", err)
		return errUnavailable
	}
	if !fresh {
		return ErrSpent
	}
	return nil
}

// Solved reports whether SHA-256("challenge:nonce") starts with at least
// n zero bits.
func Solved(challenge, nonce string, n int) bool {
	sum := sha256.Sum256([]byte(challenge + ":" + nonce))
	zeros := 0
	for _, b := range sum {
		if b == 0 {
			zeros += 8
			continue
		}
		zeros += bits.LeadingZeros8(b)
		break
	}
	return zeros >= n
}

// sign makes "kind.id.from.until.mac": a random id, the time from which it
// can be used and until when, all in base64url.
func (s *Service) sign(kind string, from, until time.Time) string {
	var b [12]byte
	rand.Read(b[:])
	body := strings.Join([]string{kind, base64.RawURLEncoding.EncodeToString(b[:]),
		strconv.FormatInt(from.Unix(), 10), strconv.FormatInt(until.Unix(), 10)}, ".")
	return body + "." + s.mac(body)
}

func (s *Service) mac(body string) string {
	m := hmac.New(sha256.New, s.c.Key)
	fmt.Fprint(m, "helpline waiting step\x00", body)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Service) verify(kind, tok string) (id string, from, until time.Time, ok bool) {
	if len(tok) > 256 {
		return "", from, until, false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 5 || parts[0] != kind {
		return "", from, until, false
	}
	body := strings.Join(parts[:4], ".")
	if !hmac.Equal([]byte(parts[4]), []byte(s.mac(body))) {
		return "", from, until, false
	}
	f, err1 := strconv.ParseInt(parts[2], 10, 64)
	u, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return "", from, until, false
	}
	from, until = time.Unix(f, 0), time.Unix(u, 0)
	if !s.now().Before(until) {
		return "", from, until, false
	}
	return kind + ":" + parts[1], from, until, true
}
