package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"helpline/cmd/internal/servertest"
)

// firstLoadBudget is what a help-seeker's browser may download to show the
// first screen (issue: ≤ 60 KB), over a slow or metered connection, or Tor.
const firstLoadBudget = 60 << 10

var (
	pageAssets    = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)
	moduleImports = regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]`)
)

// TestSeekerFirstLoadStaysWithinBudget: the seeker page and everything it
// loads before the first screen (its styles, every module it imports, the
// configuration, the status and its translations), as a browser that takes
// gzip downloads them, headers included, stay within the budget; and every
// script and style it names is cached for ever under the version.
func TestSeekerFirstLoadStaysWithinBudget(t *testing.T) {
	srv := servertest.Start(t, "memory")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // count the bytes as sent
	total := 0
	fetch := func(path string) (string, http.Header) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		total += len(raw)
		for k, vs := range res.Header {
			for _, v := range vs {
				total += len(k) + len(v) + 4
			}
		}
		plain := raw
		if res.Header.Get("Content-Encoding") == "gzip" {
			plain = gunzip(t, raw)
		} else if len(raw) > 1024 {
			t.Errorf("%s (%d bytes) was sent uncompressed to a browser that takes gzip", path, len(raw))
		}
		return string(plain), res.Header
	}
	page, _ := fetch("/")
	seen := map[string]bool{}
	var queue []string
	for _, m := range pageAssets.FindAllStringSubmatch(page, -1) {
		queue = append(queue, m[1])
	}
	if len(queue) == 0 {
		t.Fatal("the seeker page names no script or style")
	}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		body, header := fetch(path)
		if cc := header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s is cached as %q, want immutable under the version", path, cc)
		}
		if strings.HasSuffix(path, ".js") {
			dir := path[:strings.LastIndex(path, "/")+1]
			for _, m := range moduleImports.FindAllStringSubmatch(body, -1) {
				queue = append(queue, resolve(dir, m[1]))
			}
		}
	}
	for _, path := range []string{"/api/config", "/api/status", "/i18n/es.json"} {
		fetch(path)
	}
	t.Logf("first load: %d files, %d bytes transferred (budget %d)", len(seen)+4, total, firstLoadBudget)
	if len(seen) < 5 {
		t.Fatalf("only %d scripts and styles found: the import scan is broken (%v)", len(seen), seen)
	}
	if total > firstLoadBudget {
		t.Fatalf("the seeker's first load transfers %d bytes, over the budget of %d", total, firstLoadBudget)
	}
}

// resolve joins a relative module path to the directory of its importer.
func resolve(dir, rel string) string {
	parts := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	for _, p := range strings.Split(rel, "/") {
		switch p {
		case ".":
		case "..":
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

func gunzip(t *testing.T, raw []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
