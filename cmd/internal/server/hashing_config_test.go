package server

import (
	"strings"
	"testing"
	"time"

	"helpline/counselors"
)

func loadWith(env map[string]string) (Config, error) {
	return LoadConfig(func(k string) string { return env[k] })
}

// TestHashingDefaults: without HELPLINE_ARGON2_*, new passwords are hashed at
// OWASP's recommended cost and the bound follows GOMAXPROCS.
func TestHashingDefaults(t *testing.T) {
	c, err := loadWith(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Hashing.Params
	if p == nil || p.Memory != 19456 || p.Iterations != 2 || p.Parallelism != 1 || p.SaltLength != 16 || p.KeyLength != 32 {
		t.Fatalf("default cost %+v, want m=19456 t=2 p=1", p)
	}
	if c.Hashing.InFlight != 0 || c.Hashing.Wait != counselors.DefaultHashWait {
		t.Fatalf("default bound %d, wait %v; want 0 (GOMAXPROCS) and %v", c.Hashing.InFlight, c.Hashing.Wait, counselors.DefaultHashWait)
	}
	if h := counselors.NewHasher(c.Hashing).Config(); h.InFlight < 1 || h.Wait != 2*time.Second {
		t.Fatalf("the Hasher made from the defaults has %d in flight, wait %v", h.InFlight, h.Wait)
	}
}

// TestHashingSettings: the four settings are read, and values weaker than
// OWASP's minimum or out of range are refused, each naming its variable.
func TestHashingSettings(t *testing.T) {
	c, err := loadWith(map[string]string{"HELPLINE_ARGON2_MEMORY_KIB": "65536", "HELPLINE_ARGON2_ITERATIONS": "1",
		"HELPLINE_ARGON2_PARALLELISM": "2", "HELPLINE_ARGON2_IN_FLIGHT": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Hashing.Params; p.Memory != 65536 || p.Iterations != 1 || p.Parallelism != 2 || c.Hashing.InFlight != 3 {
		t.Fatalf("got %+v, %d in flight", p, c.Hashing.InFlight)
	}
	for _, bad := range []struct{ name, value, says string }{
		{"HELPLINE_ARGON2_MEMORY_KIB", "1024", "HELPLINE_ARGON2_MEMORY_KIB"},
		{"HELPLINE_ARGON2_MEMORY_KIB", "19 MiB", "HELPLINE_ARGON2_MEMORY_KIB"},
		{"HELPLINE_ARGON2_MEMORY_KIB", "7168", "OWASP"}, // with the default 2 passes: too weak
		{"HELPLINE_ARGON2_ITERATIONS", "0", "HELPLINE_ARGON2_ITERATIONS"},
		{"HELPLINE_ARGON2_PARALLELISM", "256", "HELPLINE_ARGON2_PARALLELISM"},
		{"HELPLINE_ARGON2_IN_FLIGHT", "-1", "HELPLINE_ARGON2_IN_FLIGHT"},
	} {
		_, err := loadWith(map[string]string{bad.name: bad.value})
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("%s=%s: %v, want an error naming %s", bad.name, bad.value, err, bad.says)
		}
	}
	if _, err := loadWith(map[string]string{"HELPLINE_ARGON2_MEMORY_KIB": "7168", "HELPLINE_ARGON2_ITERATIONS": "5"}); err != nil {
		t.Errorf("OWASP's m=7168 t=5 refused: %v", err)
	}
}
