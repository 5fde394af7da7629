package main

import (
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// Two instances on one database: a new version of a risk phrase list and
// of the wrap-up form saved through one is used by the other within
// HELPLINE_EDITS_CHECK, without a restart; a seeker's message on the
// other instance is flagged with the new version.
func TestAdminEditsReachEveryInstance(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	opts := servertest.Options{DatabaseURL: url, Env: map[string]string{"HELPLINE_EDITS_CHECK": "100ms"}}
	one, two := servertest.Start(t, "postgres", opts), servertest.Start(t, "postgres", opts)
	ctx := slowCtx(t)
	password := one.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
	_, in := signIn(t, ctx, one, "root", password)

	en := listSource(t, one, "en") // with "matrix test phrase" added
	a := call(t, ctx, nil, "PUT", one.URL+"/api/admin/phrases/en", in.Token, map[string]any{"based_on": en.Version, "language": "en", "categories": en.Categories}, nil)
	if a.Status != 201 {
		t.Fatalf("saving the list: %d %s", a.Status, a.Body)
	}
	form := one.Tools.Wrapups.Form()
	fields := form.Fields
	fields[0].Label = map[string]string{"es": "Tipo de contacto (2)", "en": "Type of contact (2)"}
	if a := call(t, ctx, nil, "POST", one.URL+"/api/admin/wrapup/forms", in.Token, map[string]any{"based_on": form.Version, "fields": fields}, nil); a.Status != 201 {
		t.Fatalf("saving the form: %d %s", a.Status, a.Body)
	}
	newForm := one.Tools.Wrapups.Form().Version

	// The other instance: its seeker writes the new phrase until a flag of the new version comes.
	seeker := startSeeker(t, ctx, two, "other", "en")
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; ; i++ {
		send(t, ctx, seeker.Client, seeker.started.ConversationID, "m"+strings.Repeat("x", i), "This is a matrix test phrase, sorry")
		flags, err := two.RiskFlags.Flags(ctx, seeker.started.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(flags) > 0 {
			if f := flags[0]; f.List != "en" || f.Version == en.Version {
				t.Fatalf("flag %+v: want list en in its new version", f)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other instance never matched the new phrase")
		}
		time.Sleep(100 * time.Millisecond) // the next check of HELPLINE_EDITS_CHECK
	}
	for time.Now().Before(deadline) {
		got, err := two.Tools.Wrapups.FormVersion(ctx, chat.Principal{Role: chat.RoleCounselor, StaffID: 1}, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version == newForm {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the other instance never used wrap-up form %s", newForm)
}

// The transparency report's wrap-up section counts every version of the
// form by the same codes: four wrap-ups written before an admin's new
// version and four after are one count of eight (shown rounded, 10),
// where either half alone would be suppressed.
func TestTheReportCountsEveryFormVersion(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := slowCtx(t)
		rootPass := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
		kimPass := srv.MustAccount(t, "kim", "Kim", chat.RoleCounselor, 10)
		_, root := signIn(t, ctx, srv, "root", rootPass)
		kim, kimIn := signIn(t, ctx, srv, "kim", kimPass)
		wrapUp := func(n int) {
			for i := 0; i < n; i++ {
				s := startSeeker(t, ctx, srv, "self", "es")
				accept(t, ctx, kim, s.started.ConversationID)
				if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/leave", "", map[string]string{"token": s.started.Token}, nil); a.Status != 204 {
					t.Fatalf("leave: %d", a.Status)
				}
				if a := call(t, ctx, nil, "POST", srv.URL+"/api/conversations/"+s.started.ConversationID+"/wrapup/complete", kimIn.Token,
					map[string]any{"answers": fullWrapup}, nil); a.Status != 200 {
					t.Fatalf("wrap-up: %d %s", a.Status, a.Body)
				}
			}
		}
		report := func() string {
			a := call(t, ctx, nil, "GET", srv.URL+"/api/admin/report?month="+time.Now().UTC().Format("2006-01"), root.Token, nil, nil)
			if a.Status != 200 {
				t.Fatalf("report: %d %s", a.Status, a.Body)
			}
			return string(a.Body)
		}
		wrapUp(4)
		if r := report(); !strings.Contains(r, `{"category":"own_behaviour","count":null,"note":"*"}`) {
			t.Fatalf("four wrap-ups are not suppressed: %s", r)
		}
		form := srv.Tools.Wrapups.Form()
		form.Fields[0].Label = map[string]string{"es": "Tipo de contacto (revisado)", "en": "Type of contact (revised)"}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/admin/wrapup/forms", root.Token, map[string]any{"based_on": form.Version, "fields": form.Fields}, nil); a.Status != 201 {
			t.Fatalf("new form: %d %s", a.Status, a.Body)
		}
		wrapUp(4)
		if r := report(); !strings.Contains(r, `{"category":"own_behaviour","count":10}`) {
			t.Fatalf("the report does not add both versions' wrap-ups: %s", r)
		}
	})
}
