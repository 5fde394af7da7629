package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func mustAssets(t *testing.T) *staticAssets {
	t.Helper()
	static, _ := fs.Sub(assets, "static")
	a, err := loadAssets(static)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func get(h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestVersionedAssetsAreImmutableAndCompressed: a script under the version
// prefix is cached for ever and sent gzipped to a client that takes it
// (plain to one that does not, the same bytes once unpacked); under plain
// /static/ it is revalidated, and a revalidation with its ETag gets 304;
// another version's URL is not found.
func TestVersionedAssetsAreImmutableAndCompressed(t *testing.T) {
	a := mustAssets(t)
	plain := get(a, a.prefix()+"seeker.js", nil)
	if plain.Code != 200 || plain.Header().Get("Cache-Control") != immutable || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("versioned, no gzip: %d %q %q", plain.Code, plain.Header().Get("Cache-Control"), plain.Header().Get("Content-Encoding"))
	}
	if ct := plain.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Fatalf("a module served as %q", ct)
	}
	zipped := get(a, a.prefix()+"seeker.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Body.Len() >= plain.Body.Len() {
		t.Fatalf("versioned, gzip accepted: encoding %q, %d bytes against %d", zipped.Header().Get("Content-Encoding"), zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unpacked, _ := io.ReadAll(zr)
	if !bytes.Equal(unpacked, plain.Body.Bytes()) {
		t.Fatal("the gzipped script is not the script")
	}
	if w := get(a, a.prefix()+"seeker.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); w.Header().Get("Content-Encoding") != "" {
		t.Fatal("gzip sent to a client that refused it")
	}
	old := get(a, "/static/seeker.js", nil)
	if old.Code != 200 || old.Header().Get("Cache-Control") != "no-cache" || old.Header().Get("ETag") == "" {
		t.Fatalf("plain /static/: %d %q etag %q", old.Code, old.Header().Get("Cache-Control"), old.Header().Get("ETag"))
	}
	if w := get(a, "/static/seeker.js", map[string]string{"If-None-Match": old.Header().Get("ETag")}); w.Code != http.StatusNotModified {
		t.Fatalf("revalidation with the ETag: %d, want 304", w.Code)
	}
	for _, path := range []string{"/static/v-000000000000/seeker.js", a.prefix() + "nothing.js", "/static/seeker.html"} {
		if w := get(a, path, nil); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, w.Code)
		}
	}
}

// TestPagesNameTheirAssetsByVersion: every page's scripts and styles point
// under the version prefix, never at plain /static/.
func TestPagesNameTheirAssetsByVersion(t *testing.T) {
	a := mustAssets(t)
	for name, f := range a.files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		page := string(f.body)
		if strings.Contains(strings.ReplaceAll(page, a.prefix(), ""), `"/static/`) {
			t.Errorf("%s still links plain /static/", name)
		}
		if !strings.Contains(page, a.prefix()) {
			t.Errorf("%s links nothing under %s", name, a.prefix())
		}
	}
}
