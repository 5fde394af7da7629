package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"helpline/chat"
)

// addressLimiter rate-limits requests by client address without keeping the
// address: the key is an HMAC of it under a random secret that is replaced
// every hour and never leaves memory. After a rotation old keys are
// meaningless, so nothing can be linked back to an address.
type addressLimiter struct {
	lim     *chat.Limiter
	proxies TrustedProxies

	mu      sync.Mutex
	secret  []byte
	rotated time.Time
}

// newAddressLimiter allows perSecond requests per address, burst at once; a
// zero burst means no limit.
func newAddressLimiter(perSecond float64, burst int, proxies TrustedProxies) *addressLimiter {
	if burst == 0 {
		return &addressLimiter{}
	}
	return &addressLimiter{lim: chat.NewLimiter(perSecond, burst), proxies: proxies}
}

func (a *addressLimiter) allow(r *http.Request) bool {
	return a.lim.Allow(a.key(a.proxies.ClientAddress(r)))
}

// totalLimiter bounds a request over the whole service, whoever sends it:
// the limit that still works where every visitor shares one address (behind
// a Tor onion service, every request comes from the local tor daemon).
type totalLimiter struct{ lim *chat.Limiter }

// newTotalLimiter allows perMinute requests a minute in all, in bursts of
// up to a tenth of that (at least 1); 0 means no limit.
func newTotalLimiter(perMinute int) totalLimiter {
	if perMinute == 0 {
		return totalLimiter{}
	}
	return totalLimiter{lim: chat.NewLimiter(float64(perMinute)/60, max(1, perMinute/10))}
}

// allow takes one request from the service-wide allowance.
func (t totalLimiter) allow() bool { return t.lim == nil || t.lim.Allow("all") }

func (t totalLimiter) limited(next http.HandlerFunc) http.HandlerFunc {
	if t.lim == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !t.allow() {
			writeError(w, &chat.Error{Code: chat.CodeRateLimited, Message: "many people are starting a conversation right now; wait a moment and try again", RetryAfter: 10 * time.Second})
			return
		}
		next(w, r)
	}
}

func (a *addressLimiter) key(host string) string {
	a.mu.Lock()
	if a.secret == nil || time.Since(a.rotated) > time.Hour {
		a.secret = make([]byte, 32)
		rand.Read(a.secret)
		a.rotated = time.Now()
	}
	mac := hmac.New(sha256.New, a.secret)
	a.mu.Unlock()
	mac.Write([]byte(host))
	return base64.RawStdEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// limited wraps a handler so that each (hashed) address gets a bounded rate.
func (a *addressLimiter) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.lim != nil && !a.allow(r) {
			writeError(w, &chat.Error{Code: chat.CodeRateLimited, Message: "too many requests; wait a little and try again", RetryAfter: 10 * time.Second})
			return
		}
		next(w, r)
	}
}
