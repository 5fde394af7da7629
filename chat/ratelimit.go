package chat

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a set of token buckets by key (a conversation id, or a keyed
// hash of a network address), kept only in memory and forgotten after idle
// time, so that a flood slows the flooder and no one else.
type Limiter struct {
	every rate.Limit
	burst int
	idle  time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// NewLimiter allows perSecond events a key on average, burst at once.
func NewLimiter(perSecond float64, burst int) *Limiter {
	return &Limiter{every: rate.Limit(perSecond), burst: burst, idle: 10 * time.Minute, buckets: map[string]*bucket{}}
}

// Allow reports whether key may act now.
func (l *Limiter) Allow(key string) bool {
	var buf [96]byte
	return l.allow(append(buf[:0], key...))
}

// AllowPair is Allow(key + "/" + sub) without making that string, except
// for a key first seen: a send asks once per message.
func (l *Limiter) AllowPair(key, sub string) bool {
	var buf [96]byte
	return l.allow(append(append(append(buf[:0], key...), '/'), sub...))
}

func (l *Limiter) allow(key []byte) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.idle {
		for k, b := range l.buckets {
			if now.Sub(b.used) > l.idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[string(key)] // looked up without a copy of the key
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[string(key)] = b
	}
	b.used = now
	return b.lim.AllowN(now, 1)
}
