package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAlternativesFileIsCheckedEntryByEntry(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "alt.json")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	good, err := LoadAlternatives(write(`[{"name":{"es":"Línea 24 h","en":"24-hour line"},"phone":"+34 900 000 000","hours":{"es":"24 h"}},
		{"name":{"es":"Autoayuda"},"url":"https://example.org/ayuda"}]`), "es")
	if err != nil || len(good) != 2 {
		t.Fatalf("a good file: %v, %v", good, err)
	}
	if got := TelURL(good[0].Phone); got != "tel:+34900000000" {
		t.Fatalf("tel link %q", got)
	}
	_, err = LoadAlternatives(write(`[{"name":{"en":"Only English"},"phone":"call us"},{"name":{"es":"Sin contacto"}},{"name":{"es":"x"},"url":"http://plain.example"}]`), "es")
	if err == nil {
		t.Fatal("a bad file loaded")
	}
	for _, want := range []string{"entry 1: name needs", "entry 1: phone", "entry 2: give a phone", "entry 3: url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if _, err := LoadAlternatives(write(`[{"name":{"es":"x"},"phone":"1 2","mail":"a@b"}]`), "es"); err == nil {
		t.Error("an unknown field was accepted")
	}
	if list, err := LoadAlternatives("", "es"); err != nil || list != nil {
		t.Errorf("no file: %v %v", list, err)
	}
}
