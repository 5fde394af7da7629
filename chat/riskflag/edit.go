package riskflag

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits on an admin's edit of a list.
const (
	// MinLetters is the fewest letters a phrase may have: a shorter one
	// ("die", "kid") matches ordinary messages and buries the flags that
	// matter.
	MinLetters = 6
	MaxPhrase  = 120 // characters
	MaxPhrases = 500 // per category, phrases and exceptions each
)

var language = regexp.MustCompile(`^[a-z]{2,3}$`)

// CheckEdit tidies an admin's edit of a list (spaces trimmed and
// collapsed) and refuses what would not be safe to match, each problem
// said so that the admin can fix it: an empty phrase, one too short, one
// written twice in a category (accents and case ignored), a category
// without phrases. Parse checks the rest.
func CheckEdit(f *File) error {
	if !language.MatchString(f.Language) {
		return fmt.Errorf("language: a language code such as es or en")
	}
	if len(f.Categories) == 0 {
		return fmt.Errorf("a list needs at least one category")
	}
	for i := range f.Categories {
		c := &f.Categories[i]
		if !categoryID.MatchString(c.ID) {
			return fmt.Errorf("category id %q: lower case, a-z 0-9 _", c.ID)
		}
		var err error
		if c.Phrases, err = tidy(c.ID, "phrase", c.Phrases); err != nil {
			return err
		}
		if c.Except, err = tidy(c.ID, "exception", c.Except); err != nil {
			return err
		}
		if len(c.Phrases) == 0 {
			return fmt.Errorf("category %s has no phrases: keep at least one", c.ID)
		}
	}
	return nil
}

func tidy(category, what string, in []string) ([]string, error) {
	if len(in) > MaxPhrases {
		return nil, fmt.Errorf("category %s: at most %d %ss", category, MaxPhrases, what)
	}
	out := make([]string, 0, len(in))
	seen := map[string]string{}
	for _, text := range in {
		text = strings.Join(strings.Fields(text), " ")
		if text == "" {
			return nil, fmt.Errorf("category %s: a %s is empty; write it or remove it", category, what)
		}
		if utf8.RuneCountInString(text) > MaxPhrase {
			return nil, fmt.Errorf("category %s: %s %q is longer than %d characters", category, what, text, MaxPhrase)
		}
		p, err := compile(text)
		if err != nil {
			return nil, fmt.Errorf("category %s: %v", category, err)
		}
		letters, key := 0, ""
		for _, w := range p.words {
			letters += utf8.RuneCountInString(w.text)
			key += w.text + map[bool]string{true: "* ", false: " "}[w.prefix]
		}
		if letters < MinLetters {
			return nil, fmt.Errorf("category %s: %s %q is too short to be safe (fewer than %d letters): it would match ordinary messages; use more words", category, what, text, MinLetters)
		}
		if was, ok := seen[key]; ok {
			return nil, fmt.Errorf("category %s: %s %q is the same as %q (accents and capitals do not count); keep one", category, what, text, was)
		}
		seen[key] = text
		out = append(out, text)
	}
	return out, nil
}
