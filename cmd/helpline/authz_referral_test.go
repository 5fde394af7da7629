package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/cmd/internal/servertest"
	"helpline/routing/directory"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
	"helpline/routing/referral/webhook"
)

// The authorisation matrix, continued for the referral endpoints: each one
// tried by every role of authz_test.go, in a fresh scene where A is active
// with its assigned counsellor.

// referralEndpoints: the endpoint, and what its scene needs first: a card
// ("card"), a warm referral offered ("offered") or consented ("consented").
var referralEndpoints = []struct{ name, needs string }{
	{"GET /api/staff/conversations/{A}/directory", ""},
	{"GET /api/staff/conversations/{A}/referrals", "card"},
	{"POST /api/staff/conversations/{A}/referrals", ""},
	{"POST /api/staff/conversations/{A}/referrals/{rid}/warm", "card"},
	{"POST /api/staff/referrals/{rid}/retry", "consented"},
	{"GET /api/seeker/referrals", "card"},
	{"POST /api/seeker/referrals/{rid}/consent", "offered"},
	{"POST /api/seeker/referrals/{rid}/decline", "offered"},
	{"POST /api/seeker/referrals/{rid}/withdraw", "consented"},
	{"POST /api/partners/{partner}/referrals/{code}/contact", "consented"},
	{"GET /api/admin/directory", ""},
	{"PUT /api/admin/directory/services/{new}", ""},
	{"POST /api/admin/directory/services/sample-gb-professionals/retire", ""},
	{"PUT /api/admin/directory/organizations/{neworg}", ""},
	{"POST /api/admin/directory/import", ""},
	{"POST /api/admin/directory/import-sample", ""},
	{"GET /api/admin/partners/{partner}", ""},
	{"PUT /api/admin/partners/{partner}", ""},
}

// wantReferralStatus is the matrix for those endpoints.
func wantReferralStatus(endpoint string, r role) int {
	method, path, _ := strings.Cut(endpoint, " ")
	switch {
	case strings.HasPrefix(path, "/api/partners/"):
		return 401 // only a partner's signature opens it, whatever bearer comes with it
	case strings.HasPrefix(path, "/api/seeker/"):
		switch {
		case r == roleOwn:
			return 200
		case r == roleOther && method == "GET":
			return 200 // its own list, without A's referrals
		case r == roleOther:
			return 404
		}
		return 401
	case !r.isStaff() || !r.authenticates():
		return 401
	case strings.HasPrefix(path, "/api/admin/"):
		switch {
		case r != roleAdmin:
			return 404
		case strings.HasSuffix(path, "/retire"):
			return 204
		}
		return 200
	case strings.HasSuffix(path, "/referrals") && method == "GET" && (r == roleSupervisor || r == roleAdmin):
		return 200 // supervisors and admins read any conversation (audited)
	case strings.HasSuffix(path, "/retry"):
		if r == roleSupervisor || r == roleAdmin {
			return 409 // allowed, and refused because it has not failed
		}
		return 404
	case r != roleAssigned:
		return 404 // a conversation not theirs does not exist for them
	case method == "POST" && strings.HasSuffix(path, "/referrals"):
		return 201
	}
	return 200
}

func TestAuthorizationMatrixReferrals(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		if err := directory.LoadSample(ctx, srv.Directory); err != nil {
			t.Fatal(err)
		}
		secret := webhook.NewSecret()
		if err := srv.Outbox.PutPartner(ctx, referral.Partner{ID: warmService, Name: "Socio", URL: "https://partner.example.org/in",
			Secrets: []string{secret}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		var cases []httpCase
		for _, ep := range referralEndpoints {
			for _, r := range allRoles {
				cases = append(cases, httpCase{endpoint: ep.name + "#" + ep.needs, role: r})
			}
		}
		var mu sync.Mutex // one case at a time touches the shared directory rows
		runConcurrently(t, cases, httpCase.String, func(t *testing.T, c httpCase) {
			f.runReferralCase(t, ctx, c, &mu)
		})
	})
}

func (f *authzFixture) runReferralCase(t *testing.T, ctx context.Context, c httpCase, mu *sync.Mutex) {
	endpoint, needs, _ := strings.Cut(c.endpoint, "#")
	method, path, _ := strings.Cut(endpoint, " ")
	sc := f.newScene(t, ctx, "active")
	id := sc.own.ConversationID
	rs := &referralScene{srv: f.srv, id: id, seeker: &seeker{started: sc.own, Client: sc.seekerWatch},
		staffToken: f.token[roleAssigned], adminToken: f.token[roleAdmin]}
	var v refer.View
	if needs != "" {
		v = rs.sendCard(t, ctx, warmService, "authz")
	}
	if needs == "offered" || needs == "consented" {
		if a := call(t, ctx, nil, "POST", rs.url("/api/staff/conversations/"+id+"/referrals/"+v.ID+"/warm"), rs.staffToken, nil, nil); a.Status != 200 {
			t.Fatalf("offer: %d %s", a.Status, a.Body)
		}
	}
	code := ""
	if needs == "consented" {
		if a := rs.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); a.Status != 200 {
			t.Fatalf("consent: %d %s", a.Status, a.Body)
		}
		r, _ := f.srv.Referrals.Records().Get(ctx, v.ID)
		code = r.Code
	}
	suffix := strings.NewReplacer(" ", "", "-", "", "/", "")
	newID := "authz-" + suffix.Replace(string(c.role))
	path = strings.NewReplacer("{A}", id, "{rid}", v.ID, "{partner}", warmService, "{code}", code, "{new}", newID, "{neworg}", newID).Replace(path)

	body := referralBody(path, method, newID)
	if strings.Contains(path, "/api/admin/directory") && method != "GET" {
		mu.Lock()
		defer mu.Unlock()
	}
	a := call(t, ctx, nil, method, f.srv.URL+path, f.tokenOf(c.role, sc), body, nil)
	want := wantReferralStatus(endpoint, c.role)
	if a.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, a.Status, want, a.Body)
	}
	if strings.HasSuffix(path, "/retire") {
		s, err := f.srv.Directory.Store().Service(ctx, "sample-gb-professionals")
		if err != nil || s.Deleted() != (c.role == roleAdmin) {
			t.Fatalf("after %s's retire the service is deleted=%v (%v)", c.role, s.Deleted(), err)
		}
		if s.Deleted() {
			s.DeletedAt = time.Time{}
			if err := f.srv.Directory.Store().PutService(ctx, s); err != nil { // listed again for the next case
				t.Fatal(err)
			}
		}
	}
	if c.role == roleOther && path == "/api/seeker/referrals" && strings.Contains(string(a.Body), v.ID) {
		t.Fatalf("another seeker sees A's referral: %s", a.Body)
	}
	if strings.HasSuffix(path, "/consent") || strings.HasSuffix(path, "/withdraw") {
		r, _ := f.srv.Referrals.Records().Get(ctx, v.ID)
		changed := (strings.HasSuffix(path, "/consent") && r.Warm == refer.WarmConsented) || (strings.HasSuffix(path, "/withdraw") && r.Warm == refer.WarmWithdrawn)
		if changed != (c.role == roleOwn) {
			t.Fatalf("%s by %s: the referral is now %q", path, c.role, r.Warm)
		}
	}
}

func referralBody(path, method, newID string) any {
	switch {
	case method == "GET":
		return nil
	case strings.HasSuffix(path, "/referrals") && strings.HasPrefix(path, "/api/staff/"):
		return map[string]string{"service_id": warmService, "client_id": "authz-2"}
	case strings.HasSuffix(path, "/consent"):
		return map[string]string{"confirm": "send", "sharing": "code_only"}
	case strings.HasPrefix(path, "/api/admin/directory/services/") && method == "PUT":
		return directory.Service{ID: newID, OrganizationID: "sample-org-es", Fallback: "es", Name: directory.Text{"es": "Prueba"},
			Description: directory.Text{"es": "Servicio de prueba (ficticio)"}, Regions: []string{"ES"}, Audiences: []directory.Audience{"self"},
			Kinds: []directory.Kind{"therapy"}, Languages: []string{"es"}, Channels: []directory.Channel{{Kind: "phone", Address: "+34 000 000 000"}},
			Status: directory.StatusActive}
	case strings.HasPrefix(path, "/api/admin/directory/organizations/"):
		return directory.Organization{ID: newID, Name: "Organización de prueba", Description: "Ficticia"}
	case strings.HasSuffix(path, "/import"):
		return directory.SampleJSON()
	case strings.HasPrefix(path, "/api/admin/partners/"):
		return map[string]any{"name": "Socio", "url": "https://partner.example.org/in", "enabled": true}
	}
	return map[string]any{}
}
