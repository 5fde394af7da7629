package counselors

import (
	"context"
	"time"

	"helpline/chat"
)

// Account is one staff member.
type Account struct {
	ID           int64
	Username     string
	DisplayName  string // what help-seekers see; an alias is fine
	Role         chat.Role
	PasswordHash string
	Capacity     int // conversations at once, set by the counsellor
	MaxCapacity  int // the most a supervisor allows them
	Languages    []string
	Audiences    []string
	DisabledAt   time.Time
	CreatedAt    time.Time
	TOTPSecret   string // base32; empty when no second factor is enrolled
}

// Session is one sign-in. Its id travels inside the staff token, so revoking
// the row ends the token.
type Session struct {
	ID        string
	StaffID   int64
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID      int64
	At      time.Time
	ActorID int64
	Action  string
	Target  string
	Detail  string
}

// Audit actions.
const (
	AuditSignIn        = "sign_in"
	AuditSignInFailed  = "sign_in_failed"
	AuditSignOut       = "sign_out"
	AuditAccountAdd    = "account_add"
	AuditAccountChange = "account_change"
	AuditRead          = "read" // a staff read of conversation content or of the audit log
	// AuditReadRefused is a staff member refused a conversation that is not
	// theirs or does not exist (the client was told "not found").
	AuditReadRefused = "conversation.read_refused"
)

// Store keeps accounts, sessions and the audit log. MemoryStore and
// PostgresStore both pass store_test.go.
type Store interface {
	CreateAccount(ctx context.Context, a Account) (Account, error) // a taken username is CodeConflict
	Account(ctx context.Context, id int64) (Account, error)
	AccountByUsername(ctx context.Context, username string) (Account, error)
	ListAccounts(ctx context.Context) ([]Account, error)
	SetDisabled(ctx context.Context, id int64, disabled bool, at time.Time) error
	SetTOTPSecret(ctx context.Context, id int64, secret string) error
	// SetMaxCapacity sets the most conversations an account may take at
	// once, lowering its capacity to it if above, and returns the account.
	SetMaxCapacity(ctx context.Context, id int64, maxCapacity int) (Account, error)
	// UpdateProfile stores a's display name, role, languages, audiences and
	// capacity (nothing else) and returns the account.
	UpdateProfile(ctx context.Context, a Account) (Account, error)
	// SetPasswordHash replaces an account's password hash.
	SetPasswordHash(ctx context.Context, id int64, hash string) error
	// SearchAudit returns entries matching f, newest first (see AuditFilter).
	SearchAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	CreateSession(ctx context.Context, s Session) error
	Session(ctx context.Context, id string) (Session, error)
	RevokeSessions(ctx context.Context, staffID int64, sessionID string, at time.Time) error // all of staffID's when sessionID is ""
	// AddSignInFailure counts one failed sign-in for username at at, in one
	// atomic step shared by every instance, and returns the count: failures
	// since the last success, restarting at 1 when the previous one is older
	// than lockFor. Rows past their lock time may be deleted meanwhile.
	AddSignInFailure(ctx context.Context, username string, at time.Time, lockFor time.Duration) (int, error)
	// SignInFailures returns username's count as of at (0 once lockFor has
	// passed since its last failure).
	SignInFailures(ctx context.Context, username string, at time.Time) (int, error)
	ClearSignInFailures(ctx context.Context, username string) error
	AppendAudit(ctx context.Context, e AuditEntry) error
	Audit(ctx context.Context, limit int) ([]AuditEntry, error) // newest first
}

// ErrNoAccount is returned for an unknown account or session.
var ErrNoAccount = chat.Errorf(chat.CodeNotFound, "no such account")
