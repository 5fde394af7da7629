package main

import (
	"encoding/json"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
	"helpline/counselors/wrapup"
)

// The authorisation matrix of what admins edit in the browser (the shared
// prepared answers, the wrap-up form's versions, the risk phrase lists),
// every endpoint tried by every role of authz_test.go's fixture. Seekers'
// credentials are not staff sign-ins: 401 like none. A refusal changes
// nothing: afterwards only the admin's saves are there.
var adminToolEndpoints = []string{
	"GET /api/admin/answers",
	"POST /api/admin/answers/{id}/retire",
	"POST /api/admin/answers/{id}/reinstate",
	"GET /api/wrapup/form?version={v1}",
	"GET /api/admin/wrapup/forms",
	"POST /api/admin/wrapup/forms",
	"GET /api/admin/phrases",
	"GET /api/admin/phrases/en/versions",
	"PUT /api/admin/phrases/en",
}

func wantAdminToolStatus(endpoint string, r role) int {
	if !r.isStaff() || !r.authenticates() {
		return 401
	}
	switch {
	case strings.HasPrefix(endpoint, "GET /api/wrapup/form"):
		return 200 // every staff member shows wrap-ups of any version
	case strings.Contains(endpoint, "/api/admin/answers"):
		if r == roleSupervisor || r == roleAdmin {
			return 200
		}
		return 404
	case r != roleAdmin:
		return 404
	case strings.HasPrefix(endpoint, "POST"), strings.HasPrefix(endpoint, "PUT"):
		return 201
	}
	return 200
}

func TestAuthorizationMatrixAdminTools(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		form := srv.Tools.Wrapups.Form()
		v1 := form.Version
		edited := append([]wrapup.Field{}, form.Fields...)
		edited[0].Label = map[string]string{"es": "Tipo de contacto (revisado)", "en": "Type of contact (revised)"}
		en := listSource(t, srv, "en")
		type adminCase struct {
			endpoint string
			role     role
		}
		var cases []adminCase
		for _, ep := range adminToolEndpoints {
			for _, r := range allRoles {
				cases = append(cases, adminCase{ep, r})
				if strings.Contains(ep, "/api/admin/answers/") {
					// Each case retires or reinstates a shared answer of its own.
					id := "shared-" + string(r) + "-" + ep[strings.LastIndex(ep, "/")+1:]
					a := call(t, ctx, nil, "PUT", srv.URL+"/api/answers/"+id, f.token[roleAdmin],
						map[string]any{"language": "es", "scope": "service", "title": "Compartida", "body": "Hola"}, nil)
					if a.Status != 200 {
						t.Fatalf("creating a shared answer: %d %s", a.Status, a.Body)
					}
				}
			}
		}
		runConcurrently(t, cases, func(c adminCase) string { return c.endpoint + "/" + string(c.role) }, func(t *testing.T, c adminCase) {
			method, path, _ := strings.Cut(c.endpoint, " ")
			path = strings.Replace(path, "{v1}", v1, 1)
			if strings.Contains(path, "{id}") {
				path = strings.Replace(path, "{id}", "shared-"+string(c.role)+"-"+path[strings.LastIndex(path, "/")+1:], 1)
			}
			var body any
			switch {
			case path == "/api/admin/wrapup/forms" && method == "POST":
				body = map[string]any{"based_on": v1, "fields": edited}
			case method == "PUT":
				body = map[string]any{"based_on": en.Version, "language": "en", "categories": en.Categories}
			}
			a := call(t, ctx, nil, method, srv.URL+path, f.tokenOf(c.role, &scene{own: f.other, other: f.other}), body, nil)
			want := wantAdminToolStatus(c.endpoint, c.role)
			if a.Status != want {
				t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
			}
			if want >= 400 {
				wantCode := map[int]string{401: "unauthorized", 404: "not_found"}[want]
				if a.Code != wantCode || a.Message == "" {
					t.Fatalf("error %q %q, want %s", a.Code, a.Message, wantCode)
				}
			}
		})
		// Only the admin's saves happened: one new version of each.
		if v := srv.Tools.Wrapups.Form().Version; v == v1 {
			t.Errorf("the admin's new form version is not current")
		}
		admin := chat.Principal{Role: chat.RoleAdmin, StaffID: f.id[roleAdmin]}
		if versions, err := srv.Tools.Wrapups.FormVersions(ctx, admin); err != nil || len(versions) != 2 {
			t.Errorf("form versions after the matrix: %+v %v (want the deployment's and the admin's)", versions, err)
		}
		if versions, err := srv.PhraseLists.Versions(ctx, admin, "en"); err != nil || len(versions) != 2 {
			t.Errorf("en list versions after the matrix: %+v %v", versions, err)
		}
		a := call(t, ctx, nil, "GET", srv.URL+"/api/admin/answers?retired=true&q=compartida", f.token[roleAdmin], nil, nil)
		var list struct {
			Answers []struct {
				ID        string `json:"id"`
				RetiredAt string `json:"retired_at"`
			} `json:"answers"`
		}
		if err := json.Unmarshal(a.Body, &list); err != nil {
			t.Fatal(err)
		}
		retired := map[string]bool{}
		for _, x := range list.Answers {
			retired[x.ID] = x.RetiredAt != ""
		}
		for _, r := range allRoles {
			if got, want := retired["shared-"+string(r)+"-retire"], wantAdminToolStatus("POST /api/admin/answers/{id}/retire", r) == 200; got != want {
				t.Errorf("shared answer of case %s retired: %v, want %v", r, got, want)
			}
		}
	})
}

// listSource is the newest version of a risk phrase list, as the admin
// page reads it.
func listSource(t *testing.T, srv *servertest.Server, name string) (out struct {
	Version    string `json:"version"`
	Categories []any  `json:"categories"`
}) {
	t.Helper()
	for _, l := range srv.PhraseLists.Matcher(testCtx(t)).Lists() {
		if l.Name == name {
			src := l.Source()
			b, _ := json.Marshal(src.Categories)
			json.Unmarshal(b, &out.Categories)
			// One phrase more, so that the admin's save is a new version.
			out.Categories[len(out.Categories)-1].(map[string]any)["phrases"] = append(out.Categories[len(out.Categories)-1].(map[string]any)["phrases"].([]any), "matrix test phrase")
			out.Version = l.Version
			return out
		}
	}
	t.Fatalf("no list %s", name)
	return out
}
