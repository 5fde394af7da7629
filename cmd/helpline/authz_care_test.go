package main

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"helpline/cmd/internal/servertest"
)

// The authorisation matrix of the care figures (counselors/care): a staff
// member's own figures are theirs (counsellors and supervisors: admins take
// no conversations); a colleague's, and the team's place against the cap,
// are for supervisors only, never admins. Seekers' credentials are not
// staff sign-ins: 401 like none.

var careEndpoints = []string{"GET /api/care/me", "GET /api/care/staff/{id}", "GET /api/care/team"}

func wantCareStatus(endpoint string, r role) int {
	switch {
	case !r.isStaff() || !r.authenticates():
		return 401
	case r == roleSupervisor:
		return 200
	case r == roleAdmin:
		return 404
	case endpoint == "GET /api/care/me":
		return 200 // counsellors, their own
	}
	return 404
}

func TestAuthorizationMatrixCare(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		type careCase struct {
			endpoint string
			role     role
		}
		var cases []careCase
		for _, ep := range careEndpoints {
			for _, r := range allRoles {
				cases = append(cases, careCase{ep, r})
			}
		}
		colleague := f.idOf(roleAssigned)
		runConcurrently(t, cases, func(c careCase) string { return c.endpoint + "/" + string(c.role) }, func(t *testing.T, c careCase) {
			sc := f.newScene(t, ctx, "active")
			token := f.tokenOf(c.role, sc)
			method, path, _ := strings.Cut(c.endpoint, " ")
			path = strings.Replace(path, "{id}", colleague, 1)
			a := call(t, ctx, nil, method, srv.URL+path, token, nil, nil)
			want := wantCareStatus(c.endpoint, c.role)
			if a.Status != want {
				t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
			}
			if want >= 400 {
				if code := map[int]string{401: "unauthorized", 404: "not_found"}[want]; a.Code != code {
					t.Fatalf("error %q, want %s", a.Code, code)
				}
				if strings.Contains(string(a.Body), "seconds") {
					t.Fatalf("a refusal carries figures: %s", a.Body)
				}
				return
			}
			var body struct {
				StaffID string `json:"staff_id"`
				CapSecs int64  `json:"cap_seconds"`
				Members []any  `json:"members"`
			}
			if err := json.Unmarshal(a.Body, &body); err != nil || body.CapSecs != 5*3600 {
				t.Fatalf("body %s (%v)", a.Body, err)
			}
			// Whose figures: the caller's own, or the colleague asked for.
			switch c.endpoint {
			case "GET /api/care/me":
				if body.StaffID != f.idOf(c.role) {
					t.Fatalf("%s got the figures of %s", c.role, body.StaffID)
				}
			case "GET /api/care/staff/{id}":
				if body.StaffID != colleague {
					t.Fatalf("asked for %s, got %s", colleague, body.StaffID)
				}
			}
		})
		// Never in metrics.
		rec := httptest.NewRecorder()
		srv.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 || strings.Contains(strings.ToLower(rec.Body.String()), "care") {
			t.Fatalf("metrics mention care figures (status %d)", rec.Code)
		}
	})
}
