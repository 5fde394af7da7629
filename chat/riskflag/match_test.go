package riskflag

import (
	"slices"
	"strings"
	"testing"
)

func shipped(t *testing.T) *Matcher {
	t.Helper()
	lists, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if names := []string{lists[0].Name, lists[1].Name}; len(lists) != 2 || !slices.Equal(names, []string{"en", "es"}) {
		t.Fatalf("shipped lists: %v", names)
	}
	return NewMatcher(lists)
}

// categories is "category=words" for each match, for compact assertions.
func categories(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Category+"="+m.Words)
	}
	return out
}

type matchCase struct {
	text string
	want []string // "category=words as written"; nil: nothing matches
}

func runCases(t *testing.T, m *Matcher, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		got := categories(m.Match(c.text))
		if !slices.Equal(got, c.want) {
			t.Errorf("Match(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestSpanishPhrasesMatchWithoutAccentsOrCase(t *testing.T) {
	runCases(t, shipped(t), []matchCase{
		// Accents and case: the list writes "está abusando de" and "quitarme la vida".
		{"Creo que mi tío ESTA ABUSANDO DE mi prima", []string{"child_at_risk_now=ESTA ABUSANDO DE"}},
		{"pienso en quitármela... quitarme la vida", []string{"self_harm=quitarme la vida"}},
		{"Quítarme La Vída es lo único que pienso", []string{"self_harm=Quítarme La Vída"}},
		// The list writes "no puedo más" and a message writes "mas", or the reverse.
		{"no puedo mas", []string{"acute_distress=no puedo mas"}},
		{"Estoy a solas con una niña ahora mismo", []string{"child_at_risk_now=Estoy a solas con una niña"}},
		{"estoy a solas con una nina", []string{"child_at_risk_now=estoy a solas con una nina"}},
		// Punctuation and line breaks between the words do not matter.
		{"me voy a... matar.\nYa está", []string{"self_harm=me voy a... matar"}},
		{"vete a la mierda", []string{"abusive_or_testing=vete a la mierda"}},
	})
}

func TestSpanishFalsePositiveGuards(t *testing.T) {
	runCases(t, shipped(t), []matchCase{
		// Inside other words: "sobredosis" is only a phrase inside longer ones.
		{"mi amigo habló de la sobredosis en la tele", nil},
		// Words that contain a phrase's words do not match it.
		{"me odiosamente aburro", nil},
		{"no puedo maso menos", nil},
		// Except phrases: colloquial uses.
		{"me mato a trabajar todos los días", nil},
		{"mañana voy a cortarme el pelo", nil},
		// A threat to someone else is not self-harm.
		{"te voy a matar", []string{"abusive_or_testing=te voy a matar"}},
		// The same phrase outside its except still matches.
		{"me mato a trabajar y esta noche me mato", []string{"self_harm=me mato"}},
		// Talking about the service's subject is not a flag.
		{"tengo pensamientos sobre niños que me preocupan y quiero ayuda", nil},
	})
}

func TestEnglishPhrasesMatchWithoutAccentsOrCase(t *testing.T) {
	runCases(t, shipped(t), []matchCase{
		{"I think I'm going to KILL MYSELF tonight", []string{"self_harm=KILL MYSELF"}},
		{"i feel suicidal", []string{"self_harm=i feel suicidal"}},
		// The apostrophe is a word break in the list and the message alike.
		{"I’m alone with a kid and I can't stop myself", []string{"child_at_risk_now=alone with a kid", "child_at_risk_now=can't stop myself"}},
		{"I'M SUICIDAL", []string{"self_harm=I'M SUICIDAL"}},
		// Accents a keyboard adds do not hide a phrase.
		{"I want to díe", []string{"self_harm=I want to díe"}},
		{"i have panic attacks", []string{"acute_distress=panic attacks"}},
		{"just testing", []string{"abusive_or_testing=just testing"}},
	})
}

func TestEnglishFalsePositiveGuards(t *testing.T) {
	runCases(t, shipped(t), []matchCase{
		// Word boundaries: "skill myself" is not "kill myself", "endit" not "end it".
		{"I want to skill myself up", nil},
		{"let's endit alls", nil},
		{"i was killing myself laughing", nil},
		{"cut myself some slack", nil},
		// "meet a minor" is a phrase; "meet a minority" is not it.
		{"i want to meet a minority of people", nil},
		{"I worry about my thoughts and want to talk", nil},
	})
}

func TestAMatchSaysWhichListVersionAndPhrase(t *testing.T) {
	ms := shipped(t).Match("Ya no quiero vivir")
	if len(ms) != 1 {
		t.Fatalf("matches: %+v", ms)
	}
	m := ms[0]
	if m.List != "es" || m.Version == "" || m.Category != CategorySelfHarm || !m.Imminent || m.Phrase != "ya no quiero vivir" || m.Words != "Ya no quiero vivir" {
		t.Fatalf("match: %+v", m)
	}
}

func TestEveryShippedCategoryIsMarkedAndEveryPhraseCanMatch(t *testing.T) {
	m := shipped(t)
	imminent := map[string]bool{CategoryChildAtRiskNow: true, CategorySelfHarm: true, CategoryAcuteDistress: false, CategoryAbusiveOrTesting: false}
	for _, l := range m.Lists() {
		if len(l.Categories) != len(imminent) {
			t.Errorf("list %s has %d categories, want %d", l.Name, len(l.Categories), len(imminent))
		}
		for _, c := range l.Categories {
			want, known := imminent[c.ID]
			if !known || want != c.Imminent {
				t.Errorf("list %s: category %s imminent=%v (known %v)", l.Name, c.ID, c.Imminent, known)
			}
			for _, p := range c.phrases {
				if strings.Contains(p.text, "*") {
					continue
				}
				// Each phrase, in a sentence, matches itself (no phrase is
				// swallowed by one of its own except phrases).
				found := false
				for _, hit := range m.Match("hola. " + p.text + " .") {
					found = found || hit.Category == c.ID && hit.Phrase == p.text
				}
				if !found {
					t.Errorf("list %s: phrase %q of %s does not match itself", l.Name, p.text, c.ID)
				}
			}
		}
	}
}

func TestStemsAndReplacementLists(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "es.json", `{"language":"es","version":"local-3","categories":[
		{"id":"self_harm","imminent":true,"phrases":["suicid*"],"except":["prevención del suicidio"]}]}`)
	lists, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(lists)
	runCases(t, m, []matchCase{
		{"pienso en el SUICIDIO", []string{"self_harm=SUICIDIO"}},
		{"suicidarme", []string{"self_harm=suicidarme"}},
		{"un folleto de prevención del suicidio", nil},
		{"antisuicida", nil},
		// The replaced Spanish list no longer has its other phrases; English is still built in.
		{"no puedo más", nil},
		{"i want to die", []string{"self_harm=i want to die"}},
	})
	if got := m.Match("suicidio")[0]; got.List != "es" || got.Version != "local-3" {
		t.Fatalf("a replaced list's matches name it: %+v", got)
	}
}

func TestLoadReportsEveryBadList(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "xx.json", `{"language":"xx","categories":[{"id":"a","phrases":["x"]}]}`)
	write(t, dir, "yy.json", `{"language":"yy","version":"1","categories":[{"id":"a","phrases":[]}]}`)
	write(t, dir, "zz.json", `{"version":"1","categories":[{"id":"a","phrases":["s*"]}]}`)
	_, err := Load(dir)
	if err == nil {
		t.Fatal("bad lists were loaded")
	}
	for _, want := range []string{"xx.json: version", "yy.json: category a has no phrases", "zz.json: category a: phrase \"s*\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := Load(dir + "/missing"); err == nil || !strings.Contains(err.Error(), "HELPLINE_RISK_PHRASES_DIR") {
		t.Errorf("a missing folder: %v", err)
	}
}
