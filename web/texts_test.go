package web

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
)

func table(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := fs.ReadFile(assets, "i18n/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEveryTextInBothLanguages: a key in one language is in the other.
func TestEveryTextInBothLanguages(t *testing.T) {
	es, en := table(t, "es"), table(t, "en")
	for k := range es {
		if _, ok := en[k]; !ok {
			t.Errorf("%s is in Spanish only", k)
		}
	}
	for k := range en {
		if _, ok := es[k]; !ok {
			t.Errorf("%s is in English only", k)
		}
	}
}

// TestSeekerTextsNameTheCounsellorOneWay: what a help-seeker reads in
// Spanish calls the counsellor "profesional de apoyo", never by one of the
// several names it had, and does not promise what the service cannot keep.
func TestSeekerTextsNameTheCounsellorOneWay(t *testing.T) {
	es, en := table(t, "es"), table(t, "en")
	for k, v := range es {
		if !seekerFacing(k) {
			continue
		}
		low := strings.ToLower(v)
		for _, old := range []string{"persona que te atiende", "persona que te atendía", "alguien del equipo", "persona del equipo", "equipo de apoyo", "consejer", "orientador"} {
			if strings.Contains(low, old) {
				t.Errorf("es %s says %q: call the counsellor \"profesional de apoyo\"", k, old)
			}
		}
	}
	if !strings.Contains(es["chat.closing_counselor"], "Tu profesional de apoyo ha terminado la conversación") {
		t.Errorf("es chat.closing_counselor = %q", es["chat.closing_counselor"])
	}
	// Admins can watch too: "only your counsellor and the supervisors" was untrue.
	for lang, m := range map[string]map[string]string{"es": es, "en": en} {
		if r := m["intro.readers"]; strings.Contains(r, "supervisors who support them") || strings.Contains(r, "quienes supervisan su trabajo") {
			t.Errorf("%s intro.readers still leaves out the admins: %q", lang, r)
		}
	}
	// Quick exit cannot remove the visit from the browser's history.
	if d := en["intro.device"]; strings.Contains(d, "removes it from this browser") || !strings.Contains(d, "history") {
		t.Errorf("en intro.device overclaims or does not say how to clear the history: %q", d)
	}
}

func seekerFacing(key string) bool {
	for _, p := range []string{"intro.", "chat.", "closed.", "prechat.", "common."} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}
