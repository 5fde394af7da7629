package counselors

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp/totp"

	"helpline/chat"
)

// AccountChange is what an admin changes on an account; nil fields stay.
type AccountChange struct {
	DisplayName *string
	Role        *chat.Role
	Languages   *[]string
	Audiences   *[]string
	Capacity    *int
}

// ChangeAccount applies an admin's change to account id. A new role signs
// the account out everywhere (its tokens carry the old one). Audited with
// what changed, never a password.
func (s *Service) ChangeAccount(ctx context.Context, id int64, ch AccountChange, actorID int64) (Account, error) {
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return Account{}, err
	}
	before := a
	var changed []string
	if ch.DisplayName != nil {
		name := strings.TrimSpace(*ch.DisplayName)
		if name == "" || utf8.RuneCountInString(name) > 64 {
			return Account{}, chat.Errorf(chat.CodeInvalid, "display_name must be 1–64 characters")
		}
		a.DisplayName = name
		changed = append(changed, "display_name")
	}
	if ch.Role != nil {
		if !ch.Role.IsStaff() {
			return Account{}, chat.Errorf(chat.CodeInvalid, "role must be counselor, supervisor or admin")
		}
		if id == actorID && *ch.Role != a.Role {
			return Account{}, chat.Errorf(chat.CodeConflict, "you cannot change your own role; ask another admin")
		}
		a.Role = *ch.Role
		changed = append(changed, "role="+string(a.Role))
	}
	if ch.Languages != nil {
		a.Languages = cleanList(*ch.Languages)
		changed = append(changed, "languages="+strings.Join(a.Languages, ","))
	}
	if ch.Audiences != nil {
		for _, au := range *ch.Audiences {
			if au == "" || !chat.Audience(au).Valid() {
				return Account{}, chat.Errorf(chat.CodeInvalid, "audiences may be self, young and other")
			}
		}
		a.Audiences = cleanList(*ch.Audiences)
		changed = append(changed, "audiences="+strings.Join(a.Audiences, ","))
	}
	if ch.Capacity != nil {
		if *ch.Capacity < 0 || *ch.Capacity > a.MaxCapacity {
			return Account{}, chat.Errorf(chat.CodeInvalid, "capacity must be from 0 to the account's maximum (%d)", a.MaxCapacity)
		}
		a.Capacity = *ch.Capacity
		changed = append(changed, "capacity="+strconv.Itoa(a.Capacity))
	}
	if len(changed) == 0 {
		return a, nil
	}
	if a, err = s.store.UpdateProfile(ctx, a); err != nil {
		return Account{}, err
	}
	s.audit(ctx, actorID, AuditAccountChange, strconv.FormatInt(id, 10), strings.Join(changed, "; "))
	if a.Role != before.Role {
		return a, s.signOutEverywhere(ctx, id)
	}
	return a, nil
}

func cleanList(in []string) []string {
	out := []string{}
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func (s *Service) signOutEverywhere(ctx context.Context, id int64) error {
	if err := s.store.RevokeSessions(ctx, id, "", s.now().UTC()); err != nil {
		return err
	}
	return s.broker.Publish(ctx, chat.Event{Type: chat.EventRevoke, StaffID: id})
}

// ResetPassword sets a new password chosen by an admin, signs the account
// out everywhere and lifts a sign-in lock. Audited (without the password).
func (s *Service) ResetPassword(ctx context.Context, id int64, password string, actorID int64) error {
	if utf8.RuneCountInString(password) < 12 {
		return chat.Errorf(chat.CodeInvalid, "password must be at least 12 characters")
	}
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return err
	}
	hash, err := s.hashing().Create(ctx, password)
	if err != nil {
		return err
	}
	if err := s.store.SetPasswordHash(ctx, id, hash); err != nil {
		return err
	}
	s.audit(ctx, actorID, AuditAccountChange, strconv.FormatInt(id, 10), "password reset")
	s.clearFailures(ctx, a.Username)
	return s.signOutEverywhere(ctx, id)
}

// EnrollSecondFactor gives account id a new second-factor secret on an
// admin's request and returns the otpauth:// URL for the staff member's
// authenticator app; their next sign-in needs a code. Audited.
func (s *Service) EnrollSecondFactor(ctx context.Context, id int64, actorID int64) (string, error) {
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return "", err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "helpline", AccountName: a.Username})
	if err != nil {
		return "", err
	}
	if err := s.store.SetTOTPSecret(ctx, id, key.Secret()); err != nil {
		return "", err
	}
	s.audit(ctx, actorID, AuditAccountChange, strconv.FormatInt(id, 10), "totp enrolled")
	return key.URL(), nil
}

// AuditFilter selects audit entries: each set field must match (Action
// and Target exactly, or as a prefix when they end in "*"); From and To
// bound the time (To excluded); Before pages: only entries with a smaller
// id. Limit is 1–500 (default 100).
type AuditFilter struct {
	ActorID  int64
	Action   string
	Target   string
	From, To time.Time
	Before   int64
	Limit    int
}

// MaxAuditPage is the most entries one page holds.
const MaxAuditPage = 500

// SearchAudit returns a page of the audit log; reading it is audited (with
// the filter) and refused when that row cannot be written.
func (s *Service) SearchAudit(ctx context.Context, p chat.Principal, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxAuditPage {
		return nil, chat.Errorf(chat.CodeInvalid, "limit is at most %d", MaxAuditPage)
	}
	detail := fmt.Sprintf("actor=%d action=%q target=%q", f.ActorID, f.Action, f.Target)
	if err := s.audit(ctx, p.StaffID, AuditRead, "audit_log", detail); err != nil {
		return nil, errReadNotAudited
	}
	return s.store.SearchAudit(ctx, f)
}

// Matches reports whether e is selected by f (the memory store's filter,
// and the rule the PostgreSQL query follows).
func (f AuditFilter) Matches(e AuditEntry) bool {
	return (f.ActorID == 0 || e.ActorID == f.ActorID) && matchText(f.Action, e.Action) && matchText(f.Target, e.Target) &&
		(f.From.IsZero() || !e.At.Before(f.From)) && (f.To.IsZero() || e.At.Before(f.To)) && (f.Before == 0 || e.ID < f.Before)
}

func matchText(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(s, prefix)
	}
	return s == pattern
}

// likePattern turns a filter's text into a LIKE pattern ("" matches all).
func likePattern(pattern string) string {
	if pattern == "" {
		return "%"
	}
	escaped := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSuffix(pattern, "*"))
	if strings.HasSuffix(pattern, "*") {
		return escaped + "%"
	}
	return escaped
}
