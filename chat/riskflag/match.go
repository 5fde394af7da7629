package riskflag

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// phrase is a compiled phrase: its words, folded, each possibly a prefix.
type phrase struct {
	text  string // as the list writes it
	words []word
}

type word struct {
	text   string
	prefix bool // written with a trailing *
}

// compile folds a list's phrase into words, as messages are.
func compile(text string) (phrase, error) {
	p := phrase{text: text}
	for _, field := range strings.Fields(text) {
		prefix := strings.HasSuffix(field, "*")
		toks := tokenize(strings.TrimSuffix(field, "*"))
		if len(toks) == 0 {
			return phrase{}, fmt.Errorf("phrase %q has an empty word", text)
		}
		for i, t := range toks {
			// "i'm" is two words, "i" and "m", as in a message; a * stems the last.
			p.words = append(p.words, word{text: t.folded, prefix: prefix && i == len(toks)-1})
		}
	}
	if len(p.words) == 0 {
		return phrase{}, fmt.Errorf("empty phrase")
	}
	if p.words[0].prefix && len([]rune(p.words[0].text)) < 4 {
		return phrase{}, fmt.Errorf("phrase %q: a stem needs at least 4 letters", text)
	}
	return p, nil
}

// token is one word of a text: where it is (bytes of the original) and its
// folded form (lower case, accents removed).
type token struct {
	start, end int
	folded     string
}

// tokenize splits s into words: runs of letters, digits and combining
// marks; everything else (spaces, punctuation, apostrophes, hyphens,
// emoji) separates words.
//
// Every seeker message is tokenized as it is stored, and the tokens and
// their folded words were half the objects the server allocated per
// message at 1,000 pairs (a string per word, a slice grown by doubling):
// garbage that set how often the collector ran. So the words are counted
// first and the slice made once, and a word already folded (ASCII lower
// case and digits, most words) is its own folded form, a part of s.
func tokenize(s string) []token {
	n, in := 0, false
	for _, r := range s {
		inWord := isWordRune(r)
		if inWord && !in {
			n++
		}
		in = inWord
	}
	out := make([]token, 0, n)
	start := -1
	for i, r := range s {
		inWord := isWordRune(r)
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			out = append(out, token{start: start, end: i, folded: fold(s[start:i])})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, token{start: start, end: len(s), folded: fold(s[start:])})
	}
	return out
}

// isWordRune is a letter, a digit or a combining mark.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r)
}

// fold lower-cases a word and removes its accents (á→a, ü→u, ñ→n, ç→c), so
// that "Suicidarme", "suicidarmé" and "SUICIDARME" are one word. An ASCII
// word is lower-cased without decomposing it (it has no accents), and one
// already in lower case is returned as it is.
func fold(w string) string {
	lower := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return foldUnicode(w)
		}
		lower = lower && !('A' <= c && c <= 'Z')
	}
	if lower {
		return w
	}
	return strings.ToLower(w)
}

// foldUnicode is fold for a word that is not all ASCII.
func foldUnicode(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Match is one explainable hit: which list, version and category, the
// list's phrase, and the words of the message that matched it, as the
// seeker wrote them.
type Match struct {
	List     string
	Version  string
	Category string
	Imminent bool
	Phrase   string
	Words    string
}

// Matcher matches texts against a set of lists. It makes no network call
// and keeps nothing.
type Matcher struct {
	lists []*List
}

// NewMatcher matches against lists (from Load).
func NewMatcher(lists []*List) *Matcher { return &Matcher{lists: lists} }

// Lists are the lists it matches against.
func (m *Matcher) Lists() []*List { return m.lists }

// Match returns every phrase of every list that occurs in text, on whole
// words, in list, category and phrase order. A phrase inside a longer
// "except" phrase of its category that also occurs there does not count.
// The same phrase is reported once per text.
func (m *Matcher) Match(text string) []Match {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, " ")
	}
	toks := tokenize(text)
	if len(toks) == 0 {
		return nil
	}
	var out []Match
	for _, l := range m.lists {
		for _, c := range l.Categories {
			for _, p := range c.phrases {
				for _, at := range p.find(toks) {
					if c.excepted(toks, at, len(p.words)) {
						continue
					}
					out = append(out, Match{List: l.Name, Version: l.Version, Category: c.ID, Imminent: c.Imminent,
						Phrase: p.text, Words: text[toks[at].start:toks[at+len(p.words)-1].end]})
					break // once per phrase
				}
			}
		}
	}
	return out
}

// find lists the token indexes where p starts.
func (p phrase) find(toks []token) []int {
	var at []int
	for i := 0; i+len(p.words) <= len(toks); i++ {
		if p.matchesAt(toks, i) {
			at = append(at, i)
		}
	}
	return at
}

func (p phrase) matchesAt(toks []token, i int) bool {
	for j, w := range p.words {
		t := toks[i+j].folded
		if w.prefix && !strings.HasPrefix(t, w.text) || !w.prefix && t != w.text {
			return false
		}
	}
	return true
}

// excepted reports whether an except phrase covers tokens [at, at+n).
func (c Category) excepted(toks []token, at, n int) bool {
	for _, e := range c.except {
		for _, s := range e.find(toks) {
			if s <= at && s+len(e.words) >= at+n {
				return true
			}
		}
	}
	return false
}
