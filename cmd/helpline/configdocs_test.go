package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"helpline/cmd/internal/server"
)

var variableName = regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")

// readmeVariables returns the variable names in the first column of the
// README's "## Configuration" table.
func readmeVariables(t *testing.T) map[string]bool {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	inSection := false
	for line := range strings.Lines(string(readme)) {
		switch {
		case strings.HasPrefix(line, "## "):
			inSection = strings.TrimSpace(line) == "## Configuration"
		case inSection && strings.HasPrefix(line, "| `"):
			firstCell := strings.SplitN(line, "|", 3)[1]
			for _, m := range variableName.FindAllStringSubmatch(firstCell, -1) {
				names[m[1]] = true
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("found no variables in README.md's \"## Configuration\" table: was the heading or the table's layout changed?")
	}
	return names
}

// helpVariables returns the variables `helpline help` lists.
func helpVariables(t *testing.T) map[string]bool {
	t.Helper()
	var out bytes.Buffer
	printHelp(&out)
	_, env, ok := strings.Cut(out.String(), "\nenvironment:\n")
	if !ok {
		t.Fatalf("`helpline help` has no \"environment:\" section:\n%s", out.String())
	}
	names := map[string]bool{}
	lines := bufio.NewScanner(strings.NewReader(env))
	for lines.Scan() {
		if fields := strings.Fields(lines.Text()); len(fields) > 0 {
			names[fields[0]] = true
		}
	}
	return names
}

// loadConfigReads returns every variable LoadConfig asks the environment for.
func loadConfigReads() map[string]bool {
	names := map[string]bool{}
	server.LoadConfig(func(name string) string {
		names[name] = true
		return ""
	})
	return names
}

// The README's configuration table, `helpline help` and LoadConfig name the
// same variables, all declared once in server.Settings.
func TestConfigurationIsDocumentedEverywhere(t *testing.T) {
	declared := map[string]server.Setting{}
	for _, s := range server.Settings {
		declared[s.Name] = s
	}
	readme, help, read := readmeVariables(t), helpVariables(t), loadConfigReads()
	var problems []string
	for _, name := range sortedNames(declared) {
		s := declared[name]
		if !readme[name] {
			def := "–"
			if s.Default != "" {
				def = "`" + s.Default + "`"
			}
			problems = append(problems, fmt.Sprintf("%s is in server.Settings but not in README.md: add the row\n\t| `%s` | %s | %s |\n\tto the table under \"## Configuration\"", name, name, def, s.Help))
		}
		if !help[name] {
			problems = append(problems, fmt.Sprintf("%s is in server.Settings but `helpline help` does not list it: printHelp in cmd/helpline/main.go must print every server.Settings entry", name))
		}
		if !read[name] {
			problems = append(problems, fmt.Sprintf("%s is in server.Settings but LoadConfig (cmd/internal/server/config.go) never reads it: read it there, or remove it from server.Settings and from README.md's table", name))
		}
	}
	for source, names := range map[string]map[string]bool{
		"LoadConfig (cmd/internal/server/config.go) reads": read,
		"README.md's configuration table lists":            readme,
		"`helpline help` lists":                            help,
	} {
		for _, name := range sortedNames(names) {
			if _, ok := declared[name]; !ok {
				problems = append(problems, fmt.Sprintf("%s %s, but server.Settings does not declare it: add\n\t{%q, \"<default>\", \"<what it does>\"},\n\tto Settings in cmd/internal/server/config.go (help prints from it, LoadConfig takes defaults from it) and a row for it to README.md's \"## Configuration\" table", source, name, name))
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
