package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/routing/directory"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
	"helpline/web"
)

// referralStores are the outbox and the referral records, on the same
// store as the conversations they belong to.
type referralStores struct {
	outbox    referral.Store
	referrals refer.Store
}

func postgresReferrals(pool *pgxpool.Pool, seal *chat.Sealer) referralStores {
	outbox := referral.NewPostgresStore(pool, seal)
	return referralStores{outbox: outbox, referrals: refer.NewPostgresStore(pool, outbox)}
}

// memoryReferrals keeps them in memory; a conversation's referrals go
// when the chat store forgets it.
func memoryReferrals(mem *chat.MemoryStore) referralStores {
	outbox := referral.NewMemoryStore()
	refs := refer.NewMemoryStore(outbox)
	mem.OnForget(refs.Forget)
	return referralStores{outbox: outbox, referrals: refs}
}

// openReferrals builds referral in a conversation and the deliverer that
// sends consented warm referrals (run by Serve on every instance).
func (s *Server) openReferrals(cfg Config, st referralStores, services directory.Store, texts *web.Texts, log *slog.Logger) {
	s.Outbox = st.outbox
	s.Referrals = refer.New(refer.Config{Chat: s.Chat, Store: st.referrals, Directory: services, Outbox: st.outbox,
		Audit: s.Staff, Text: texts.Text, DefaultLanguage: cfg.DefaultLanguage, Log: log})
	s.Deliverer = referral.NewDeliverer(referral.Config{Store: st.outbox, Alerts: s.Referrals.Alerts(),
		AllowHTTP: cfg.ReferralAllowHTTP, TLS: cfg.ReferralTLS, Logger: log})
	s.Referrals.SetOutbound(s.Deliverer)
}

// readReferral reads the delivery settings: an interval of 0 means this
// instance does not deliver (another one does); http:// partners only in
// development, the in-memory mode.
func (e *env) readReferral(c *Config) {
	v := e.get("HELPLINE_REFERRAL_INTERVAL")
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.fail(fmt.Errorf("HELPLINE_REFERRAL_INTERVAL=%q: want a duration such as 10s, or 0s for an instance that does not deliver", v))
	}
	c.ReferralInterval = d
	c.ReferralAllowHTTP = e.boolean("HELPLINE_REFERRAL_ALLOW_HTTP")
	if c.ReferralAllowHTTP && c.DatabaseURL != "" {
		e.fail(fmt.Errorf("HELPLINE_REFERRAL_ALLOW_HTTP=true is for development in in-memory mode only: with DATABASE_URL partners need https"))
	}
}
