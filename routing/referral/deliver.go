package referral

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"helpline/routing/referral/webhook"
)

// Deliverer takes due rows from the outbox and sends them to partners. Any
// number of Deliverers, in any number of instances, may share one Store:
// each row is held by one of them at a time (Store.Claim).
type Deliverer struct {
	c       Config
	guarded *retryablehttp.Client // partners on the internet
	open    *retryablehttp.Client // partners allowed private addresses (tests)
}

// NewDeliverer returns a Deliverer; see Config for the defaults.
func NewDeliverer(c Config) *Deliverer {
	c = c.withDefaults()
	return &Deliverer{c: c, guarded: newHTTPClient(c, false), open: newHTTPClient(c, true)}
}

// NewDelivery builds the outbox row for one consented referral, due now.
func NewDelivery(partnerID string, p Payload, now time.Time) (Delivery, error) {
	body, err := p.Encode()
	if err != nil {
		return Delivery{}, err
	}
	return Delivery{ID: NewID(), PartnerID: partnerID, Body: body, NextAttempt: now, CreatedAt: now, Status: StatusPending}, nil
}

// Withdraw is the seeker withdrawing consent: nothing is sent after it
// returns nil. ErrInFlight means it is being sent at this moment.
func (d *Deliverer) Withdraw(ctx context.Context, id string) error {
	return d.c.Store.Withdraw(ctx, id, d.c.Now())
}

// Retry is a supervisor sending a dead-lettered referral again, now.
func (d *Deliverer) Retry(ctx context.Context, id string) error {
	return d.c.Store.Retry(ctx, id, d.c.Now())
}

// Run delivers every interval until ctx ends, and purges ended rows.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.c.Logger.Warn("referral delivery: claiming failed", "err", err)
		}
		if _, err := d.Purge(ctx); err != nil && ctx.Err() == nil {
			d.c.Logger.Warn("referral delivery: purging ended rows failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge deletes delivered and withdrawn rows older than Config.Retention
// and dead ones older than Config.DeadRetention, sealed payload and all.
func (d *Deliverer) Purge(ctx context.Context) (int, error) {
	now := d.c.Now()
	return d.c.Store.Purge(ctx, now.Add(-d.c.Retention), now.Add(-d.c.DeadRetention))
}

// RunOnce claims the rows due now, makes one attempt at each (all at
// once, so every row's attempt ends well within the lease its claim holds),
// and returns how many it attempted.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	rows, err := d.c.Store.Claim(ctx, d.c.Now(), d.c.Lease, d.c.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, row := range rows {
		wg.Go(func() {
			if err := d.attempt(ctx, row); err != nil && ctx.Err() == nil {
				d.c.Logger.Warn("referral delivery: recording the outcome failed", "webhook_id", row.ID, "err", err)
			}
		})
	}
	wg.Wait()
	return len(rows), nil
}

// result is what one attempt found out, in words safe to store and log.
type result struct {
	delivered  bool
	gone       bool          // 410: disable the partner
	final      bool          // no point retrying (partner disabled or misconfigured)
	retryAfter time.Duration // the partner's Retry-After, already capped
	reason     string
}

func (d *Deliverer) attempt(ctx context.Context, row Delivery) error {
	partner, err := d.c.Store.Partner(ctx, row.PartnerID)
	var r result
	switch {
	case errors.Is(err, ErrNotFound):
		r = result{final: true, reason: "partner no longer configured"}
	case err != nil:
		return err
	case !partner.Enabled:
		r = result{final: true, reason: "partner disabled"}
	default:
		r = d.send(ctx, partner, row)
	}
	if ctx.Err() != nil {
		return ctx.Err() // stopped mid-delivery: the lease runs out and another deliverer retries
	}
	if r.gone {
		d.disable(ctx, partner)
	}
	return d.record(ctx, row, r)
}

func (d *Deliverer) disable(ctx context.Context, p Partner) {
	reason := "partner answered 410 Gone: deliveries stopped until an administrator enables it again"
	if err := d.c.Store.DisablePartner(ctx, p.ID, reason); err != nil {
		d.c.Logger.Warn("referral delivery: disabling partner failed", "partner", p.ID, "err", err)
	}
	p.Enabled, p.DisabledReason = false, reason
	d.c.Alerts.PartnerDisabled(ctx, p, reason)
}

// record stores the outcome: delivered, the next attempt on the schedule,
// or dead (and alert) after the last.
func (d *Deliverer) record(ctx context.Context, row Delivery, r result) error {
	now := d.c.Now()
	o := Outcome{Attempts: row.Attempts + 1, LastError: r.reason, At: now}
	switch {
	case r.delivered:
		o.Status = StatusDelivered
	case r.final || r.gone || o.Attempts > len(d.c.Schedule):
		o.Status = StatusDead
	default:
		o.Status = StatusPending
		o.NextAttempt = now.Add(max(d.c.Jitter(d.c.Schedule[o.Attempts-1]), r.retryAfter))
	}
	d.c.Logger.Info("referral delivery attempt", "webhook_id", row.ID, "partner", row.PartnerID,
		"attempt", o.Attempts, "status", o.Status, "reason", r.reason)
	if err := d.c.Store.Finish(ctx, row.ID, row.Claim, o); err != nil {
		return err
	}
	if n, ok := d.c.Alerts.(DeliveredNotifier); ok && o.Status == StatusDelivered {
		row.Status, row.Attempts, row.DoneAt, row.Claim, row.Body = StatusDelivered, o.Attempts, now, "", nil
		n.Delivered(ctx, row)
	}
	if o.Status == StatusDead {
		// The alert names the referral, never what the seeker shared.
		row.Status, row.Attempts, row.LastError, row.DoneAt, row.Claim, row.Body = StatusDead, o.Attempts, o.LastError, now, "", nil
		d.c.Alerts.DeliveryFailed(ctx, row)
	}
	return nil
}

// send makes one signed POST (with its few quick retries).
func (d *Deliverer) send(ctx context.Context, p Partner, row Delivery) result {
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && d.c.AllowHTTP)) {
		return result{final: true, reason: "partner URL must be https"}
	}
	secrets, err := webhook.ParseSecrets(p.Secrets)
	if err != nil {
		return result{final: true, reason: "partner secret is invalid"}
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, p.URL, row.Body)
	if err != nil {
		return result{final: true, reason: "partner URL is invalid"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "helpline-referrals")
	webhook.SetHeaders(req.Header, secrets, row.ID, d.c.Now(), row.Body)
	client := d.guarded
	if p.AllowPrivate {
		client = d.open
	}
	resp, err := client.Do(req)
	if err != nil {
		return result{reason: describe(err, d.c.RequestTimeout)}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // never stored, never logged
	return d.classify(resp)
}

func (d *Deliverer) classify(resp *http.Response) result {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return result{delivered: true}
	case code >= 300 && code < 400:
		return result{reason: fmt.Sprintf("partner answered %d: redirects are not followed", code)}
	case code == http.StatusGone:
		return result{gone: true, reason: "partner answered 410 Gone"}
	case throttled(code):
		wait, _ := retryAfter(resp, d.c.Now())
		return result{retryAfter: min(wait, d.c.RetryAfterCap), reason: fmt.Sprintf("partner answered %d (busy)", code)}
	default:
		return result{reason: fmt.Sprintf("partner answered %d", code)}
	}
}

// describe turns a transport error into a short reason without the URL
// (url.Error quotes it, and it may carry a token).
func describe(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		return "refused: partner address is inside our network"
	case isTimeout(err):
		return fmt.Sprintf("no answer within %s", timeout)
	case isTLSFailure(err):
		return "partner TLS certificate not trusted"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if len(msg) > 160 {
		msg = msg[:160]
	}
	return "connection failed: " + msg
}
