package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors"
	"helpline/migrations/migrationstest"
)

// An admin sets a counsellor's maximum: a capacity above it comes down to it
// at once on their console, they cannot choose more, and the change is audited.
func TestAdminSetsMaximumCapacityAndCounselorStaysWithinIt(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		console, _ := mustCounselor(t, ctx, srv, "inma", 4) // maximum 5 at creation
		inma, err := srv.Staff.Account(ctx, "inma")
		if err != nil {
			t.Fatal(err)
		}
		admin, err := chatclient.Login(ctx, srv.URL, "root", srv.MustAccount(t, "root", "Admin", chat.RoleAdmin, 1))
		if err != nil {
			t.Fatal(err)
		}
		url := srv.URL + "/api/admin/accounts/" + strconv.FormatInt(inma.ID, 10)
		for _, bad := range []any{map[string]any{"max_capacity": 0}, map[string]any{"max_capacity": 51}, map[string]any{}} {
			if a := call(t, ctx, nil, http.MethodPatch, url, admin.Token, bad, nil); a.Status != 400 || a.Code != "invalid" {
				t.Fatalf("PATCH %v: %d %s", bad, a.Status, a.Body)
			}
		}
		a := call(t, ctx, nil, http.MethodPatch, url, admin.Token, map[string]any{"max_capacity": 2}, nil)
		if a.Status != 200 || !strings.Contains(string(a.Body), `"max_capacity":2`) || !strings.Contains(string(a.Body), `"capacity":2`) {
			t.Fatalf("PATCH max_capacity 2: %d %s", a.Status, a.Body)
		}
		st := waitFrame(t, ctx, console, "the new maximum", func(f chatclient.Frame) bool { return f.Type == "status" })
		if st.Member.MaxCapacity != 2 || st.Member.Capacity != 2 {
			t.Fatalf("on the console after lowering the maximum: %s", st.Raw)
		}
		console.Send(ctx, map[string]any{"type": "status", "status": "available", "capacity": 4})
		st = waitFrame(t, ctx, console, "the status change", func(f chatclient.Frame) bool { return f.Type == "status" })
		if st.Member.Capacity != 2 {
			t.Fatalf("asked for 4 above a maximum of 2: %s", st.Raw)
		}
		// Raising it again lets them choose more, but chooses nothing for them.
		call(t, ctx, nil, http.MethodPatch, url, admin.Token, map[string]any{"max_capacity": 3}, nil)
		st = waitFrame(t, ctx, console, "the raised maximum", func(f chatclient.Frame) bool { return f.Type == "status" })
		if st.Member.MaxCapacity != 3 || st.Member.Capacity != 2 {
			t.Fatalf("after raising the maximum: %s", st.Raw)
		}
		console.Send(ctx, map[string]any{"type": "status", "status": "available", "capacity": 3})
		if st = waitFrame(t, ctx, console, "the status change", func(f chatclient.Frame) bool { return f.Type == "status" }); st.Member.Capacity != 3 {
			t.Fatalf("asked for 3 within a maximum of 3: %s", st.Raw)
		}
		entries, _ := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 100)
		audited := 0
		for _, e := range entries {
			if e.Action == counselors.AuditAccountChange && e.Target == strconv.FormatInt(inma.ID, 10) && strings.HasPrefix(e.Detail, "max_capacity=") {
				audited++
			}
		}
		if audited != 2 {
			t.Fatalf("%d maximum changes audited, want 2: %+v", audited, entries)
		}
	})
}

// `helpline user set NAME --max-capacity N` works from another process on the
// same database, and a counsellor on shift sees it at once.
func TestUserSetMaxCapacityCommand(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	console, _ := mustCounselor(t, ctx, srv, "juan", 3)
	env := map[string]string{"DATABASE_URL": url, "HELPLINE_ENCRYPTION_KEYS": servertest.TestEncryptionKey, "HELPLINE_TOKEN_KEYS": servertest.TestTokenKey}
	getenv := func(k string) string { return env[k] }
	var out strings.Builder
	if err := run(ctx, []string{"user", "set", "juan", "--max-capacity", "1"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "juan: max capacity 1 (capacity 1)") {
		t.Fatalf("printed %q", out.String())
	}
	st := waitFrame(t, ctx, console, "the new maximum", func(f chatclient.Frame) bool { return f.Type == "status" })
	if st.Member.MaxCapacity != 1 || st.Member.Capacity != 1 {
		t.Fatalf("on the console: %s", st.Raw)
	}
	for _, args := range [][]string{{"user", "set", "juan"}, {"user", "set", "juan", "--max-capacity", "0"}, {"user", "set", "nadie", "--max-capacity", "2"}} {
		if err := run(ctx, args, getenv, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}
