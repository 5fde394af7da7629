package referral

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
	"helpline/routing/referral/webhook"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recordingAlerts keeps every alert.
type recordingAlerts struct {
	mu       sync.Mutex
	failed   []Delivery
	disabled []string
}

func (a *recordingAlerts) DeliveryFailed(_ context.Context, d Delivery) {
	a.mu.Lock()
	a.failed = append(a.failed, d)
	a.mu.Unlock()
}

func (a *recordingAlerts) PartnerDisabled(_ context.Context, p Partner, _ string) {
	a.mu.Lock()
	a.disabled = append(a.disabled, p.ID)
	a.mu.Unlock()
}

func (a *recordingAlerts) counts() (failed, disabled int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.failed), len(a.disabled)
}

// partner is an httptest partner that verifies our signature and counts
// requests and distinct webhook-ids, as a partner honouring idempotency by
// webhook-id would.
type partner struct {
	t       *testing.T
	srv     *httptest.Server
	secret  string
	clock   *fakeClock
	mu      sync.Mutex
	hits    int
	seen    map[string]int
	bodies  [][]byte
	badSigs int
	handle  func(w http.ResponseWriter, r *http.Request, hit int) // nil: 204
}

func newPartner(t *testing.T, clock *fakeClock, handle func(http.ResponseWriter, *http.Request, int)) *partner {
	p := &partner{t: t, secret: webhook.NewSecret(), clock: clock, seen: map[string]int{}, handle: handle}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *partner) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sec, _ := webhook.ParseSecret(p.secret)
	err := webhook.Verify([]webhook.Secret{sec}, r.Header, body, p.clock.Now(), webhook.DefaultTolerance)
	p.mu.Lock()
	p.hits++
	hit := p.hits
	if err != nil {
		p.badSigs++
	} else {
		p.seen[r.Header.Get(webhook.HeaderID)]++
		p.bodies = append(p.bodies, body)
	}
	handle := p.handle
	p.mu.Unlock()
	if handle == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	handle(w, r, hit)
}

func (p *partner) stats() (hits int, seen map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.seen {
		out[k] = v
	}
	if p.badSigs > 0 {
		p.t.Errorf("%d requests with a signature that does not verify", p.badSigs)
	}
	return p.hits, out
}

// config allows the test partner's loopback address through the explicit
// test flag, and trusts its certificate.
func (p *partner) record(id string) Partner {
	return Partner{ID: id, Name: "Test service " + id, URL: p.srv.URL + "/referrals", Secrets: []string{p.secret}, Enabled: true, AllowPrivate: true}
}

func trustAll(servers ...*httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	for _, s := range servers {
		pool.AddCert(s.Certificate())
	}
	return &tls.Config{RootCAs: pool}
}

type rig struct {
	t      *testing.T
	clock  *fakeClock
	store  Store
	alerts *recordingAlerts
	logs   *bytes.Buffer
	logMu  *sync.Mutex
	// timeout is the request timeout; generous but for the hang test, as
	// the machine may be busy.
	timeout time.Duration
}

func newRig(t *testing.T, store Store) *rig {
	return &rig{t: t, clock: newClock(), store: store, alerts: &recordingAlerts{}, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}, timeout: 10 * time.Second}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (r *rig) logText() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logs.String()
}

// deliverer: no jitter, no waiting between quick retries, short timeout.
func (r *rig) deliverer(servers ...*httptest.Server) *Deliverer {
	return NewDeliverer(Config{
		Store: r.store, Alerts: r.alerts, Now: r.clock.Now,
		Jitter:           func(d time.Duration) time.Duration { return d },
		RequestTimeout:   r.timeout,
		AttemptRetryWait: -1,
		TLS:              trustAll(servers...),
		Logger:           slog.New(slog.NewTextHandler(lockedWriter{r.logMu, r.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
}

func (r *rig) addPartner(p Partner) {
	r.t.Helper()
	if err := r.store.PutPartner(context.Background(), p); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) enqueue(partnerID string) Delivery {
	r.t.Helper()
	d, err := NewDelivery(partnerID, samplePayload(), r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.store.Enqueue(context.Background(), d); err != nil {
		r.t.Fatal(err)
	}
	return d
}

func (r *rig) get(id string) Delivery {
	r.t.Helper()
	d, err := r.store.Get(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

func (r *rig) runOnce(d *Deliverer) int {
	r.t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func samplePayload() Payload {
	return Payload{ReferralCode: "RC-7Q4K-93", ServiceID: "svc-north-therapy", Seeker: Seeker{Sharing: ShareContact, Name: "Sam", Contact: "sam.private@example.org"},
		Language: "en", Audience: "adult_self", Region: "GB-YOR"}
}

func testSealer(t testing.TB) *chat.Sealer {
	s, err := chat.ParseKeys(chat.NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stores runs f against both Store implementations.
func stores(t *testing.T, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { f(t, NewMemoryStore()) })
	t.Run("postgres", func(t *testing.T) {
		pool, _ := migrationstest.MustOpen(t)
		f(t, NewPostgresStore(pool, testSealer(t)))
	})
}
