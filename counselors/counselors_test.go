package counselors_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/pquerna/otp/totp"

	"helpline/chat"
	"helpline/counselors"
	"helpline/migrations/migrationstest"
)

var stores = map[string]func(t *testing.T) counselors.Store{
	"memory": func(t *testing.T) counselors.Store { return counselors.NewMemoryStore() },
	"postgres": func(t *testing.T) counselors.Store {
		pool, _ := migrationstest.MustOpen(t)
		return counselors.NewPostgresStore(pool)
	},
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type recordingBroker struct {
	mu     sync.Mutex
	events []chat.Event
}

func (b *recordingBroker) Publish(_ context.Context, e chat.Event) error {
	b.mu.Lock()
	b.events = append(b.events, e)
	b.mu.Unlock()
	return nil
}
func (b *recordingBroker) Run(ctx context.Context, _ func(chat.Event)) error {
	<-ctx.Done()
	return nil
}

func forEach(t *testing.T, test func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker)) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := open(t)
			clock := &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
			broker := &recordingBroker{}
			test(t, newServiceWith(t, store, clock, broker), store, clock, broker)
		})
	}
}

// newService is one more instance of the service over store, as another
// server (or the same one restarted) would be.
func newService(t *testing.T, store counselors.Store, clock *fakeClock) *counselors.Service {
	return newServiceWith(t, store, clock, &recordingBroker{})
}

func newServiceWith(t *testing.T, store counselors.Store, clock *fakeClock, broker *recordingBroker) *counselors.Service {
	t.Helper()
	tokens, err := chat.NewTokens(chat.NewKey("t"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc := counselors.NewService(store, tokens, broker, 12*time.Hour, clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.SetHashParams(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	return svc
}

const password = "a long enough password"

func mustAdd(t *testing.T, svc *counselors.Service, username string, role chat.Role) counselors.Account {
	t.Helper()
	a, err := svc.AddAccount(context.Background(), counselors.NewAccount{Username: username, DisplayName: "Nombre " + username,
		Role: role, Password: password, Capacity: 2, Languages: []string{"es"}, Audiences: []string{"young"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccountsAndSignIn(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		a := mustAdd(t, svc, "ana", chat.RoleCounselor)
		if a.PasswordHash == password || a.Languages[0] != "es" || a.Capacity != 2 {
			t.Fatalf("stored account = %+v", a)
		}
		if _, err := svc.AddAccount(ctx, counselors.NewAccount{Username: "ana", Role: chat.RoleCounselor, Password: password}, 0); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("duplicate username: %v", err)
		}
		for _, bad := range []counselors.NewAccount{
			{Username: "x", Role: "seeker", Password: password},
			{Username: "x", Role: chat.RoleAdmin, Password: "short"},
			{Username: "with space", Role: chat.RoleAdmin, Password: password},
		} {
			if _, err := svc.AddAccount(ctx, bad, 0); err == nil {
				t.Errorf("AddAccount(%+v) accepted", bad)
			}
		}
		token, _, got, err := svc.Login(ctx, "ana", password, "")
		if err != nil || got.ID != a.ID {
			t.Fatalf("Login = %v", err)
		}
		p := mustVerify(t, svc, token)
		info, err := svc.CheckSession(ctx, p)
		if err != nil || info.DisplayName != "Nombre ana" || info.Role != chat.RoleCounselor {
			t.Fatalf("CheckSession = %+v, %v", info, err)
		}
		// The session ends when its time is up.
		clock.Add(13 * time.Hour)
		if _, err := svc.CheckSession(ctx, p); !chat.IsUnauthorized(err) {
			t.Fatalf("expired session accepted: %v", err)
		}
	})
}

func mustVerify(t *testing.T, svc *counselors.Service, token string) chat.Principal {
	t.Helper()
	p, err := svc.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWrongPasswordsLockAndSayNothing(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		mustAdd(t, svc, "bea", chat.RoleSupervisor)
		_, _, _, errUnknown := svc.Login(ctx, "nobody", password, "")
		for i := 0; i < 5; i++ {
			_, _, _, err := svc.Login(ctx, "bea", "wrong password", "")
			if err == nil || err.Error() != errUnknown.Error() {
				t.Fatalf("failure %d: %v (unknown user: %v)", i, err, errUnknown)
			}
		}
		if _, _, _, err := svc.Login(ctx, "bea", password, ""); err == nil || err.Error() != errUnknown.Error() {
			t.Fatalf("locked account signed in or said so: %v", err)
		}
		clock.Add(16 * time.Minute)
		if _, _, _, err := svc.Login(ctx, "bea", password, ""); err != nil {
			t.Fatalf("after the lock time: %v", err)
		}
		entries, _ := store.Audit(ctx, 100)
		failed, signedIn := 0, 0
		for _, e := range entries {
			switch e.Action {
			case counselors.AuditSignInFailed:
				failed++
			case counselors.AuditSignIn:
				signedIn++
			}
		}
		if failed != 5 || signedIn != 1 {
			t.Fatalf("audit: %d failed, %d sign-ins", failed, signedIn)
		}
	})
}

func TestSignOutAndDisableRevoke(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		a := mustAdd(t, svc, "cris", chat.RoleCounselor)
		t1, _, _, _ := svc.Login(ctx, "cris", password, "")
		t2, _, _, _ := svc.Login(ctx, "cris", password, "")
		p1, p2 := mustVerify(t, svc, t1), mustVerify(t, svc, t2)
		if err := svc.Logout(ctx, p1); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CheckSession(ctx, p1); !chat.IsUnauthorized(err) {
			t.Fatalf("signed-out session accepted: %v", err)
		}
		if _, err := svc.CheckSession(ctx, p2); err != nil {
			t.Fatalf("the other sign-in was ended too: %v", err)
		}
		if err := svc.SetDisabled(ctx, a.ID, true, 99); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CheckSession(ctx, p2); !chat.IsUnauthorized(err) {
			t.Fatalf("disabled account accepted: %v", err)
		}
		if _, _, _, err := svc.Login(ctx, "cris", password, ""); err == nil {
			t.Fatal("disabled account signed in")
		}
		broker.mu.Lock()
		defer broker.mu.Unlock()
		if len(broker.events) != 2 || broker.events[0].SessionID != p1.SessionID || broker.events[1].StaffID != a.ID || broker.events[1].SessionID != "" {
			t.Fatalf("revoke events = %+v", broker.events)
		}
	})
}

func TestAuditLogIsAppendOnlyInPostgres(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	store := counselors.NewPostgresStore(pool)
	ctx := context.Background()
	if err := store.AppendAudit(ctx, counselors.AuditEntry{At: time.Now(), Action: "read", Target: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE audit_log SET action = 'nothing'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded", sql)
		}
	}
	if entries, _ := store.Audit(ctx, 10); len(entries) != 1 || entries[0].Action != "read" {
		t.Fatalf("audit log changed: %+v", entries)
	}
}

func TestSecondFactorIsRequiredOnceEnrolled(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		mustAdd(t, svc, "dora", chat.RoleAdmin)
		url, err := svc.EnrollTOTP(ctx, "dora")
		if err != nil || !strings.HasPrefix(url, "otpauth://totp/") {
			t.Fatalf("EnrollTOTP = %q, %v", url, err)
		}
		a, _ := store.AccountByUsername(ctx, "dora")
		if _, _, _, err := svc.Login(ctx, "dora", password, ""); !chat.IsUnauthorized(err) {
			t.Fatalf("sign-in without a code: %v", err)
		}
		if _, _, _, err := svc.Login(ctx, "dora", password, "000000"); !chat.IsUnauthorized(err) {
			t.Fatalf("sign-in with a wrong code: %v", err)
		}
		code, err := totp.GenerateCode(a.TOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := svc.Login(ctx, "dora", password, code); err != nil {
			t.Fatalf("sign-in with the right code: %v", err)
		}
	})
}
