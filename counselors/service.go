package counselors

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/pquerna/otp/totp"

	"helpline/chat"
)

// Sign-in protection: after this many failures for one username, that
// username is locked until lockFor after its last failure (counted in the
// store, so on every instance and across restarts; the message never says so).
const (
	maxFailures = 5
	lockFor     = 15 * time.Minute
)

// Service signs staff in and out and manages their accounts.
type Service struct {
	store  Store
	tokens *chat.Tokens
	broker chat.Broker
	ttl    time.Duration
	now    chat.Clock
	log    *slog.Logger
	params *argon2id.Params // cost of new hashes until SetHasher (see hashing)

	hasher atomic.Pointer[Hasher] // every password hash goes through it

	refusals *refusals

	applyMaxCapacity func(ctx context.Context, staffID int64, maxCapacity int) error // see OnMaxCapacity
}

var _ chat.StaffDirectory = (*Service)(nil)

// NewService wires a Service. ttl is how long a sign-in lasts.
func NewService(store Store, tokens *chat.Tokens, broker chat.Broker, ttl time.Duration, now chat.Clock, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, tokens: tokens, broker: broker, ttl: ttl, now: now, log: log,
		params: argon2id.DefaultParams, refusals: newRefusals()}
}

// errSignIn is the one answer to every failed sign-in, so that it reveals
// neither whether the username exists nor whether it is locked.
var errSignIn = chat.Errorf(chat.CodeUnauthorized, "wrong username or password (or code)")

// Login checks a username and password (and, for an account enrolled in a
// second factor, a current TOTP code) and starts a sign-in session.
func (s *Service) Login(ctx context.Context, username, password, code string) (string, time.Time, Account, error) {
	if username == "" || password == "" || len(username) > 128 || len(password) > 1024 {
		return "", time.Time{}, Account{}, errSignIn
	}
	locked, err := s.locked(ctx, username)
	if err != nil {
		return "", time.Time{}, Account{}, err
	}
	if locked {
		if err := s.hashing().CompareDummy(ctx, password); notHashed(err) {
			return "", time.Time{}, Account{}, err
		}
		return "", time.Time{}, Account{}, errSignIn
	}
	a, err := s.store.AccountByUsername(ctx, username)
	var hash string
	switch {
	case err == nil:
		hash = a.PasswordHash
	case chat.ErrorCode(err) == chat.CodeNotFound:
		hash = s.hashing().dummy
	default:
		return "", time.Time{}, Account{}, err
	}
	ok, cmpErr := s.hashing().Compare(ctx, password, hash)
	if notHashed(cmpErr) {
		return "", time.Time{}, Account{}, cmpErr
	}
	if ok && err == nil && a.TOTPSecret != "" && !totp.Validate(code, a.TOTPSecret) {
		ok = false
	}
	if err != nil || cmpErr != nil || !ok || !a.DisabledAt.IsZero() {
		s.fail(ctx, username)
		if err == nil {
			s.audit(ctx, a.ID, AuditSignInFailed, "", "")
		}
		return "", time.Time{}, Account{}, errSignIn
	}
	s.clearFailures(ctx, username)
	sess := Session{ID: chat.NewID(), StaffID: a.ID, CreatedAt: s.now().UTC(), ExpiresAt: s.now().Add(s.ttl).UTC()}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", time.Time{}, Account{}, err
	}
	token, exp := s.tokens.IssueStaff(a.ID, a.Role, sess.ID, s.ttl)
	s.audit(ctx, a.ID, AuditSignIn, "", "")
	return token, exp, a, nil
}

// locked tells whether username has failed too often. When the count cannot
// be read the sign-in is refused with that error (unavailable while the
// database is away): no sign-in goes ahead unchecked.
func (s *Service) locked(ctx context.Context, username string) (bool, error) {
	n, err := s.store.SignInFailures(ctx, username, s.now().UTC())
	if err != nil {
		s.log.Error("reading failed sign-ins failed; refusing the sign-in", "error", err)
		return false, err
	}
	return n >= maxFailures, nil
}

// fail counts a failed sign-in. When it cannot be counted the sign-in has
// failed anyway; the error is logged.
func (s *Service) fail(ctx context.Context, username string) {
	if _, err := s.store.AddSignInFailure(ctx, username, s.now().UTC(), lockFor); err != nil {
		s.log.Error("counting a failed sign-in failed", "error", err)
	}
}

func (s *Service) clearFailures(ctx context.Context, username string) {
	if err := s.store.ClearSignInFailures(ctx, username); err != nil {
		s.log.Error("clearing failed sign-ins failed", "error", err)
	}
}

// Logout revokes the sign-in behind p and closes its sockets on every instance.
func (s *Service) Logout(ctx context.Context, p chat.Principal) error {
	if !p.Role.IsStaff() {
		return chat.Errorf(chat.CodeUnauthorized, "not signed in")
	}
	if err := s.store.RevokeSessions(ctx, p.StaffID, p.SessionID, s.now().UTC()); err != nil {
		return err
	}
	s.audit(ctx, p.StaffID, AuditSignOut, "", "")
	return s.broker.Publish(ctx, chat.Event{Type: chat.EventRevoke, StaffID: p.StaffID, SessionID: p.SessionID})
}

// CheckSession implements chat.StaffDirectory.
func (s *Service) CheckSession(ctx context.Context, p chat.Principal) (chat.StaffInfo, error) {
	unauthorized := chat.Errorf(chat.CodeUnauthorized, "sign-in ended; sign in again")
	if !p.Role.IsStaff() {
		return chat.StaffInfo{}, unauthorized
	}
	sess, err := s.store.Session(ctx, p.SessionID)
	if chat.ErrorCode(err) == chat.CodeNotFound {
		return chat.StaffInfo{}, unauthorized
	}
	if err != nil {
		return chat.StaffInfo{}, err
	}
	if sess.StaffID != p.StaffID || !sess.RevokedAt.IsZero() || s.now().After(sess.ExpiresAt) {
		return chat.StaffInfo{}, unauthorized
	}
	a, err := s.store.Account(ctx, p.StaffID)
	if chat.ErrorCode(err) == chat.CodeNotFound || (err == nil && !a.DisabledAt.IsZero()) {
		return chat.StaffInfo{}, unauthorized
	}
	if err != nil {
		return chat.StaffInfo{}, err
	}
	return chat.StaffInfo{ID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Role: a.Role, Capacity: a.Capacity,
		MaxCapacity: a.MaxCapacity, Languages: a.Languages, Audiences: a.Audiences}, nil
}

// NewAccount is what `helpline user add` asks for.
type NewAccount struct {
	Username    string
	DisplayName string
	Role        chat.Role
	Password    string
	Capacity    int
	Languages   []string
	Audiences   []string
}

// AddAccount creates a staff account. actorID is who did it (0: the command line).
func (s *Service) AddAccount(ctx context.Context, n NewAccount, actorID int64) (Account, error) {
	if !n.Role.IsStaff() {
		return Account{}, chat.Errorf(chat.CodeInvalid, "role must be counselor, supervisor or admin")
	}
	if n.Username == "" || len(n.Username) > 64 || strings.ContainsAny(n.Username, " \t\r\n") {
		return Account{}, chat.Errorf(chat.CodeInvalid, "username must be 1–64 characters without spaces")
	}
	if utf8.RuneCountInString(n.Password) < 12 {
		return Account{}, chat.Errorf(chat.CodeInvalid, "password must be at least 12 characters")
	}
	if n.DisplayName == "" {
		n.DisplayName = n.Username
	}
	if n.Capacity == 0 {
		n.Capacity = 3
	}
	hash, err := s.hashing().Create(ctx, n.Password)
	if err != nil {
		return Account{}, err
	}
	a, err := s.store.CreateAccount(ctx, Account{Username: n.Username, DisplayName: n.DisplayName, Role: n.Role,
		PasswordHash: hash, Capacity: n.Capacity, MaxCapacity: max(n.Capacity, 5), Languages: n.Languages, Audiences: n.Audiences})
	if err != nil {
		return Account{}, err
	}
	s.audit(ctx, actorID, AuditAccountAdd, strconv.FormatInt(a.ID, 10), string(a.Role))
	return a, nil
}

// SetDisabled disables (or re-enables) an account; disabling also signs it
// out everywhere and closes its open sockets.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool, actorID int64) error {
	now := s.now().UTC()
	if err := s.store.SetDisabled(ctx, id, disabled, now); err != nil {
		return err
	}
	s.audit(ctx, actorID, AuditAccountChange, strconv.FormatInt(id, 10), fmt.Sprintf("disabled=%v", disabled))
	if !disabled {
		return nil
	}
	if err := s.store.RevokeSessions(ctx, id, "", now); err != nil {
		return err
	}
	return s.broker.Publish(ctx, chat.Event{Type: chat.EventRevoke, StaffID: id})
}

// audit writes one audit row; a failure is logged and returned, and callers
// whose action must not happen unaudited (reads) refuse on it.
func (s *Service) audit(ctx context.Context, actor int64, action, target, detail string) error {
	err := s.store.AppendAudit(ctx, AuditEntry{At: s.now().UTC(), ActorID: actor, Action: action, Target: target, Detail: detail})
	if err != nil {
		s.log.Error("writing the audit log failed", "action", action, "error", err)
	}
	return err
}

// Account finds an account by username.
func (s *Service) Account(ctx context.Context, username string) (Account, error) {
	return s.store.AccountByUsername(ctx, username)
}

// List returns every account.
func (s *Service) List(ctx context.Context) ([]Account, error) { return s.store.ListAccounts(ctx) }

// AuditLog returns the newest entries; reading it is itself audited, and
// refused (unavailable) when that row cannot be written.
func (s *Service) AuditLog(ctx context.Context, p chat.Principal, limit int) ([]AuditEntry, error) {
	if err := s.audit(ctx, p.StaffID, AuditRead, "audit_log", ""); err != nil {
		return nil, errReadNotAudited
	}
	return s.store.Audit(ctx, limit)
}

var errReadNotAudited = chat.Errorf(chat.CodeUnavailable, "the audit log cannot be read right now because the reading could not be recorded; try again in a moment")

// RecordRead implements chat.StaffDirectory: every staff read of a
// conversation's content is audited, and an error (no row written) makes the
// caller refuse the read.
func (s *Service) RecordRead(ctx context.Context, staffID int64, conversationID string) error {
	return s.audit(ctx, staffID, AuditRead, "conversation:"+conversationID, "")
}

// RecordWatch implements chat.WatchRecorder: a supervisor's silent watch
// is a read of the conversation like any other, marked "watch".
func (s *Service) RecordWatch(ctx context.Context, staffID int64, conversationID string) error {
	return s.audit(ctx, staffID, AuditRead, "conversation:"+conversationID, "watch")
}

// Verify checks a staff token's signature and claims (not its session).
func (s *Service) Verify(token string) (chat.Principal, error) {
	p, err := s.tokens.Verify(token)
	if err == nil && !p.Role.IsStaff() {
		err = chat.Errorf(chat.CodeUnauthorized, "not a staff token")
	}
	return p, err
}

// EnrollTOTP gives an account a new second-factor secret and returns the
// otpauth:// URL to load into an authenticator app. From then on, signing in
// needs a current code.
func (s *Service) EnrollTOTP(ctx context.Context, username string) (string, error) {
	a, err := s.store.AccountByUsername(ctx, username)
	if err != nil {
		return "", err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "helpline", AccountName: a.Username})
	if err != nil {
		return "", err
	}
	if err := s.store.SetTOTPSecret(ctx, a.ID, key.Secret()); err != nil {
		return "", err
	}
	s.audit(ctx, 0, AuditAccountChange, strconv.FormatInt(a.ID, 10), "totp enrolled")
	return key.URL(), nil
}
