package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors"
	"helpline/migrations/migrationstest"
)

// slotHolder replaces the server's argon2id: the first hash waits for
// release, later ones run at once; each wait for a slot is reported on
// waiting and ends when the test sends on expire.
type slotHolder struct {
	entered, release, waiting chan struct{}
	expire                    chan time.Time
	once                      sync.Once
}

func holdSlots(srv *servertest.Server) *slotHolder {
	h := &slotHolder{entered: make(chan struct{}, 10), release: make(chan struct{}), waiting: make(chan struct{}, 10), expire: make(chan time.Time)}
	cfg := srv.Staff.Hasher().Config()
	cfg.Compare = func(password, hash string) (bool, error) {
		h.entered <- struct{}{}
		h.once.Do(func() { <-h.release })
		return argon2id.ComparePasswordAndHash(password, hash)
	}
	cfg.Create = func(password string, p *argon2id.Params) (string, error) {
		h.entered <- struct{}{}
		return argon2id.CreateHash(password, p)
	}
	cfg.After = func(time.Duration) <-chan time.Time {
		h.waiting <- struct{}{}
		return h.expire
	}
	srv.Staff.SetHasher(counselors.NewHasher(cfg))
	return h
}

// TestSignInWithoutAHashingSlotIs503: with HELPLINE_ARGON2_IN_FLIGHT=1 and
// that one slot taken by a sign-in, another sign-in (known or unknown
// username) and an admin's new account wait for the slot, then get 503
// unavailable with Retry-After over real HTTP; once the slot is free,
// signing in works again.
func TestSignInWithoutAHashingSlotIs503(t *testing.T) {
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_ARGON2_IN_FLIGHT": "1"}})
	ctx := testCtx(t)
	if got := srv.Staff.Hasher().Config().InFlight; got != 1 {
		t.Fatalf("HELPLINE_ARGON2_IN_FLIGHT=1 gave the server %d hashes in flight", got)
	}
	password := srv.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 2)
	admin, err := chatclient.Login(ctx, srv.URL, "root", srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1))
	if err != nil {
		t.Fatal(err)
	}
	held := holdSlots(srv)
	login := func(username string) apiAnswer {
		return call(t, ctx, nil, "POST", srv.URL+"/api/staff/login", "", map[string]string{"username": username, "password": password}, nil)
	}
	first := make(chan apiAnswer, 1)
	go func() { first <- login("ana") }()
	<-held.entered // the only slot is taken

	refused := map[string]func() apiAnswer{
		"known username":   func() apiAnswer { return login("ana") },
		"unknown username": func() apiAnswer { return login("nadie") },
		"new account (admin API)": func() apiAnswer {
			return call(t, ctx, nil, "POST", srv.URL+"/api/admin/accounts", admin.Token,
				map[string]any{"username": "bea", "role": "counselor", "password": "a long enough password"}, nil)
		},
	}
	for name, try := range refused {
		answer := make(chan apiAnswer, 1)
		go func() { answer <- try() }()
		select {
		case <-held.waiting:
			held.expire <- time.Time{}
		case <-held.entered:
			t.Fatalf("%s: hashed while the only slot was taken", name)
		}
		a := <-answer
		if a.Status != 503 || a.Code != "unavailable" || a.Message == "" {
			t.Errorf("%s: %d %s, want 503 unavailable", name, a.Status, a.Body)
		}
		if got := a.Header.Get("Retry-After"); got != "5" {
			t.Errorf("%s: Retry-After %q, want 5", name, got)
		}
		if a.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: the 503 answer lacks the security headers", name)
		}
	}
	close(held.release)
	if a := <-first; a.Status != 200 {
		t.Fatalf("the sign-in that held the slot: %d %s", a.Status, a.Body)
	}
	if a := login("ana"); a.Status != 200 {
		t.Fatalf("signing in once the slot is free: %d %s", a.Status, a.Body)
	}
}

// TestUserAddHashesAtTheConfiguredCost: `helpline user add` hashes through
// the server's Hasher, at the cost set by HELPLINE_ARGON2_*.
func TestUserAddHashesAtTheConfiguredCost(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	env := map[string]string{"DATABASE_URL": url, "HELPLINE_ENCRYPTION_KEYS": servertest.TestEncryptionKey,
		"HELPLINE_TOKEN_KEYS": servertest.TestTokenKey, "HELPLINE_ARGON2_MEMORY_KIB": "7168", "HELPLINE_ARGON2_ITERATIONS": "5",
		"HELPLINE_ARGON2_PARALLELISM": "2"}
	var stdout, stderr bytes.Buffer
	err := run(testCtx(t), []string{"user", "add", "--username", "carla", "--password-stdin"}, func(k string) string { return env[k] },
		strings.NewReader("a long enough password\n"), &stdout, &stderr)
	if err != nil {
		t.Fatalf("user add: %v\n%s", err, stderr.String())
	}
	a, err := counselors.NewPostgresStore(pool).AccountByUsername(context.Background(), "carla")
	if err != nil {
		t.Fatal(err)
	}
	p, _, _, err := argon2id.DecodeHash(a.PasswordHash)
	if err != nil || p.Memory != 7168 || p.Iterations != 5 || p.Parallelism != 2 {
		t.Fatalf("stored hash has cost %+v (%v), want m=7168 t=5 p=2", p, err)
	}
}

// TestBrowserSignInWhenBusy: a counsellor whose sign-in finds no hashing
// slot is told, in their language, that the page keeps trying (not that
// their password was wrong), and is signed in by itself once a slot is free.
func TestBrowserSignInWhenBusy(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	browser := mustBrowser(t)
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_ARGON2_IN_FLIGHT": "1"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a browser is slow to start
	defer cancel()
	password := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 2)
	held := holdSlots(srv)
	first := make(chan error, 1)
	go func() { _, err := chatclient.Login(ctx, srv.URL, "marta", password); first <- err }()
	<-held.entered // the only slot is taken
	go func() {
		for range held.waiting {
			held.expire <- time.Time{} // every wait for the slot runs out
		}
	}()
	page := tab(t, browser)
	uiBrowse(t, page, "signing in while every slot is busy",
		chromedp.Navigate(srv.URL+"/console"),
		visible("#login"),
		chooseLanguage("es"),
		uiWait(`document.documentElement.lang === "es"`),
		typeInto("#username", "marta"),
		typeInto("#password", password),
		click("#login-submit"),
		uiTextIs("#login-waiting", "Ahora mismo no podemos iniciar tu sesión. Seguiremos intentándolo; no tienes que hacer nada."))
	close(held.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	uiBrowse(t, page, "signed in by itself once a slot is free",
		visible("#workspace"))
}
