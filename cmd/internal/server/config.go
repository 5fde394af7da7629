// Package server wires the whole service together from configuration: the
// stores (PostgreSQL, or memory when no DATABASE_URL is set), the broker, the
// chat and staff services and the HTTP handler. cmd/helpline runs it; tests
// and the load generator's smoke test start it on a free port.
package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"helpline/counselors"
	"helpline/routing"
	"helpline/routing/escalation"
	"helpline/web"
)

// Config is every setting, read from the environment by LoadConfig.
type Config struct {
	MetricsAddr      string
	Addr             string
	DatabaseURL      string
	EncryptionKeys   string
	TokenKeys        string
	AllowedOrigins   []string
	DefaultLanguage  string
	TextsDir         string
	RiskPhrasesDir   string // replacement and added risk phrase lists (chat/riskflag)
	WrapupForm       string // HELPLINE_WRAPUP_FORM: the wrap-up form file; "" the built-in one
	RetentionDays    int
	SeekerTokenTTL   time.Duration
	BlockPause       time.Duration
	StaffTokenTTL    time.Duration
	ExitURL          string
	Alternatives     []web.Alternative
	LogLevel         string
	DrainDelay       time.Duration
	HSTS             bool
	Demo             bool
	DemoPassword     string
	StartsPerMinute  int
	SignInsPerMinute int
	// StartsPerMinuteTotal bounds new conversations over the whole service.
	StartsPerMinuteTotal int
	TrustedProxies       web.TrustedProxies
	// Hashing is the argon2id cost of new passwords and how many hashes
	// may run at once (HELPLINE_ARGON2_*).
	Hashing counselors.HashConfig

	Routing          string
	OfferTimeout     time.Duration
	MaxMisses        int
	CounselorGrace   time.Duration
	SeekerGrace      time.Duration
	Hours            routing.Hours
	MaxQueue         int
	RequireCounselor bool

	// Escalations (routing/escalation): acknowledgement deadline per
	// urgency, and the "nobody is on shift" text per language ("" keeps
	// the built-in one).
	EscalationDeadlines map[escalation.Urgency]time.Duration
	OutOfHoursText      map[string]string
	// OnionOrigin is HELPLINE_ONION_ADDRESS as an origin (http://….onion),
	// sent as Onion-Location; empty: not sent.
	OnionOrigin string
	// NoJSRefresh is how often the pages without JavaScript reload their
	// messages (HELPLINE_NOJS_REFRESH).
	NoJSRefresh time.Duration
	// The transparency report and seekers' feedback (report_config.go).
	Report ReportConfig
	// Referrals: how often this instance delivers warm referrals (0: it
	// does not), whether http:// partners are allowed (development only),
	// and the TLS configuration of outbound calls (tests only; nil: the
	// system's roots).
	ReferralInterval  time.Duration
	ReferralAllowHTTP bool
	ReferralTLS       *tls.Config
	// Care for counsellors: the exposure cap, the break rule, how long the
	// figures are kept (HELPLINE_CARE_*, care.go).
	Care CareConfig

	// EditsCheck is how often each instance asks the database whether an
	// admin saved a new version of the wrap-up form or of a risk phrase
	// list on another instance (HELPLINE_EDITS_CHECK).
	EditsCheck time.Duration

	// The flood waiting step (flood.go): proof-of-work difficulty in bits
	// for pages with JavaScript, and the wait for pages without.
	FloodBits int
	FloodWait time.Duration

	// StoreWriters is how many batches of messages are stored at once
	// (HELPLINE_STORE_WRITERS; see chat.Writer).
	StoreWriters int
	// StoreGather is the longest a message waits for others to share its
	// commit on PostgreSQL while messages arrive steadily
	// (HELPLINE_STORE_GATHER; 0 commits at once; see chat.Writer).
	StoreGather time.Duration
}

// DemoAddr is where the server listens without DATABASE_URL and without
// HELPLINE_ADDR: loopback only.
const DemoAddr = "127.0.0.1:8080"

// Setting documents one environment variable; README's table mirrors it.
type Setting struct {
	Name, Default, Help string
}

// Settings lists every environment variable the server reads.
var Settings = []Setting{
	{"HELPLINE_ADDR", ":8080", "address to listen on; without DATABASE_URL (in-memory mode, with its well-known demo accounts) the default is 127.0.0.1:8080, this machine only"},
	{"HELPLINE_METRICS_ADDR", "", "address for Prometheus metrics at /metrics and Go profiles at /debug/pprof/ (e.g. 127.0.0.1:9090); empty: off. Keep it internal"},
	{"DATABASE_URL", "", "PostgreSQL URL; empty runs on an in-memory store (nothing survives a restart)"},
	{"DATABASE_URL_FILE", "", "file holding DATABASE_URL (e.g. a mounted secret); set one or the other"},
	{"HELPLINE_ENCRYPTION_KEYS", "", "message encryption keys id:base64,… (first encrypts); required with DATABASE_URL; make one with `helpline keygen`"},
	{"HELPLINE_ENCRYPTION_KEYS_FILE", "", "file holding HELPLINE_ENCRYPTION_KEYS; set one or the other"},
	{"HELPLINE_TOKEN_KEYS", "", "token signing keys id:base64,… (first signs); required with DATABASE_URL"},
	{"HELPLINE_TOKEN_KEYS_FILE", "", "file holding HELPLINE_TOKEN_KEYS; set one or the other"},
	{"HELPLINE_ALLOWED_ORIGINS", "", "extra WebSocket origins, comma-separated: host patterns (any scheme) or scheme://host patterns; the page's own origin (scheme and host) is always allowed"},
	{"HELPLINE_DEFAULT_LANGUAGE", "es", "language shown when the browser's is not offered"},
	{"HELPLINE_TEXTS_DIR", "", "folder of <lang>.json files that override or add translations (e.g. intro.confidentiality)"},
	{"HELPLINE_RISK_PHRASES_DIR", "", "folder of <name>.json risk phrase lists (chat/riskflag): a file replaces the built-in list of the same name (es, en) whole, another name adds a list; see README \"Risk flags\""},
	{"HELPLINE_WRAPUP_FORM", "", "JSON file of the wrap-up form (versioned; see README \"The wrap-up form\"); empty: the built-in form"},
	{"HELPLINE_RETENTION_DAYS", "30", "days conversation content is kept"},
	{"HELPLINE_SEEKER_TOKEN_TTL", "24h", "how long a help-seeker's credential lasts"},
	{"HELPLINE_BLOCK_PAUSE", "24h", "after staff end a conversation as blocked, how long new conversations from that browser are paused (a signed marker only that browser keeps; nothing is stored on the server)"},
	{"HELPLINE_STAFF_TOKEN_TTL", "12h", "how long a staff sign-in lasts"},
	{"HELPLINE_ALTERNATIVES_FILE", "", "JSON list of other places to turn to, shown when no conversation can start now: [{\"name\": {\"es\": …, \"en\": …}, \"description\": {…}, \"hours\": {…}, \"phone\": \"+34 …\", \"url\": \"https://…\"}]; empty: only the self-help reading"},
	{"HELPLINE_EXIT_URL", "https://www.google.com/", "neutral page that quick exit opens"},
	{"HELPLINE_NOJS_REFRESH", "5s", "how often the help-seeker's page without JavaScript reloads its messages (1s to 60s): shorter feels more live, each reload is one small request"},
	{"HELPLINE_ONION_ADDRESS", "", "the service's Tor onion address (56 letters and digits, then .onion; http:// or https:// in front optional): every page then sends Onion-Location, so Tor Browser offers it"},
	{"HELPLINE_STARTS_PER_MINUTE", "12", "new conversations allowed per client address per minute (kept only as an hourly-rekeyed hash, in memory); 0 = no limit, for load tests on loopback"},
	{"HELPLINE_STARTS_PER_MINUTE_TOTAL", "0", "new conversations allowed per minute over the whole service, whoever starts them (bursts of a tenth of it); the limit that still works behind a Tor onion service, where every visitor shares one address; 0 = no limit"},
	{"HELPLINE_TRUSTED_PROXIES", "", "reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For tells the client's address for the per-address limits; used in memory only, never stored or logged; empty: believe no header"},
	{"HELPLINE_SIGNINS_PER_MINUTE", "10", "staff sign-in attempts allowed per client address per minute (besides locking an account after 5 failures); 0 = no limit, for load tests"},
	{"HELPLINE_ARGON2_MEMORY_KIB", "19456", "argon2id memory per password hash, in KiB (OWASP's recommendation: 19456 with 2 iterations); hashes already stored keep the cost written in them"},
	{"HELPLINE_ARGON2_ITERATIONS", "2", "argon2id passes per password hash"},
	{"HELPLINE_ARGON2_PARALLELISM", "1", "argon2id lanes (threads) per password hash"},
	{"HELPLINE_ARGON2_IN_FLIGHT", "0", "most password hashes run at once (sign-ins and new accounts); 0 = GOMAXPROCS. Worst-case hashing memory is this × HELPLINE_ARGON2_MEMORY_KIB; a sign-in that finds no slot within 2 s gets 503 with Retry-After"},
	{"HELPLINE_ROUTING", "offer", "offer: each conversation is offered to one eligible counsellor at a time; pick: counsellors choose from the queue"},
	{"HELPLINE_OFFER_TIMEOUT", "30s", "how long an offer waits for an answer before it goes to the next counsellor"},
	{"HELPLINE_MAX_MISSES", "2", "offers in a row a counsellor may let time out before they are set to busy"},
	{"HELPLINE_COUNSELOR_GRACE", "60s", "how long a disconnected counsellor has to come back before their conversations return to the queue"},
	{"HELPLINE_SEEKER_GRACE", "10m", "how long a waiting help-seeker who closed the page keeps their place"},
	{"HELPLINE_OPENING_HOURS", "always", `when new conversations are taken, e.g. "mon-fri 09:00-21:00; sat 10:00-14:00"`},
	{"HELPLINE_TIMEZONE", "UTC", "time zone of the opening hours, e.g. Europe/Madrid"},
	{"HELPLINE_HOLIDAYS", "", "closed dates, e.g. 2026-12-25,2027-01-01"},
	{"HELPLINE_MAX_QUEUE", "0", "most conversations that may wait at once (0: no limit); beyond it new arrivals see the alternatives"},
	{"HELPLINE_REQUIRE_COUNSELOR", "true", "turn new arrivals to the alternatives when no counsellor is on shift"},
	{"HELPLINE_ESCALATION_ACK_NOW", "2m", "how soon a supervisor must acknowledge an escalation of urgency \"now\" before every supervisor and admin on shift is alerted again and it counts as late"},
	{"HELPLINE_ESCALATION_ACK_SOON", "10m", "the same for urgency \"soon\""},
	{"HELPLINE_ESCALATION_ACK_WHEN_POSSIBLE", "60m", "the same for urgency \"when possible\" (and debrief requests)"},
	{"HELPLINE_OUT_OF_HOURS_TEXT_ES", "", "what a counsellor reads, in Spanish, when they raise an escalation and no supervisor or admin is on shift (empty: a built-in text telling them to follow the service's out-of-hours procedure)"},
	{"HELPLINE_OUT_OF_HOURS_TEXT_EN", "", "the same in English"},
	{"HELPLINE_PUBLIC_REPORT", "false", "also serve the transparency report of each completed month to anyone, at /report (the same suppressed figures admins see)"},
	{"HELPLINE_REPORT_REGIONS", "", "coarse regions the report counts by name, comma-separated (e.g. Andalucía,Cataluña,Madrid); a seeker's answer is kept only as one of these, other or not_given"},
	{"HELPLINE_REPORT_SUPPRESS_BELOW", "8", "report disclosure control: counts from 1 to this minus 1 are not shown (at least 3)"},
	{"HELPLINE_REPORT_ROUND_TO", "5", "report disclosure control: every shown count is rounded to a multiple of this (at least 3, at most twice HELPLINE_REPORT_SUPPRESS_BELOW)"},
	{"HELPLINE_REPORT_MIN_DENOMINATOR", "25", "report disclosure control: no percentage, median or 90th percentile over fewer than this many"},
	{"HELPLINE_REFERRAL_INTERVAL", "10s", "how often this instance sends the warm referrals that are due (any instance may; each is sent by one at a time); 0s: this instance sends none"},
	{"HELPLINE_REFERRAL_ALLOW_HTTP", "false", "development only (in-memory mode): allow http:// partner URLs; with DATABASE_URL partners must use https"},
	{"HELPLINE_DRAIN_DELAY", "5s", "on shutdown, how long /readyz answers not ready (draining) before sockets close, so a load balancer stops sending new visitors first; 0s: close at once"},
	{"HELPLINE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"HELPLINE_HSTS", "false", "send Strict-Transport-Security (set when served over HTTPS, also through a proxy: the page's own origin is then https://)"},
	{"HELPLINE_DEMO", "true", "in-memory mode only: create demo staff accounts (counselor, supervisor, admin) and print their sign-in details, and load the fictional sample referral directory"},
	{"HELPLINE_DEMO_PASSWORD", "", "in-memory mode only: password for the demo accounts (at least 12 characters; default: random, printed at start)"},
	{"HELPLINE_CARE_EXPOSURE_CAP", "5h", "daily exposure cap: time in conversations in one shift after which a counsellor is told, calmly, that they have reached it (the UK Internet Watch Foundation sets 5 hours for its analysts); supervisors see who is near or past it"},
	{"HELPLINE_CARE_CAP_NOTICE", "30m", "how long before the exposure cap a counsellor (and their supervisors) are told they are near it; shorter than the cap"},
	{"HELPLINE_CARE_BREAK_AFTER_HIGH_RISK", "true", "after a conversation with a risk flag or an escalation ends, the console suggests a break (never sets one)"},
	{"HELPLINE_CARE_SHIFT_GAP", "6h", "a pause this long without conversations or breaks begins a new shift, for the care figures and the exposure cap"},
	{"HELPLINE_CARE_DAYS", "14", "days (1 to 90) counsellors' care figures (time in conversations, high-risk counts, breaks) are kept, then deleted; they are seen only by the counsellor and supervisors, never in reports or metrics"},
	{"HELPLINE_EDITS_CHECK", "2s", "how often each instance checks for a new version of the wrap-up form or of a risk phrase list that an admin saved on another instance (the instance where it is saved uses it at once)"},
	{"HELPLINE_FLOOD_BITS", "16", "the flood waiting step, when a supervisor switches it on: proof-of-work difficulty for the page with JavaScript, in leading zero bits of SHA-256 (each bit doubles the work; 16 is about 65,000 hashes, a second or two on a phone)"},
	{"HELPLINE_FLOOD_WAIT", "20s", "the flood waiting step for the page without JavaScript: how long its ticket takes to mature before a conversation can start (at most 5m)"},
	{"HELPLINE_STORE_WRITERS", "1", "how many batches of messages are stored at once (1 to 16); each gathers every message that arrived while the one before was committing (group commit); more than one helps only if commits are slow for reasons other than the database's notification lock (see BENCHMARKS.md)"},
	{"HELPLINE_STORE_GATHER", "1500us", "PostgreSQL only: while messages arrive steadily (several within this time), the longest a message waits for others to share its commit, at most 8 to a commit; fewer commits cost less CPU in the server and PostgreSQL for up to this much more latency; a lone message, or one after a pause, is committed at once; 0 to never wait, at most 10ms (see BENCHMARKS.md)"},
}

// LoadConfig reads and validates the environment. Every problem is reported
// at once, each saying what to set.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := &env{getenv: getenv}
	c := Config{
		Addr:            e.get("HELPLINE_ADDR"),
		MetricsAddr:     e.get("HELPLINE_METRICS_ADDR"),
		DatabaseURL:     e.secret("DATABASE_URL"),
		EncryptionKeys:  e.secret("HELPLINE_ENCRYPTION_KEYS"),
		TokenKeys:       e.secret("HELPLINE_TOKEN_KEYS"),
		DefaultLanguage: e.get("HELPLINE_DEFAULT_LANGUAGE"),
		TextsDir:        e.get("HELPLINE_TEXTS_DIR"),
		RiskPhrasesDir:  e.get("HELPLINE_RISK_PHRASES_DIR"),
		WrapupForm:      e.get("HELPLINE_WRAPUP_FORM"),
		SeekerTokenTTL:  e.duration("HELPLINE_SEEKER_TOKEN_TTL"),
		BlockPause:      e.duration("HELPLINE_BLOCK_PAUSE"),
		StaffTokenTTL:   e.duration("HELPLINE_STAFF_TOKEN_TTL"),
		ExitURL:         e.get("HELPLINE_EXIT_URL"),
		LogLevel:        e.get("HELPLINE_LOG_LEVEL"),
		HSTS:            e.boolean("HELPLINE_HSTS"),
		Demo:            e.boolean("HELPLINE_DEMO"),
		DemoPassword:    e.get("HELPLINE_DEMO_PASSWORD"),
	}
	if c.DatabaseURL == "" && strings.TrimSpace(getenv("HELPLINE_ADDR")) == "" {
		// The in-memory demo has accounts whose names everyone knows: keep it
		// to this machine unless told otherwise.
		c.Addr = DemoAddr
	}
	if c.DemoPassword != "" && len(c.DemoPassword) < 12 {
		e.fail(errors.New("HELPLINE_DEMO_PASSWORD must be at least 12 characters"))
	}
	c.AllowedOrigins = e.origins("HELPLINE_ALLOWED_ORIGINS")
	e.readLimits(&c)
	hashing, hashErrs := loadHashing(e.get)
	c.Hashing = hashing
	e.errs = append(e.errs, hashErrs...)
	e.readRouting(&c)
	alternatives, err := web.LoadAlternatives(e.get("HELPLINE_ALTERNATIVES_FILE"), c.DefaultLanguage)
	if err != nil {
		e.fail(fmt.Errorf("HELPLINE_ALTERNATIVES_FILE: %w", err))
	}
	c.Alternatives = alternatives
	e.readEscalations(&c)
	c.OnionOrigin = e.onion("HELPLINE_ONION_ADDRESS")
	if c.NoJSRefresh = e.duration("HELPLINE_NOJS_REFRESH"); c.NoJSRefresh > 0 && (c.NoJSRefresh < time.Second || c.NoJSRefresh > time.Minute) {
		e.fail(fmt.Errorf("HELPLINE_NOJS_REFRESH=%s: want 1s to 60s", c.NoJSRefresh))
	}
	e.readReport(&c)
	e.readReferral(&c)
	e.readCare(&c)
	c.EditsCheck = e.duration("HELPLINE_EDITS_CHECK")
	e.readFlood(&c)
	if c.StoreWriters = e.whole("HELPLINE_STORE_WRITERS", 1); c.StoreWriters > 16 {
		e.fail(fmt.Errorf("HELPLINE_STORE_WRITERS=%d: want 1 to 16", c.StoreWriters))
	}
	if g, err := time.ParseDuration(e.get("HELPLINE_STORE_GATHER")); err != nil || g < 0 || g > 10*time.Millisecond {
		e.fail(fmt.Errorf("HELPLINE_STORE_GATHER=%q: want 0 to 10ms", e.get("HELPLINE_STORE_GATHER")))
	} else {
		c.StoreGather = g
	}
	e.checkRequired(c)
	return c, errors.Join(e.errs...)
}

// env reads settings from the environment (or their defaults), collecting
// every problem so that all are reported at once.
type env struct {
	getenv func(string) string
	errs   []error
}

func (e *env) fail(err error) { e.errs = append(e.errs, err) }

// get is the setting name, or its default from Settings when unset.
func (e *env) get(name string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	for _, s := range Settings {
		if s.Name == name {
			return s.Default
		}
	}
	return ""
}

func (e *env) duration(name string) time.Duration {
	d, err := time.ParseDuration(e.get(name))
	if err != nil || d <= 0 {
		e.fail(fmt.Errorf("%s=%q: want a positive duration such as 24h or 30m", name, e.get(name)))
	}
	return d
}

func (e *env) secret(name string) string {
	v, err := secretFromEnv(e.getenv, name)
	if err != nil {
		e.fail(err)
	}
	return v
}

func (e *env) boolean(name string) bool {
	b, err := strconv.ParseBool(e.get(name))
	if err != nil {
		e.fail(fmt.Errorf("%s=%q: want true or false", name, e.get(name)))
	}
	return b
}

// whole is a whole-number setting of at least low.
func (e *env) whole(name string, low int) int {
	n, err := strconv.Atoi(e.get(name))
	if err != nil || n < low {
		e.fail(fmt.Errorf("%s=%q: want a whole number ≥ %d", name, e.get(name), low))
	}
	return n
}

// origins is a comma-separated list of origin patterns.
func (e *env) origins(name string) []string {
	var out []string
	for _, o := range strings.Split(e.get(name), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if _, err := path.Match(o, ""); err != nil {
				e.fail(fmt.Errorf("%s: %q is not a valid pattern (%v); use e.g. *.example.org or https://app.example.org", name, o, err))
			}
			out = append(out, o)
		}
	}
	return out
}

// readLimits reads how long conversations are kept and how often people
// may start conversations and sign in.
func (e *env) readLimits(c *Config) {
	days, err := strconv.Atoi(e.get("HELPLINE_RETENTION_DAYS"))
	if err != nil || days < 1 || days > 3650 {
		e.fail(fmt.Errorf("HELPLINE_RETENTION_DAYS=%q: want a whole number of days from 1 to 3650", e.get("HELPLINE_RETENTION_DAYS")))
	}
	c.RetentionDays = days
	c.StartsPerMinute = e.whole("HELPLINE_STARTS_PER_MINUTE", 0)
	c.SignInsPerMinute = e.whole("HELPLINE_SIGNINS_PER_MINUTE", 0)
	c.StartsPerMinuteTotal = e.whole("HELPLINE_STARTS_PER_MINUTE_TOTAL", 0)
	proxies, err := web.ParseTrustedProxies(e.get("HELPLINE_TRUSTED_PROXIES"))
	if err != nil {
		e.fail(fmt.Errorf("HELPLINE_TRUSTED_PROXIES: %w", err))
	}
	c.TrustedProxies = proxies
}

// readRouting reads how conversations reach counsellors, the opening hours
// and the shutdown's drain delay.
func (e *env) readRouting(c *Config) {
	c.Routing = e.get("HELPLINE_ROUTING")
	if c.Routing != routing.ModeOffer && c.Routing != routing.ModePick {
		e.fail(fmt.Errorf("HELPLINE_ROUTING=%q: want offer or pick", c.Routing))
	}
	c.OfferTimeout = e.duration("HELPLINE_OFFER_TIMEOUT")
	c.MaxMisses = e.whole("HELPLINE_MAX_MISSES", 1)
	c.CounselorGrace = e.duration("HELPLINE_COUNSELOR_GRACE")
	c.SeekerGrace = e.duration("HELPLINE_SEEKER_GRACE")
	c.MaxQueue = e.whole("HELPLINE_MAX_QUEUE", 0)
	c.RequireCounselor = e.boolean("HELPLINE_REQUIRE_COUNSELOR")
	hours, err := routing.ParseHours(e.get("HELPLINE_OPENING_HOURS"), e.get("HELPLINE_TIMEZONE"), e.get("HELPLINE_HOLIDAYS"))
	if err != nil {
		e.fail(fmt.Errorf("HELPLINE_OPENING_HOURS / HELPLINE_TIMEZONE / HELPLINE_HOLIDAYS: %w", err))
	}
	c.Hours = hours
	drain, err := time.ParseDuration(e.get("HELPLINE_DRAIN_DELAY"))
	if err != nil || drain < 0 {
		e.fail(fmt.Errorf("HELPLINE_DRAIN_DELAY=%q: want a duration such as 5s, or 0s", e.get("HELPLINE_DRAIN_DELAY")))
	}
	c.DrainDelay = drain
}

// readEscalations reads the escalation deadlines and out-of-hours texts.
func (e *env) readEscalations(c *Config) {
	c.EscalationDeadlines = map[escalation.Urgency]time.Duration{
		escalation.UrgencyNow:          e.duration("HELPLINE_ESCALATION_ACK_NOW"),
		escalation.UrgencySoon:         e.duration("HELPLINE_ESCALATION_ACK_SOON"),
		escalation.UrgencyWhenPossible: e.duration("HELPLINE_ESCALATION_ACK_WHEN_POSSIBLE"),
	}
	c.OutOfHoursText = map[string]string{"es": e.get("HELPLINE_OUT_OF_HOURS_TEXT_ES"), "en": e.get("HELPLINE_OUT_OF_HOURS_TEXT_EN")}
}

// checkRequired checks the settings that depend on others or must have a
// particular form.
func (e *env) checkRequired(c Config) {
	if c.DatabaseURL != "" {
		if c.EncryptionKeys == "" {
			e.fail(errors.New("HELPLINE_ENCRYPTION_KEYS is required with DATABASE_URL: message text is stored encrypted (make a key with `helpline keygen`)"))
		}
		if c.TokenKeys == "" {
			e.fail(errors.New("HELPLINE_TOKEN_KEYS is required with DATABASE_URL, so that every instance signs alike (make a key with `helpline keygen`)"))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		e.fail(fmt.Errorf("HELPLINE_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	if !strings.HasPrefix(c.ExitURL, "https://") && !strings.HasPrefix(c.ExitURL, "http://") {
		e.fail(fmt.Errorf("HELPLINE_EXIT_URL=%q: want an http(s) address", c.ExitURL))
	}
}

// secretFromEnv reads the secret name from the environment or, as container
// platforms mount secrets, from the file that name_FILE points to (its content
// with surrounding whitespace, such as the final newline, trimmed). Errors
// name the variable and the path, never the secret.
func secretFromEnv(getenv func(string) string, name string) (string, error) {
	value := strings.TrimSpace(getenv(name))
	path := strings.TrimSpace(getenv(name + "_FILE"))
	if path == "" {
		return value, nil
	}
	if value != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set: set only one of them", name, name)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return "", fmt.Errorf("%s_FILE=%s: cannot read the file (%v): check the path and that the server may read it", name, path, err)
	}
	value = strings.TrimSpace(string(content))
	if value == "" {
		return "", fmt.Errorf("%s_FILE=%s: the file is empty: put the %s value in it, or unset %s_FILE", name, path, name, name)
	}
	return value, nil
}

// OWASP's Password Storage Cheat Sheet lists argon2id configurations of equal
// strength, from m=47104 KiB t=1 to m=7168 KiB t=5 (memory × passes at least
// 35840 KiB); anything weaker is refused.
const (
	minHashMemoryKiB    = 7168
	minHashMemoryPasses = 35840
	maxHashMemoryKiB    = 4 << 20 // 4 GiB
)

// loadHashing reads and validates the HELPLINE_ARGON2_* settings.
func loadHashing(get func(string) string) (counselors.HashConfig, []error) {
	var errs []error
	number := func(name string, low, high int) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < low || n > high {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, get(name), low, high))
		}
		return n
	}
	memory := number("HELPLINE_ARGON2_MEMORY_KIB", minHashMemoryKiB, maxHashMemoryKiB)
	passes := number("HELPLINE_ARGON2_ITERATIONS", 1, 100)
	lanes := number("HELPLINE_ARGON2_PARALLELISM", 1, 255)
	inFlight := number("HELPLINE_ARGON2_IN_FLIGHT", 0, 1024)
	if len(errs) == 0 && memory*passes < minHashMemoryPasses {
		errs = append(errs, fmt.Errorf("HELPLINE_ARGON2_MEMORY_KIB=%d with HELPLINE_ARGON2_ITERATIONS=%d is weaker than OWASP's "+
			"recommended minimum: raise either so that memory × iterations is at least %d (e.g. 19456 and 2, or 47104 and 1)",
			memory, passes, minHashMemoryPasses))
	}
	if len(errs) > 0 {
		return counselors.HashConfig{}, errs
	}
	params := &argon2id.Params{Memory: uint32(memory), Iterations: uint32(passes), Parallelism: uint8(lanes), SaltLength: 16, KeyLength: 32}
	return counselors.HashConfig{Params: params, InFlight: inFlight, Wait: counselors.DefaultHashWait}, nil
}

// onion reads an onion service address as an origin: "http://<56 base32
// characters>.onion" (or https:// when given so); "" when unset.
func (e *env) onion(name string) string {
	v := strings.TrimSuffix(strings.ToLower(e.get(name)), "/")
	if v == "" {
		return ""
	}
	scheme := "http://"
	if rest, ok := strings.CutPrefix(v, "https://"); ok {
		scheme, v = "https://", rest
	}
	v = strings.TrimPrefix(v, "http://")
	label, ok := strings.CutSuffix(v, ".onion")
	valid := ok && len(label) == 56
	for _, c := range label {
		valid = valid && (c >= 'a' && c <= 'z' || c >= '2' && c <= '7')
	}
	if !valid {
		e.fail(fmt.Errorf("%s=%q: want a v3 onion address, 56 letters and digits 2-7 then .onion (the hostname file in your HiddenServiceDir)", name, e.get(name)))
		return ""
	}
	return scheme + v
}
