package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
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
	lim *chat.Limiter

	mu      sync.Mutex
	secret  []byte
	rotated time.Time
}

// newAddressLimiter allows perSecond requests per address, burst at once; a
// zero burst means no limit.
func newAddressLimiter(perSecond float64, burst int) *addressLimiter {
	if burst == 0 {
		return &addressLimiter{}
	}
	return &addressLimiter{lim: chat.NewLimiter(perSecond, burst)}
}

func (a *addressLimiter) allow(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return a.lim.Allow(a.key(host))
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
