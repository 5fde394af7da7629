package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goPackages returns the folders of the module (relative, slash-separated)
// that hold a Go package other than tests.
func goPackages(t *testing.T, root string) map[string]bool {
	t.Helper()
	pkgs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			pkgs[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// The README's "Project structure" table has a row for every package.
func TestProjectStructureListsEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Project structure\n")
	section, _, _ = strings.Cut(section, "\n## ")
	listed := map[string]bool{}
	for line := range strings.Lines(section) {
		if strings.HasPrefix(line, "| `") {
			folder := strings.Trim(strings.TrimSpace(strings.SplitN(line, "|", 3)[1]), "`/")
			listed[folder] = true
		}
	}
	pkgs := goPackages(t, "../..")
	if len(pkgs) < 5 {
		t.Fatalf("found only %v: is the module root ../..?", pkgs)
	}
	for _, pkg := range sortedNames(pkgs) {
		if !listed[pkg] {
			t.Errorf("package %s has no row in README.md's \"## Project structure\" table: add\n\t| `%s` | <what it owns> |", pkg, pkg)
		}
	}
}
