package server

import (
	"crypto/sha256"
	"fmt"
	"time"

	"helpline/chat/flood"
)

// openFlood builds the flood waiting step on the same kind of store as the
// conversations (so every instance reads the same switch). Its signing key
// is derived from the token keys, which every instance shares.
func (s *Server) openFlood(cfg Config, tokenKeys string) *flood.Service {
	var store flood.Store = flood.NewMemoryStore()
	if s.pool != nil {
		store = flood.NewPostgresStore(s.pool)
	}
	key := sha256.Sum256([]byte("helpline waiting step key\x00" + tokenKeys))
	return flood.New(flood.Config{Store: store, Audit: s.Staff, Key: key[:], Bits: cfg.FloodBits, Wait: cfg.FloodWait, Log: s.Log})
}

// readFlood reads the waiting step's settings.
func (e *env) readFlood(c *Config) {
	c.FloodBits = e.whole("HELPLINE_FLOOD_BITS", 1)
	if c.FloodBits > 28 {
		e.fail(fmt.Errorf("HELPLINE_FLOOD_BITS=%d: want 1 to 28 (each bit doubles the work; 16 is a second or two on a phone)", c.FloodBits))
	}
	if c.FloodWait = e.duration("HELPLINE_FLOOD_WAIT"); c.FloodWait > 5*time.Minute {
		e.fail(fmt.Errorf("HELPLINE_FLOOD_WAIT=%s: want at most 5m", c.FloodWait))
	}
}
