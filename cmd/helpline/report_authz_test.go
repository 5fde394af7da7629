package main

import (
	"net/http"
	"net/url"
	"strings"
)

// The endpoints of seekers' feedback, the transparency report and the
// admin page, in the authorisation matrix (authz_test.go).
var reportEndpoints = []struct {
	name  string
	phase int
}{
	{"POST /api/seeker/feedback", 1},
	{"POST /seeker/feedback", 1},
	{"GET /admin", 1},
	{"GET /api/admin/report", 1},
	{"GET /api/admin/report.csv", 1},
	{"GET /api/admin/feedback/comments", 1},
	{"POST /api/admin/accounts/{id}/password", 1},
	{"POST /api/admin/accounts/{id}/second-factor", 1},
}

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// isAccountSecret: endpoints that change how an account signs in; the
// admin tries them on the disabled account, so no other case is signed out.
func isAccountSecret(path string) bool {
	return strings.HasSuffix(path, "/password") || strings.HasSuffix(path, "/second-factor")
}

// reportWantStatus is the matrix for these endpoints (ok false: not one).
func reportWantStatus(endpoint string, r role) (int, bool) {
	switch endpoint {
	case "GET /admin":
		return 200, true // the page is public; everything it shows needs an admin's sign-in
	case "POST /api/seeker/feedback", "POST /seeker/feedback":
		if r == roleOwn || r == roleOther {
			return 409, true // their own conversation, which has not ended: feedback comes after
		}
		return 401, true
	case "POST /api/admin/accounts/{id}/password":
		if r == roleAdmin {
			return 204, true
		}
	}
	return 0, false
}

func reportBody(path, token string) any {
	switch path {
	case "/api/seeker/feedback":
		return map[string]any{"token": token, "helpful": 3}
	case "/seeker/feedback":
		return []byte(url.Values{"token": {token}, "helpful": {"3"}, "lang": {"es"}}.Encode())
	}
	return map[string]any{"password": "another long passphrase"}
}

func reportQuery(path string) string {
	switch path {
	case "/api/admin/report", "/api/admin/report.csv":
		return "?month=2026-11"
	case "/api/admin/feedback/comments":
		return "?from=2026-W45&to=2026-W48"
	}
	return ""
}
