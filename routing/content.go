package routing

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// The self-help reading, one file per language: content/selfhelp.<lang>.json.
// A language is added by adding a file; nothing here names one.
//
//go:embed content/*.json
var contentFS embed.FS

// Article is one short piece of self-help reading shown while a seeker waits.
type Article struct {
	ID    string   `json:"id"` // the same in every language
	Title string   `json:"title"`
	Body  []string `json:"body"` // paragraphs
}

// selfHelp maps a language to its articles. The files are part of the binary,
// so a malformed one is a programming error: it panics at start-up, and the
// tests catch it long before.
var selfHelp = mustLoadSelfHelp(contentFS)

func mustLoadSelfHelp(fsys fs.FS) map[string][]Article {
	m, err := loadSelfHelp(fsys)
	if err != nil {
		panic(err)
	}
	return m
}

func loadSelfHelp(fsys fs.FS) (map[string][]Article, error) {
	names, err := fs.Glob(fsys, "content/selfhelp.*.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Article, len(names))
	for _, name := range names {
		lang := strings.TrimSuffix(strings.TrimPrefix(name, "content/selfhelp."), ".json")
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var as []Article
		if err := json.Unmarshal(b, &as); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[strings.ToLower(lang)] = as
	}
	return out, nil
}

// SelfHelp returns the self-help articles in lang ("es-MX" finds "es"), in
// reading order; false if there are none in that language. The result is the
// caller's to keep.
func SelfHelp(lang string) ([]Article, bool) {
	as, ok := selfHelp[strings.ToLower(strings.TrimSpace(lang))]
	if !ok {
		as, ok = selfHelp[baseLang(lang)]
	}
	if !ok {
		return nil, false
	}
	out := make([]Article, len(as))
	for i, a := range as {
		a.Body = slices.Clone(a.Body)
		out[i] = a
	}
	return out, true
}

// SelfHelpLanguages lists the languages that have self-help reading, sorted.
func SelfHelpLanguages() []string {
	out := make([]string, 0, len(selfHelp))
	for lang := range selfHelp {
		out = append(out, lang)
	}
	slices.Sort(out)
	return out
}
