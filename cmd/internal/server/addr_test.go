package server

import "testing"

// The in-memory demo, with accounts whose names everyone knows, listens on
// loopback unless HELPLINE_ADDR says otherwise; with a database the default
// stays every interface.
func TestDefaultAddressIsLoopbackOnlyInMemoryMode(t *testing.T) {
	withDB := map[string]string{"DATABASE_URL": "postgres://db/helpline", "HELPLINE_ENCRYPTION_KEYS": "k1:x", "HELPLINE_TOKEN_KEYS": "t1:x"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"memory, no HELPLINE_ADDR", map[string]string{}, "127.0.0.1:8080"},
		{"memory, HELPLINE_ADDR set", map[string]string{"HELPLINE_ADDR": ":9000"}, ":9000"},
		{"database, no HELPLINE_ADDR", withDB, ":8080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != tc.want {
				t.Errorf("Addr = %q, want %q", cfg.Addr, tc.want)
			}
		})
	}
}
