package main

import (
	"testing"

	"helpline/chat"
	"helpline/chat/flood"
	"helpline/cmd/internal/servertest"
)

// The authorisation matrix, continued for the flood waiting step: reading
// and switching it is for supervisors and admins; the seeker's challenge
// is for anyone (it identifies nobody).
var floodEndpoints = []string{"GET /api/staff/flood", "PUT /api/staff/flood", "GET /api/seeker/waiting-step"}

func wantFloodStatus(endpoint string, r role) int {
	switch {
	case endpoint == "GET /api/seeker/waiting-step":
		return 200
	case !r.isStaff() || !r.authenticates():
		return 401
	case r == roleSupervisor || r == roleAdmin:
		return 200
	}
	return 404 // counsellors: the switch does not exist for them
}

func TestAuthorizationMatrixFlood(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		var cases []httpCase
		for _, ep := range floodEndpoints {
			for _, r := range allRoles {
				cases = append(cases, httpCase{endpoint: ep, role: r})
			}
		}
		runConcurrently(t, cases, httpCase.String, func(t *testing.T, c httpCase) {
			sc := f.newScene(t, ctx, "waiting")
			method, path := "GET", c.endpoint[4:]
			var body any
			if c.endpoint[:3] == "PUT" {
				method, path = "PUT", c.endpoint[4:]
				body = map[string]bool{"on": false} // off: the other cases still start conversations
			}
			a := call(t, ctx, nil, method, srv.URL+path, f.tokenOf(c.role, sc), body, nil)
			if want := wantFloodStatus(c.endpoint, c.role); a.Status != want {
				t.Fatalf("%s by %s: %d, want %d: %s", c.endpoint, c.role, a.Status, want, a.Body)
			}
		})
		entries, err := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 500)
		if err != nil {
			t.Fatal(err)
		}
		switched := 0
		for _, e := range entries {
			if e.Action == flood.AuditSwitch {
				switched++
			}
		}
		if switched != 2 {
			t.Fatalf("%d switches audited, want 2 (the supervisor's and the admin's)", switched)
		}
	})
}
