package counselors

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/alexedwards/argon2id"

	"helpline/chat"
)

// Password hashing defaults: OWASP's recommended argon2id configuration
// (Password Storage Cheat Sheet: 19 MiB, 2 iterations, 1 lane). One lane,
// because the bound below already runs as many hashes as there are cores.
const (
	DefaultHashMemoryKiB   = 19456
	DefaultHashIterations  = 2
	DefaultHashParallelism = 1
	// DefaultHashWait is how long a sign-in waits for a free hashing slot
	// before it is refused as unavailable.
	DefaultHashWait = 2 * time.Second
	// busyRetryAfter is what a refused sign-in is told to wait: the slots
	// were all taken for a whole DefaultHashWait, so the queue is deep.
	busyRetryAfter = 5 * time.Second
	// argon2Version is the argon2 version (0x13) in every hash; argon2id
	// accepts no other.
	argon2Version = 19
)

// ErrHashBusy refuses a sign-in (or an account change) when every hashing
// slot stayed taken for the whole wait. It says nothing about the account.
var ErrHashBusy = &chat.Error{Code: chat.CodeUnavailable,
	Message: "many people are signing in right now; try again in a few seconds", RetryAfter: busyRetryAfter}

// HashConfig sets up a Hasher. Zero fields take the defaults above.
type HashConfig struct {
	// Params is the cost of new hashes. A stored hash is always checked with
	// the cost written in it, so changing Params never breaks an account.
	Params *argon2id.Params
	// InFlight is the most hashes run at once (0: GOMAXPROCS). Each holds
	// Params.Memory KiB until it ends.
	InFlight int
	// Wait is how long a hash waits for a slot (0: DefaultHashWait).
	Wait time.Duration
	// Create and Compare replace argon2id's own functions, so that tests can
	// count and hold hashes; nil means argon2id.
	Create  func(password string, p *argon2id.Params) (string, error)
	Compare func(password, hash string) (bool, error)
	// After starts the wait for a slot (nil: a timer). Tests replace it to
	// see who waits and to end a wait without sleeping.
	After func(time.Duration) <-chan time.Time
}

// Hasher runs argon2id with a fixed number of hashes in flight. Sign-in is
// open to anyone, and each hash holds its whole memory cost until it ends;
// unbounded, enough sign-ins at once would run the server out of memory.
// Every hash goes through it: sign-ins, unknown usernames (the dummy hash),
// locked accounts and new accounts alike, so none is faster than another.
type Hasher struct {
	cfg   HashConfig
	slots chan struct{}
	dummy string
}

// DefaultHashParams returns the default cost of new hashes.
func DefaultHashParams() *argon2id.Params {
	return &argon2id.Params{Memory: DefaultHashMemoryKiB, Iterations: DefaultHashIterations,
		Parallelism: DefaultHashParallelism, SaltLength: 16, KeyLength: 32}
}

// NewHasher builds a Hasher from cfg, filling in the defaults.
func NewHasher(cfg HashConfig) *Hasher {
	if cfg.Params == nil {
		cfg.Params = DefaultHashParams()
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = runtime.GOMAXPROCS(0)
	}
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultHashWait
	}
	if cfg.Create == nil {
		cfg.Create = argon2id.CreateHash
	}
	if cfg.Compare == nil {
		cfg.Compare = argon2id.ComparePasswordAndHash
	}
	return &Hasher{cfg: cfg, slots: make(chan struct{}, cfg.InFlight), dummy: dummyHash(cfg.Params)}
}

// dummyHash is compared against when the username does not exist (or is
// locked), so that those failures cost one hash at the configured cost, as
// a real account's does. It is a well-formed hash of random bytes: making it
// costs nothing, and no password matches it.
func dummyHash(p *argon2id.Params) string {
	salt, key := make([]byte, p.SaltLength), make([]byte, p.KeyLength)
	rand.Read(salt)
	rand.Read(key)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2Version, p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Config returns the settings in effect, defaults filled in.
func (h *Hasher) Config() HashConfig { return h.cfg }

// Create hashes a new password at the configured cost.
func (h *Hasher) Create(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return h.cfg.Create(password, h.cfg.Params)
}

// Compare checks password against hash, at the cost written in hash.
func (h *Hasher) Compare(ctx context.Context, password, hash string) (bool, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return h.cfg.Compare(password, hash)
}

// CompareDummy spends one hash, as checking a real account would, for a
// sign-in that fails whatever the password.
func (h *Hasher) CompareDummy(ctx context.Context, password string) error {
	_, err := h.Compare(ctx, password, h.dummy)
	return err
}

// acquire takes a slot, waiting at most cfg.Wait for one.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-h.slots }
	select {
	case h.slots <- struct{}{}:
		return release, nil
	default:
	}
	expired := h.cfg.After
	if expired == nil {
		timer := time.NewTimer(h.cfg.Wait)
		defer timer.Stop()
		expired = func(time.Duration) <-chan time.Time { return timer.C }
	}
	select {
	case h.slots <- struct{}{}:
		return release, nil
	case <-expired(h.cfg.Wait):
		return nil, ErrHashBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// notHashed tells a hash that never ran (no slot, or the request gave up)
// from a wrong password: the first must not count as a failed sign-in.
func notHashed(err error) bool {
	return errors.Is(err, ErrHashBusy) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// hashing returns the Service's Hasher: the one SetHasher gave it, or else
// one at s.params with the default bound.
func (s *Service) hashing() *Hasher {
	if h := s.hasher.Load(); h != nil {
		return h
	}
	s.hasher.CompareAndSwap(nil, NewHasher(HashConfig{Params: s.params}))
	return s.hasher.Load()
}

// Hasher returns the Hasher every password hash of s goes through.
func (s *Service) Hasher() *Hasher { return s.hashing() }

// SetHasher makes every later hash of s go through h. It is safe while s
// serves requests.
func (s *Service) SetHasher(h *Hasher) { s.hasher.Store(h) }

// SetHashParams changes the argon2id cost of passwords hashed from now on,
// keeping the rest of the Hasher's settings. Tests lower it.
func (s *Service) SetHashParams(p *argon2id.Params) {
	cfg := s.hashing().Config()
	cfg.Params = p
	s.SetHasher(NewHasher(cfg))
}
