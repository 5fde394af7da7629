package referral

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Alerts is how the deliverer tells people that a referral needs them. The
// caller implements it (notify the supervisors on shift and the counsellor
// who made the referral). Calls come from delivering goroutines, possibly
// several at once, and must not block for long.
type Alerts interface {
	// DeliveryFailed: every attempt failed; the delivery is dead-lettered
	// until a supervisor retries it (Deliverer.Retry). d.Body is nil: an
	// alert never carries what the seeker shared.
	DeliveryFailed(ctx context.Context, d Delivery)
	// PartnerDisabled: the partner answered 410 Gone; no more deliveries go
	// to it until an administrator enables it again.
	PartnerDisabled(ctx context.Context, p Partner, reason string)
}

// DeliveredNotifier is what Alerts may also implement to hear of each
// delivery (d.Body is nil), to tell the counsellor.
type DeliveredNotifier interface {
	Delivered(ctx context.Context, d Delivery)
}

// DefaultSchedule is the wait before each retry across attempts (about a
// day in all, after the first try), as Standard Webhooks suggests.
var DefaultSchedule = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour,
}

// Config is what a Deliverer needs. Zero durations take the defaults.
type Config struct {
	Store  Store
	Alerts Alerts
	Now    func() time.Time
	// Schedule: the wait after failed attempt n before attempt n+1; after
	// len(Schedule)+1 failed attempts the delivery is dead.
	Schedule []time.Duration
	// Jitter spreads a wait (default: ±10% at random).
	Jitter func(time.Duration) time.Duration
	// RequestTimeout bounds one HTTP request (default 15 s).
	RequestTimeout time.Duration
	// RetryAfterCap bounds how long a partner's Retry-After can postpone
	// the next attempt (default 6 h).
	RetryAfterCap time.Duration
	// AttemptRetries and AttemptRetryWait: the few quick retries within one
	// attempt (default 2, at most 5 s apart). A negative AttemptRetryWait
	// retries without waiting (tests).
	AttemptRetries   int
	AttemptRetryWait time.Duration
	// Lease: how long a claimed row is held before another deliverer may
	// take it over (default: longer than the worst case of one attempt,
	// every request timing out and every quick retry waiting its most).
	Lease time.Duration
	// Batch: rows claimed at once (default 10).
	Batch int
	// AllowHTTP permits http:// partner URLs; development only.
	AllowHTTP bool
	// TLS: the client TLS configuration (tests trust their own server).
	TLS *tls.Config
	// Retention: delivered and withdrawn rows are deleted this long after
	// they end (default 24 h); DeadRetention for dead ones (default 30 days).
	Retention, DeadRetention time.Duration
	Logger                   *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.Jitter == nil {
		c.Jitter = func(d time.Duration) time.Duration { return d + time.Duration((rand.Float64()-0.5)*0.2*float64(d)) }
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.RetryAfterCap == 0 {
		c.RetryAfterCap = 6 * time.Hour
	}
	if c.AttemptRetries == 0 {
		c.AttemptRetries = 2
	}
	if c.AttemptRetryWait < 0 {
		c.AttemptRetryWait = 0
	} else if c.AttemptRetryWait == 0 {
		c.AttemptRetryWait = 5 * time.Second
	}
	if c.Lease == 0 {
		c.Lease = time.Duration(c.AttemptRetries+1)*(c.RequestTimeout+c.AttemptRetryWait) + time.Minute
	}
	if c.Batch == 0 {
		c.Batch = 10
	}
	if c.Retention == 0 {
		c.Retention = 24 * time.Hour
	}
	if c.DeadRetention == 0 {
		c.DeadRetention = 30 * 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}
