package riskflag

import (
	"strings"
	"testing"
	"unicode"
)

// The ASCII shortcut of fold gives what decomposing and lower-casing give.
func TestFoldShortcutAgreesWithTheUnicodePath(t *testing.T) {
	for _, w := range []string{"kill", "KILL", "Kill", "myself2", "0800", "x", "Z", "suicidarme", "SUICIDARMÉ", "Ñandú", "straße", "İstanbul"} {
		if got, want := fold(w), foldUnicode(w); got != want {
			t.Errorf("fold(%q) = %q, the Unicode path %q", w, got, want)
		}
	}
	for r := rune(0); r < 0x80; r++ {
		want := unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r)
		if isWordRune(r) != want {
			t.Errorf("isWordRune(%q) = %v, want %v", r, !want, want)
		}
	}
}

// A lower-case ASCII message costs one allocation to tokenize (the tokens),
// not one per word and the slice's growth.
func TestTokenizingPlainTextAllocatesOnce(t *testing.T) {
	text := strings.Repeat("i feel alone tonight and nobody calls, ", 5)
	var toks []token
	if n := testing.AllocsPerRun(100, func() { toks = tokenize(text) }); n != 1 {
		t.Errorf("tokenize allocated %.0f times, want 1", n)
	}
	if len(toks) != 35 || toks[0].folded != "i" || toks[34].folded != "calls" {
		t.Errorf("tokens: %d, first %+v", len(toks), toks[0])
	}
	mixed := tokenize("Ich bin SO müde, y-yo")
	var words []string
	for _, tk := range mixed {
		words = append(words, tk.folded)
	}
	if got := strings.Join(words, " "); got != "ich bin so mude y yo" {
		t.Errorf("folded words %q", got)
	}
}
