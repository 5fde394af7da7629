package web_test

import (
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

// importFrom finds the module a script imports: `import … from './x.js'`.
var importFrom = regexp.MustCompile(`(?m)^import\s[^;]*?from\s+'([^']+)'`)

// The pages are ES modules, which a browser refuses unless they come with a
// JavaScript type (the server sends nosniff), and whose every import must be
// there: one missing file breaks the whole page without a word. Each script
// is fetched through the real handler, and each relative import is followed.
func TestEveryModuleIsServedAsJavaScriptWithItsImports(t *testing.T) {
	e := newHeadersEnv(t)
	static := os.DirFS("static") // what the server embeds
	seen := 0
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		seen++
		w := e.do(t, "GET", "/static/"+name, "", "", nil)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
			t.Errorf("/static/%s: status %d, Content-Type %q; want 200 text/javascript", name, w.Code, w.Header().Get("Content-Type"))
		}
		for _, m := range importFrom.FindAllStringSubmatch(w.Body.String(), -1) {
			target := path.Join(path.Dir(name), m[1])
			if !strings.HasPrefix(m[1], "./") && !strings.HasPrefix(m[1], "../") {
				t.Errorf("%s imports %q: only relative imports of our own files work without a build step", name, m[1])
			} else if _, err := fs.Stat(static, target); err != nil {
				t.Errorf("%s imports %q, which is not embedded (%v)", name, m[1], err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("found %d scripts under static/, expected the pages' modules", seen)
	}
	for _, page := range []string{"seeker.html", "console.html", "supervisor.html"} {
		html, _ := fs.ReadFile(static, page)
		if !strings.Contains(string(html), `<script type="module" src="/static/`) || strings.Contains(string(html), "<script>") {
			t.Errorf("%s: want its script loaded as an external module, and no inline script", page)
		}
	}
}
