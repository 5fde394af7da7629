package referral

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// newHTTPClient builds the retryablehttp client for partners with or
// without AllowPrivate. Within one attempt it retries only what is quick and
// safe to retry (a dropped connection; a throttle whose Retry-After fits in
// maxWait); everything else ends the attempt and the outbox schedules the
// next one, so no goroutine sleeps for hours.
func newHTTPClient(c Config, allowPrivate bool) *retryablehttp.Client {
	dialer := &net.Dialer{Timeout: c.RequestTimeout, Control: guardControl(allowPrivate)}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect for us, past the address check
		DialContext:           dialer.DialContext,
		TLSClientConfig:       c.TLS.Clone(),
		TLSHandshakeTimeout:   c.RequestTimeout,
		ResponseHeaderTimeout: c.RequestTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{
		Transport: transport,
		Timeout:   c.RequestTimeout,
		// 3xx is a failure: a partner's redirect could point anywhere,
		// including inside, and is never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.RetryMax = c.AttemptRetries
	rc.RetryWaitMin, rc.RetryWaitMax = c.AttemptRetryWait/4, c.AttemptRetryWait
	rc.Backoff = c.attemptBackoff
	rc.CheckRetry = c.checkRetry
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.Logger = safeLogger{c.Logger}
	return rc
}

// checkRetry decides retries within one attempt.
func (c Config) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return !errors.Is(err, ErrForbiddenAddress) && !isTimeout(err) && !isTLSFailure(err), nil
	}
	if throttled(resp.StatusCode) {
		wait, ok := retryAfter(resp, c.Now())
		return !ok || wait <= c.AttemptRetryWait, nil
	}
	return false, nil
}

// attemptBackoff is retryablehttp's backoff, but never longer than
// AttemptRetryWait whatever Retry-After says.
func (c Config) attemptBackoff(lo, hi time.Duration, n int, resp *http.Response) time.Duration {
	if c.AttemptRetryWait <= 0 {
		return 0
	}
	return min(retryablehttp.DefaultBackoff(lo, hi, n, resp), hi)
}

func throttled(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		if secs > int64(365*24*time.Hour/time.Second) {
			secs = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isTLSFailure(err error) bool {
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &certErr)
}

// safeLogger passes retryablehttp's messages on without the URL, request or
// error fields: a partner URL may carry a token, and errors quote URLs.
type safeLogger struct{ l *slog.Logger }

func (s safeLogger) keep(kv []any) []any {
	var out []any
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case "remaining", "timeout", "method":
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

func (s safeLogger) Error(msg string, kv ...any) { s.l.Warn("referral http: "+msg, s.keep(kv)...) }
func (s safeLogger) Info(msg string, kv ...any)  { s.l.Info("referral http: "+msg, s.keep(kv)...) }
func (s safeLogger) Debug(msg string, kv ...any) { s.l.Debug("referral http: "+msg, s.keep(kv)...) }
func (s safeLogger) Warn(msg string, kv ...any)  { s.l.Warn("referral http: "+msg, s.keep(kv)...) }
