package riskflag

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
)

//go:embed phrases/*.json
var embedded embed.FS

// The categories the shipped lists use. A list may name others (the
// console shows an unknown category by its id).
const (
	CategoryChildAtRiskNow   = "child_at_risk_now"
	CategorySelfHarm         = "self_harm"
	CategoryAcuteDistress    = "acute_distress"
	CategoryAbusiveOrTesting = "abusive_or_testing"
)

// File is one phrase list as written in phrases/<name>.json.
type File struct {
	// Language is the language the list is written in (informative: every
	// list is matched against every seeker message).
	Language string `json:"language"`
	// Version changes whenever the list does; every flag records it.
	Version    string         `json:"version"`
	Categories []FileCategory `json:"categories"`
}

// FileCategory is one category of a list.
type FileCategory struct {
	ID string `json:"id"`
	// Imminent categories open an escalation with urgency "now" and move
	// a waiting seeker to the front of the queue.
	Imminent bool `json:"imminent"`
	// Phrases are matched on whole words, accents and case ignored; a word
	// ending in * matches every word that starts so ("suicid*").
	Phrases []string `json:"phrases"`
	// Except are longer phrases that cancel a match they contain: "kill
	// myself laughing" keeps "kill myself" from matching there.
	Except []string `json:"except,omitempty"`
}

// List is one loaded, compiled phrase list.
type List struct {
	Name       string // the file's name without .json: "es", "en"
	Language   string
	Version    string
	Categories []Category
	source     File
}

// Source is the list as written: what an admin sees and edits.
func (l *List) Source() File { return copyFile(l.source) }

// Category is one compiled category of a list.
type Category struct {
	ID       string
	Imminent bool
	phrases  []phrase
	except   []phrase
}

var (
	listName   = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	categoryID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// Load reads the embedded lists, then the *.json files of dir (when not
// ""): a file there replaces the embedded list of the same name whole (so
// that a service can remove phrases too), or adds a list. Every problem is
// reported at once.
func Load(dir string) ([]*List, error) {
	lists := map[string]*List{}
	var problems []string
	read := func(fsys fs.FS, where string) {
		names, err := fs.Glob(fsys, "*.json")
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			return
		}
		for _, file := range names {
			name := strings.TrimSuffix(file, ".json")
			b, err := fs.ReadFile(fsys, file)
			if err == nil {
				var l *List
				if l, err = Parse(name, b); err == nil {
					lists[name] = l
				}
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", path.Join(where, file), err))
			}
		}
	}
	sub, _ := fs.Sub(embedded, "phrases")
	read(sub, "built-in phrases")
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			problems = append(problems, fmt.Sprintf("HELPLINE_RISK_PHRASES_DIR=%q is not a readable folder", dir))
		} else {
			read(os.DirFS(dir), dir)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("risk phrase lists: %s", strings.Join(problems, "; "))
	}
	out := make([]*List, 0, len(lists))
	for _, l := range lists {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Parse compiles one list file named name.
func Parse(name string, b []byte) (*List, error) {
	if !listName.MatchString(name) {
		return nil, fmt.Errorf("list name %q: use 1-32 of a-z, 0-9, - and _", name)
	}
	var f File
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a phrase list: %v", err)
	}
	if f.Version == "" || len(f.Version) > 40 {
		return nil, fmt.Errorf("version must be set (at most 40 characters), and changed whenever the list is")
	}
	l := &List{Name: name, Language: f.Language, Version: f.Version, source: copyFile(f)}
	seen := map[string]bool{}
	for _, fc := range f.Categories {
		if !categoryID.MatchString(fc.ID) || seen[fc.ID] {
			return nil, fmt.Errorf("category id %q: must be unique, lower case, a-z 0-9 _", fc.ID)
		}
		seen[fc.ID] = true
		c := Category{ID: fc.ID, Imminent: fc.Imminent}
		for _, group := range []struct {
			in  []string
			out *[]phrase
		}{{fc.Phrases, &c.phrases}, {fc.Except, &c.except}} {
			for _, text := range group.in {
				p, err := compile(text)
				if err != nil {
					return nil, fmt.Errorf("category %s: %v", fc.ID, err)
				}
				*group.out = append(*group.out, p)
			}
		}
		if len(c.phrases) == 0 {
			return nil, fmt.Errorf("category %s has no phrases", fc.ID)
		}
		l.Categories = append(l.Categories, c)
	}
	if len(l.Categories) == 0 {
		return nil, fmt.Errorf("no categories")
	}
	return l, nil
}
