package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed static i18n
var assets embed.FS

// Texts holds every language's translation table: the embedded files of
// web/i18n, with the files of an optional texts directory laid over them. A
// file there for a new language code adds that language; a file for a known
// one overrides its keys (a service sets its own confidentiality text so).
type Texts struct {
	tables   map[string]map[string]string
	encoded  map[string][]byte
	Default  string
	Language []Language
}

// Language is one offered language.
type Language struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// nameKey, in each translation file, holds the language's own name.
const nameKey = "language.name"

// LoadTexts reads the embedded tables and overrides from dir (may be "").
func LoadTexts(dir, defaultLang string) (*Texts, error) {
	t := &Texts{tables: map[string]map[string]string{}, encoded: map[string][]byte{}}
	embedded, _ := fs.Sub(assets, "i18n")
	if err := t.load(embedded, "embedded"); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := t.load(os.DirFS(dir), dir); err != nil {
			return nil, err
		}
	}
	for code, table := range t.tables {
		t.Language = append(t.Language, Language{Code: code, Name: cmp(table[nameKey], code)})
		b, err := json.Marshal(table)
		if err != nil {
			return nil, err
		}
		t.encoded[code] = b
	}
	sort.Slice(t.Language, func(i, j int) bool { return t.Language[i].Code < t.Language[j].Code })
	if _, ok := t.tables[defaultLang]; !ok {
		return nil, fmt.Errorf("HELPLINE_DEFAULT_LANGUAGE=%q has no translation file (have: %s)", defaultLang, strings.Join(t.Codes(), ", "))
	}
	t.Default = defaultLang
	return t, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (t *Texts) load(fsys fs.FS, where string) error {
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return err
	}
	if where != "embedded" && len(files) == 0 {
		return fmt.Errorf("HELPLINE_TEXTS_DIR %s has no *.json translation files", where)
	}
	for _, name := range files {
		code := strings.TrimSuffix(name, ".json")
		if !validLangCode(code) {
			return fmt.Errorf("%s/%s: the file name must be a language code such as es.json or pt-BR.json", where, name)
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		var table map[string]string
		if err := json.Unmarshal(data, &table); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(where, name), err)
		}
		if t.tables[code] == nil {
			t.tables[code] = map[string]string{}
		}
		for k, v := range table {
			t.tables[code][k] = v
		}
	}
	return nil
}

func validLangCode(code string) bool {
	if len(code) < 2 || len(code) > 12 {
		return false
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// Codes lists the language codes offered.
func (t *Texts) Codes() []string {
	var out []string
	for _, l := range t.Language {
		out = append(out, l.Code)
	}
	return out
}

// Table returns one language's table as JSON.
func (t *Texts) Table(code string) ([]byte, bool) {
	b, ok := t.encoded[code]
	return b, ok
}

// Has reports whether a language is offered.
func (t *Texts) Has(code string) bool { _, ok := t.tables[code]; return ok }
