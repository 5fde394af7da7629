package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// The account and key commands read their configuration as the server does,
// so secrets mounted as files (NAME_FILE) work for them too.
func TestCommandsReadSecretsFromFiles(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	dir := t.TempDir()
	env := map[string]string{}
	for name, value := range map[string]string{
		"DATABASE_URL":             url,
		"HELPLINE_ENCRYPTION_KEYS": chat.NewKey("k1"),
		"HELPLINE_TOKEN_KEYS":      chat.NewKey("t1"),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env[name+"_FILE"] = path
	}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	for _, args := range [][]string{
		{"user", "add", "--role", "counselor", "--username", "ana", "--password-stdin"},
		{"user", "disable", "ana"},
		{"rotate-keys"},
	} {
		var out, errOut bytes.Buffer
		if err := run(ctx, args, getenv, strings.NewReader("a long enough password\n"), &out, &errOut); err != nil {
			t.Fatalf("helpline %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
	}

	env["DATABASE_URL_FILE"] = filepath.Join(dir, "not-there")
	err := run(ctx, []string{"rotate-keys"}, getenv, nil, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE="+env["DATABASE_URL_FILE"]) {
		t.Fatalf("rotate-keys with an unreadable DATABASE_URL_FILE: %v, want an error naming it", err)
	}
}
