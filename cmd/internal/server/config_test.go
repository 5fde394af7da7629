package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpline/chat"
)

func writeSecret(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Container platforms mount secrets as files; each secret may come from
// NAME_FILE, its final newline trimmed, instead of NAME.
func TestSecretsComeFromFiles(t *testing.T) {
	url := "postgres://helpline:s3cret@db.internal:5432/helpline"
	encryption, tokens := chat.NewKey("k1"), chat.NewKey("t1")
	env := map[string]string{
		"DATABASE_URL_FILE":             writeSecret(t, url+"\n"),
		"HELPLINE_ENCRYPTION_KEYS_FILE": writeSecret(t, encryption+"\r\n"),
		"HELPLINE_TOKEN_KEYS_FILE":      writeSecret(t, tokens),
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatabaseURL != url || cfg.EncryptionKeys != encryption || cfg.TokenKeys != tokens {
		t.Fatalf("read %q, %q, %q from the files; want %q, %q, %q", cfg.DatabaseURL, cfg.EncryptionKeys, cfg.TokenKeys, url, encryption, tokens)
	}
}

// A secret from a file counts like one from the variable: a database URL
// from a file still needs the keys.
func TestSecretFileDatabaseURLStillNeedsKeys(t *testing.T) {
	env := map[string]string{"DATABASE_URL_FILE": writeSecret(t, "postgres://db.internal/helpline\n")}
	_, err := LoadConfig(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "HELPLINE_ENCRYPTION_KEYS is required") || !strings.Contains(err.Error(), "HELPLINE_TOKEN_KEYS is required") {
		t.Fatalf("LoadConfig = %v, want both keys required", err)
	}
}

// A misconfigured secret is an error naming the variable (and the path),
// and the secret itself is never printed.
func TestSecretFileErrorsNameTheVariableNotTheSecret(t *testing.T) {
	const secretValue = "postgres://helpline:s3cret@db.internal/helpline"
	missing := filepath.Join(t.TempDir(), "not-there")
	for name, tc := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"both set": {
			env:  map[string]string{"DATABASE_URL": secretValue, "DATABASE_URL_FILE": writeSecret(t, secretValue)},
			want: []string{"DATABASE_URL and DATABASE_URL_FILE are both set"},
		},
		"unreadable": {
			env:  map[string]string{"HELPLINE_TOKEN_KEYS_FILE": missing},
			want: []string{"HELPLINE_TOKEN_KEYS_FILE=" + missing, "cannot read the file"},
		},
		"a folder": {
			env:  map[string]string{"HELPLINE_ENCRYPTION_KEYS_FILE": t.TempDir()},
			want: []string{"HELPLINE_ENCRYPTION_KEYS_FILE=", "cannot read the file"},
		},
		"empty": {
			env:  map[string]string{"DATABASE_URL_FILE": writeSecret(t, "\n")},
			want: []string{"DATABASE_URL_FILE=", "the file is empty"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(func(k string) string { return tc.env[k] })
			if err == nil {
				t.Fatal("LoadConfig accepted it")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q prints the secret", err)
			}
		})
	}
}
