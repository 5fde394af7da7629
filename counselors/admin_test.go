package counselors_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"helpline/chat"
	"helpline/counselors"
)

// An admin edits an account's profile, resets its password and enrols a
// second factor; each is audited and the changes that must sign the
// account out do.
func TestAdminChangesAccounts(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		admin := mustAdd(t, svc, "root", chat.RoleAdmin)
		ana := mustAdd(t, svc, "ana", chat.RoleCounselor)
		token, _, _, err := svc.Login(ctx, "ana", password, "")
		if err != nil {
			t.Fatal(err)
		}
		name, role, langs, auds, capacity := "  Ana B ", chat.RoleSupervisor, []string{"es", "en", "es", " "}, []string{"self", "young"}, 1
		a, err := svc.ChangeAccount(ctx, ana.ID, counselors.AccountChange{DisplayName: &name, Role: &role, Languages: &langs, Audiences: &auds, Capacity: &capacity}, admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.DisplayName != "Ana B" || a.Role != chat.RoleSupervisor || strings.Join(a.Languages, ",") != "es,en" ||
			strings.Join(a.Audiences, ",") != "self,young" || a.Capacity != 1 {
			t.Errorf("changed account %+v", a)
		}
		if again, _ := store.Account(ctx, ana.ID); again.DisplayName != "Ana B" || again.Role != chat.RoleSupervisor {
			t.Errorf("the change was not stored: %+v", again)
		}
		if _, err := svc.CheckSession(ctx, mustVerify(t, svc, token)); !chat.IsUnauthorized(err) {
			t.Errorf("a new role must sign the account out: %v", err)
		}
		for _, bad := range []counselors.AccountChange{{Role: ptr(chat.Role("seeker"))}, {Audiences: &[]string{"adults"}},
			{Capacity: ptr(99)}, {DisplayName: ptr(" ")}} {
			if _, err := svc.ChangeAccount(ctx, ana.ID, bad, admin.ID); chat.ErrorCode(err) != chat.CodeInvalid {
				t.Errorf("change %+v: %v, want invalid", bad, err)
			}
		}
		if _, err := svc.ChangeAccount(ctx, admin.ID, counselors.AccountChange{Role: ptr(chat.RoleCounselor)}, admin.ID); chat.ErrorCode(err) != chat.CodeConflict {
			t.Errorf("an admin changing their own role: %v, want conflict", err)
		}

		if err := svc.ResetPassword(ctx, ana.ID, "short", admin.ID); chat.ErrorCode(err) != chat.CodeInvalid {
			t.Errorf("a short password: %v", err)
		}
		if err := svc.ResetPassword(ctx, ana.ID, "a brand new passphrase", admin.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := svc.Login(ctx, "ana", password, ""); err == nil {
			t.Error("the old password still signs in")
		}
		if _, _, _, err := svc.Login(ctx, "ana", "a brand new passphrase", ""); err != nil {
			t.Errorf("the new password: %v", err)
		}

		url, err := svc.EnrollSecondFactor(ctx, ana.ID, admin.ID)
		if err != nil || !strings.HasPrefix(url, "otpauth://") {
			t.Fatalf("enrol: %q, %v", url, err)
		}
		if _, _, _, err := svc.Login(ctx, "ana", "a brand new passphrase", ""); err == nil {
			t.Error("signing in without a code after enrolment")
		}
		enrolled, _ := store.Account(ctx, ana.ID)
		if !strings.Contains(url, "secret="+enrolled.TOTPSecret) {
			t.Errorf("the URL %q does not carry the stored secret", url)
		}
		code, _ := totp.GenerateCode(enrolled.TOTPSecret, time.Now())
		if _, _, _, err := svc.Login(ctx, "ana", "a brand new passphrase", code); err != nil {
			t.Errorf("signing in with a code: %v", err)
		}

		// The audit log has each change, by the admin, and no password.
		entries, err := svc.SearchAudit(ctx, chat.Principal{Role: chat.RoleAdmin, StaffID: admin.ID},
			counselors.AuditFilter{ActorID: admin.ID, Action: counselors.AuditAccountChange})
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, e := range entries {
			details = append(details, e.Detail)
		}
		all := strings.Join(details, " | ")
		for _, want := range []string{"role=supervisor", "password reset", "totp enrolled"} {
			if !strings.Contains(all, want) {
				t.Errorf("audit %q lacks %q", all, want)
			}
		}
		if strings.Contains(all, "passphrase") {
			t.Errorf("the audit log holds a password: %q", all)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// The audit log is searched by actor, action (or its prefix), target and
// time, and read a page at a time, newest first; each search is itself
// audited.
func TestAuditSearchFiltersAndPages(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		start := clock.Now()
		for i := 0; i < 7; i++ {
			svc.Record(ctx, 5, "directory.change", "service:"+string(rune('a'+i)), "")
			svc.Record(ctx, 6, "conversation.read_refused", "conversation:x", "")
			clock.Add(24 * time.Hour)
		}
		admin := chat.Principal{Role: chat.RoleAdmin, StaffID: 9}
		search := func(f counselors.AuditFilter) []counselors.AuditEntry {
			t.Helper()
			out, err := svc.SearchAudit(ctx, admin, f)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if got := search(counselors.AuditFilter{ActorID: 5}); len(got) != 7 || got[0].Target != "service:g" {
			t.Errorf("by actor: %d entries, first %+v", len(got), got)
		}
		if got := search(counselors.AuditFilter{Action: "directory.*"}); len(got) != 7 {
			t.Errorf("by action prefix: %d", len(got))
		}
		if got := search(counselors.AuditFilter{Action: "directory"}); len(got) != 0 {
			t.Errorf("an exact action matches a longer one: %d", len(got))
		}
		if got := search(counselors.AuditFilter{Target: "service:c"}); len(got) != 1 {
			t.Errorf("by target: %d", len(got))
		}
		if got := search(counselors.AuditFilter{Target: "service_*"}); len(got) != 0 {
			t.Errorf("_ must not be a wildcard: %d", len(got))
		}
		if got := search(counselors.AuditFilter{ActorID: 6, From: start.Add(48 * time.Hour), To: start.Add(96 * time.Hour)}); len(got) != 2 {
			t.Errorf("by time: %d, want 2", len(got))
		}
		page1 := search(counselors.AuditFilter{ActorID: 5, Limit: 4})
		page2 := search(counselors.AuditFilter{ActorID: 5, Limit: 4, Before: page1[len(page1)-1].ID})
		if len(page1) != 4 || len(page2) != 3 || page2[0].ID >= page1[3].ID {
			t.Errorf("pages of 4: %d then %d", len(page1), len(page2))
		}
		if reads := search(counselors.AuditFilter{ActorID: 9, Target: "audit_log"}); len(reads) < 7 {
			t.Errorf("searches are not audited: %d reads recorded", len(reads))
		}
		if _, err := svc.SearchAudit(ctx, admin, counselors.AuditFilter{Limit: counselors.MaxAuditPage + 1}); chat.ErrorCode(err) != chat.CodeInvalid {
			t.Errorf("a page too large: %v", err)
		}
	})
}
