package routing

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// Words a help-seeker must never read (DOMAIN.md, "Wording").
var unkindWords = []string{
	"paedophile", "pedophile", "offender", "predator", "monster", "abuser", "criminal", "pervert",
	"pedófilo", "pederasta", "agresor", "depredador", "monstruo", "abusador", "delincuente", "criminal", "pervertido",
}

func TestSelfHelpContent(t *testing.T) {
	langs := SelfHelpLanguages()
	if !slices.Contains(langs, "en") || !slices.Contains(langs, "es") {
		t.Fatalf("languages = %v, want en and es at least", langs)
	}
	ref, _ := SelfHelp("en")
	var refIDs []string
	for _, a := range ref {
		refIDs = append(refIDs, a.ID)
	}
	if len(ref) < 4 || len(ref) > 6 {
		t.Errorf("en has %d articles, want 4 to 6 short ones", len(ref))
	}
	for _, lang := range langs {
		as, ok := SelfHelp(lang)
		if !ok {
			t.Fatalf("SelfHelp(%q) not found", lang)
		}
		var ids []string
		for _, a := range as {
			ids = append(ids, a.ID)
			if strings.TrimSpace(a.ID) == "" || strings.TrimSpace(a.Title) == "" || len(a.Body) == 0 {
				t.Errorf("%s/%q: empty id, title or body", lang, a.ID)
			}
			for i, p := range a.Body {
				if strings.TrimSpace(p) == "" {
					t.Errorf("%s/%s: paragraph %d is empty", lang, a.ID, i)
				}
			}
			text := strings.ToLower(a.Title + " " + strings.Join(a.Body, " "))
			for _, w := range unkindWords {
				if strings.Contains(text, w) {
					t.Errorf("%s/%s uses %q", lang, a.ID, w)
				}
			}
		}
		if !slices.Equal(ids, refIDs) {
			t.Errorf("%s ids %v, want the same as en, in the same order: %v", lang, ids, refIDs)
		}
	}
}

func TestSelfHelpLookup(t *testing.T) {
	if _, ok := SelfHelp("ES-mx"); !ok {
		t.Error(`SelfHelp("ES-mx") should find the Spanish articles`)
	}
	if _, ok := SelfHelp("xx"); ok {
		t.Error(`SelfHelp("xx") found articles`)
	}
	as, _ := SelfHelp("en")
	as[0].Title, as[0].Body[0] = "changed", "changed"
	if again, _ := SelfHelp("en"); again[0].Title == "changed" || again[0].Body[0] == "changed" {
		t.Error("a caller's change leaked into the shared articles")
	}
}

// TestSelfHelpDiscoversLanguages proves a third language needs only a file.
func TestSelfHelpDiscoversLanguages(t *testing.T) {
	fsys := fstest.MapFS{
		"content/selfhelp.en.json": {Data: []byte(`[{"id":"a","title":"A","body":["x"]}]`)},
		"content/selfhelp.fr.json": {Data: []byte(`[{"id":"a","title":"A","body":["x"]}]`)},
		"content/other.json":       {Data: []byte(`not read`)},
	}
	m, err := loadSelfHelp(fsys)
	if err != nil || len(m) != 2 || len(m["fr"]) != 1 {
		t.Fatalf("loadSelfHelp = %v, %v; want en and fr", m, err)
	}
	fsys["content/selfhelp.de.json"] = &fstest.MapFile{Data: []byte(`{`)}
	if _, err := loadSelfHelp(fsys); err == nil || !strings.Contains(err.Error(), "selfhelp.de.json") {
		t.Errorf("malformed file: %v, want an error naming it", err)
	}
}
