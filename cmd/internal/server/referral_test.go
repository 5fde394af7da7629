package server

import (
	"strings"
	"testing"
	"time"

	"helpline/chat"
)

// Partners need https outside development: http:// partners are allowed
// only in memory mode; an interval of 0 turns this instance's deliveries
// off, a negative one is refused.
func TestReferralDeliverySettings(t *testing.T) {
	pg := map[string]string{"DATABASE_URL": "postgres://db/helpline", "HELPLINE_ENCRYPTION_KEYS": chat.NewKey("k1"),
		"HELPLINE_TOKEN_KEYS": chat.NewKey("t1")}
	load := func(extra map[string]string, base map[string]string) (Config, error) {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return LoadConfig(func(k string) string { return env[k] })
	}
	cfg, err := load(nil, pg)
	if err != nil || cfg.ReferralInterval != 10*time.Second || cfg.ReferralAllowHTTP {
		t.Fatalf("defaults: %v %v %v", cfg.ReferralInterval, cfg.ReferralAllowHTTP, err)
	}
	if _, err := load(map[string]string{"HELPLINE_REFERRAL_ALLOW_HTTP": "true"}, pg); err == nil || !strings.Contains(err.Error(), "HELPLINE_REFERRAL_ALLOW_HTTP") {
		t.Fatalf("http partners with DATABASE_URL: %v", err)
	}
	if cfg, err := load(map[string]string{"HELPLINE_REFERRAL_ALLOW_HTTP": "true", "HELPLINE_REFERRAL_INTERVAL": "0s"}, nil); err != nil || !cfg.ReferralAllowHTTP || cfg.ReferralInterval != 0 {
		t.Fatalf("development: %+v %v", cfg, err)
	}
	if _, err := load(map[string]string{"HELPLINE_REFERRAL_INTERVAL": "-1s"}, pg); err == nil || !strings.Contains(err.Error(), "HELPLINE_REFERRAL_INTERVAL") {
		t.Fatalf("negative interval: %v", err)
	}
}
