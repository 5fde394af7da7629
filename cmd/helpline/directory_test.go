package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/migrations/migrationstest"
	"helpline/routing/directory"
)

func unzip(t *testing.T, file, dir string) {
	t.Helper()
	z, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	os.Mkdir(dir, 0o700)
	for _, f := range z.File {
		data, err := fs.ReadFile(z, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f.Name), data, 0o600)
	}
}

// helpline directory import|export moves the directory through HSDS files
// on the PostgreSQL store, audited as the system, and a bad file changes
// nothing and says where each problem is.
func TestDirectoryImportExport(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	env := map[string]string{"DATABASE_URL": url, "HELPLINE_ENCRYPTION_KEYS": chat.NewKey("k1"), "HELPLINE_TOKEN_KEYS": chat.NewKey("t1")}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	dir := t.TempDir()
	helpline := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"directory"}, args...), getenv, strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	count := func() (n int) {
		pool.QueryRow(ctx, `SELECT count(*) FROM directory_services WHERE deleted_at IS NULL`).Scan(&n)
		return n
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("[\n{\"id\": \"x\", \"status\": \"open\"}\n]"), 0o600)
	if _, err := helpline("import", bad); err == nil || !strings.Contains(err.Error(), "bad.json, line 2 (record 1), status") {
		t.Fatalf("import of a bad file: %v, want problems naming bad.json, line 2 and the field", err)
	}
	if count() != 0 {
		t.Fatal("a bad file imported something")
	}

	sample := filepath.Join(dir, "sample.json")
	os.WriteFile(sample, directory.SampleJSON(), 0o600)
	want, _ := directory.Sample()
	if out, err := helpline("import", sample); err != nil || count() != len(want.Services) {
		t.Fatalf("import of the sample: %v\n%s\n%d services stored, want %d", err, out, count(), len(want.Services))
	}
	zipFile, jsonFile := filepath.Join(dir, "out.zip"), filepath.Join(dir, "out.data")
	if out, err := helpline("export", zipFile); err != nil {
		t.Fatalf("export to zip: %v\n%s", err, out)
	}
	if out, err := helpline("export", jsonFile, "--format", "json"); err != nil {
		t.Fatalf("export --format json: %v\n%s", err, out)
	}
	if out, err := helpline("import", "--format", "csv", zipFile); err != nil {
		t.Fatalf("import of the exported zip: %v\n%s", err, out)
	}
	folder := filepath.Join(dir, "tables")
	unzip(t, zipFile, folder)
	if out, err := helpline("import", folder); err != nil {
		t.Fatalf("import of a folder of CSV tables: %v\n%s", err, out)
	}
	f, _ := os.Open(jsonFile)
	defer f.Close()
	if got, err := directory.ReadJSON("out.data", f); err != nil || len(got.Services) != len(want.Services) {
		t.Fatalf("the JSON export holds %d services (%v), want %d", len(got.Services), err, len(want.Services))
	}

	var imports, systemEntries int
	pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = $1), count(*) FILTER (WHERE actor_id IS NULL OR actor_id = 0)
		FROM audit_log WHERE action LIKE 'directory_%'`, directory.AuditImport).Scan(&imports, &systemEntries)
	if imports != 3 || systemEntries != 3*(len(want.Services)+1) {
		t.Fatalf("audit log: %d imports, %d entries by the system; want 3 and %d", imports, systemEntries, 3*(len(want.Services)+1))
	}

	if _, err := helpline("export", filepath.Join(dir, "out.txt")); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Fatalf("export to a name without a known extension: %v, want advice to give --format", err)
	}
}
