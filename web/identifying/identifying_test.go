package identifying

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

type testCase struct {
	Text string   `json:"text"`
	Want []string `json:"want"`
}

// TestCases: every case of testdata/cases.json (the same file the browser
// test runs through the page's JavaScript) finds exactly its kinds.
func TestCases(t *testing.T) {
	data, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []testCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		got := Kinds(c.Text)
		if c.Want == nil {
			c.Want = []string{}
		}
		if got == nil {
			got = []string{}
		}
		slices.Sort(got)
		want := slices.Clone(c.Want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q: found %v, want %v", c.Text, got, want)
		}
	}
}
