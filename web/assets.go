package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// staticAssets is every embedded page, script and style, read once at
// start: compressed once (gzip, for clients that take it) and named by a
// version, a hash of them all. Pages refer to scripts and styles under
// /static/v-<version>/, which may be cached for ever (immutable), since any
// change to any file makes a new version and so new URLs; the modules'
// relative imports resolve under the same prefix. Plain /static/ URLs (old
// pages, bookmarks) still work, revalidated each time.
type staticAssets struct {
	version string
	files   map[string]*asset // by path under static/

	mu           sync.Mutex
	translations map[string]*asset // compressed once each (Texts are fixed at start)
}

type asset struct {
	body, gz []byte
	ctype    string
	etag     string
}

// immutable is the caching of a versioned asset.
const immutable = "public, max-age=31536000, immutable"

func loadAssets(static fs.FS) (*staticAssets, error) {
	a := &staticAssets{files: map[string]*asset{}}
	var names []string
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		body, err := fs.ReadFile(static, name)
		if err != nil {
			return nil, err
		}
		all.Write([]byte(name + "\x00"))
		all.Write(body)
		a.files[name] = newAsset(name, body)
	}
	a.version = hex.EncodeToString(all.Sum(nil))[:12]
	// Pages name their scripts and styles by version.
	for name, f := range a.files {
		if strings.HasSuffix(name, ".html") {
			a.files[name] = newAsset(name, bytes.ReplaceAll(f.body, []byte(`"/static/`), []byte(`"`+a.prefix())))
		}
	}
	return a, nil
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	f := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: mime.TypeByExtension(path.Ext(name))}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	if compressible(f.ctype) {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if b.Len() < len(body) {
			f.gz = b.Bytes()
		}
	}
	return f
}

func compressible(ctype string) bool {
	for _, t := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, t) {
			return true
		}
	}
	return false
}

// prefix is where versioned assets live: /static/v-<version>/.
func (a *staticAssets) prefix() string { return "/static/v-" + a.version + "/" }

// ServeHTTP serves /static/v-<version>/<name> for ever and /static/<name>
// revalidated; an old version's URL is not found (its files are gone).
func (a *staticAssets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	cache := "no-cache"
	if rest, ok := strings.CutPrefix(name, "v-"); ok {
		version, file, _ := strings.Cut(rest, "/")
		if version != a.version {
			http.NotFound(w, r)
			return
		}
		name, cache = file, immutable
	}
	f, ok := a.files[name]
	if !ok || strings.HasSuffix(name, ".html") { // pages have routes of their own
		http.NotFound(w, r)
		return
	}
	f.serve(w, r, cache)
}

// serve writes f, gzipped when the client accepts it, answering a
// revalidation with 304.
func (f *asset) serve(w http.ResponseWriter, r *http.Request, cache string) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", f.etag)
	h.Add("Vary", "Accept-Encoding")
	body := f.body
	if f.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	// ServeContent answers If-None-Match with 304 and HEAD without a body;
	// it must not sniff or range over the compressed bytes as if plain, so
	// ranges are not offered.
	r.Header.Del("Range")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// translation is a language's table as an asset, compressed on first use.
func (a *staticAssets) translation(code string, table []byte) *asset {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.translations == nil {
		a.translations = map[string]*asset{}
	}
	f, ok := a.translations[code]
	if !ok || !bytes.Equal(f.body, table) {
		f = newAsset(code+".json", table)
		f.ctype = "application/json; charset=utf-8"
		a.translations[code] = f
	}
	return f
}
