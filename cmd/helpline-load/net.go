package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"helpline/chat/chatclient"
)

// network holds the HTTP clients the generator uses. It only ever connects
// to loopback addresses; with an IPv4 loopback server it spreads its source
// addresses over 127.0.0.2… so that tens of thousands of connections (and
// their TIME_WAIT leftovers after a reconnect storm) do not exhaust one
// address's ephemeral ports.
type network struct {
	base  string // http://host:port
	wsURL string
	api   *http.Client // pooled, for the JSON API
	fresh *http.Client // one new TCP connection (so: source address) per request
	ws    *http.Client // one fresh TCP connection per WebSocket
}

func newNetwork(ctx context.Context, base string, localAddrs int) (*network, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want http://host:port", base)
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("--url %q: %w", base, err)
	}
	v4 := true
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return nil, fmt.Errorf("--url %q resolves to %s: the load generator only connects to loopback addresses", base, ip.IP)
		}
		v4 = v4 && ip.IP.To4() != nil
	}
	var next atomic.Uint64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 15 * time.Second, KeepAlive: -1}
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			// Resolve here too so that nothing but loopback is ever dialled.
			addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			for _, a := range addrs {
				if !a.IP.IsLoopback() {
					return nil, fmt.Errorf("refusing to connect to non-loopback %s", a.IP)
				}
			}
		}
		if v4 && localAddrs > 0 {
			n := next.Add(1) % uint64(min(localAddrs, 250))
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+n))}
		}
		return d.DialContext(ctx, network, addr)
	}
	api := &http.Transport{DialContext: dial, MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}
	ws := &http.Transport{DialContext: dial, DisableKeepAlives: true}
	return &network{base: strings.TrimRight(base, "/"), wsURL: chatclient.WSURL(strings.TrimRight(base, "/")),
		api: &http.Client{Transport: api, Timeout: 60 * time.Second}, fresh: &http.Client{Transport: ws, Timeout: 60 * time.Second},
		ws: &http.Client{Transport: ws}}, nil
}

// postJSON is chatclient.PostJSON on the generator's own pooled client (the
// default client keeps only two idle connections per host, far too few).
func (n *network) postJSON(ctx context.Context, path, token string, body any, want int, out any) error {
	return chatclient.PostJSONWith(ctx, n.api, n.base+path, token, body, want, out)
}

// signIn is POST /api/staff/login from a fresh source address each time:
// the server allows each address only a few sign-ins a minute, and every
// simulated console stands for a different computer. When refused for
// rate (429) or because every password-hashing slot was busy (503), it waits
// as told and tries again.
func (n *network) signIn(ctx context.Context, username, password string) (chatclient.SignedIn, error) {
	var in chatclient.SignedIn
	for attempt := 0; ; attempt++ {
		err := chatclient.PostJSONWith(ctx, n.fresh, n.base+"/api/staff/login", "", map[string]string{"username": username, "password": password}, http.StatusOK, &in)
		var se *chatclient.StatusError
		if err == nil || attempt == 10 || !errors.As(err, &se) || (se.Status != http.StatusTooManyRequests && se.Status != http.StatusServiceUnavailable) {
			return in, err
		}
		wait := se.RetryAfter
		if wait == 0 {
			wait = 10 * time.Second
		}
		select {
		case <-ctx.Done():
			return in, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (n *network) close() {
	n.api.CloseIdleConnections()
}
