package identifying

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
)

//go:embed rules.json
var rulesJSON []byte

// Rule is one pattern of a kind of identifying detail.
type Rule struct {
	Kind       string `json:"kind"` // email, phone, handle, address, school, name
	Pattern    string `json:"pattern"`
	IgnoreCase bool   `json:"ignore_case,omitempty"`
}

// Rules is the rules file: its version and the rules.
type Rules struct {
	Version int    `json:"version"`
	Rules   []Rule `json:"rules"`
}

type compiled struct {
	kind string
	re   *regexp.Regexp
}

var rules = mustCompile(rulesJSON)

func mustCompile(data []byte) []compiled {
	var r Rules
	if err := json.Unmarshal(data, &r); err != nil {
		panic(fmt.Sprintf("identifying: rules.json: %v", err))
	}
	out := make([]compiled, 0, len(r.Rules))
	for i, rule := range r.Rules {
		p := rule.Pattern
		if rule.IgnoreCase {
			p = "(?i)" + p
		}
		re, err := regexp.Compile(p)
		if err != nil {
			panic(fmt.Sprintf("identifying: rules.json rule %d (%s): %v", i+1, rule.Kind, err))
		}
		out = append(out, compiled{rule.Kind, re})
	}
	return out
}

// RulesJSON is the rules file as the JavaScript page reads it.
func RulesJSON() []byte { return rulesJSON }

// Kinds returns the kinds of identifying detail text seems to hold, each
// once, in the order of the rules; none when it holds none.
func Kinds(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rules {
		if !seen[r.kind] && r.re.MatchString(text) {
			seen[r.kind] = true
			out = append(out, r.kind)
		}
	}
	return out
}
