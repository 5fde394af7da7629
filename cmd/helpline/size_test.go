package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The size limits of product code (everything but _test.go files): a file
// longer than this is split by job, a function longer than this is split
// into functions named for its steps.
const (
	maxFileLines = 600
	maxFuncLines = 80
)

// tooLongAllowed would name a file or function over the limits while it is
// being restructured, with why it may stay long for the moment. It is
// empty: every product file and function is within the limits. Nothing goes
// on it without a reason, and what is split comes off (the test says so).
var tooLongAllowed = map[string]string{}

// tooLong is one file or function over its limit.
type tooLong struct {
	Name  string // "dir/file.go", or "dir/file.go: Func" / "dir/file.go: (*Type).Method"
	Lines int
	Limit int
}

func (o tooLong) String() string {
	return fmt.Sprintf("%s is %d lines (limit %d)", o.Name, o.Lines, o.Limit)
}

// findTooLong lists the product files and functions under root that are
// over maxFileLines and maxFuncLines, by name.
func findTooLong(root string) ([]tooLong, error) {
	var out []tooLong
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		found, err := tooLongIn(fset, path, filepath.ToSlash(rel))
		out = append(out, found...)
		return err
	})
	return out, err
}

// tooLongIn checks one file, named rel in what it reports.
func tooLongIn(fset *token.FileSet, path, rel string) ([]tooLong, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []tooLong
	if n := strings.Count(string(src), "\n"); n > maxFileLines {
		out = append(out, tooLong{rel, n, maxFileLines})
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
		if n > maxFuncLines {
			out = append(out, tooLong{rel + ": " + funcName(fn), n, maxFuncLines})
		}
	}
	return out, nil
}

// funcName is Func, or (Type).Method / (*Type).Method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	recv := fn.Recv.List[0].Type
	star := ""
	if s, ok := recv.(*ast.StarExpr); ok {
		star, recv = "*", s.X
	}
	switch t := recv.(type) {
	case *ast.IndexExpr: // generic receiver T[P]
		recv = t.X
	case *ast.IndexListExpr:
		recv = t.X
	}
	typeName := "?"
	if id, ok := recv.(*ast.Ident); ok {
		typeName = id.Name
	}
	return "(" + star + typeName + ")." + fn.Name.Name
}

// No product file over 600 lines, no product function over 80 (the
// project's rules), except those on tooLongAllowed for now.
func TestNoProductFileOrFunctionTooLong(t *testing.T) {
	found, err := findTooLong("../..")
	if err != nil {
		t.Fatal(err)
	}
	over := map[string]bool{}
	var offenders []string
	for _, o := range found {
		over[o.Name] = true
		if _, ok := tooLongAllowed[o.Name]; !ok {
			offenders = append(offenders, o.String())
		}
	}
	if len(offenders) > 0 {
		t.Errorf("too long (split files by job and functions into well-named steps; the allow-list in size_test.go only shrinks):\n\t%s",
			strings.Join(offenders, "\n\t"))
	}
	for _, name := range sortedNames(tooLongAllowed) {
		if !over[name] {
			t.Errorf("%s is within the limits now: take it off tooLongAllowed in size_test.go", name)
		}
	}
}

// findTooLong reports a long file and a long function (and method) by
// name, and ignores tests, testdata and code within the limits.
func TestFindTooLongNamesOffenders(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	body := func(lines int) string { return strings.Repeat("\t_ = 0\n", lines) }
	fill := func(lines int) string { return strings.Repeat("// filler\n", lines) }
	// 78 body lines + the two braces: 80 lines, at the limit; 79: over.
	write("p/ok.go", "package p\n\nfunc Short() {\n"+body(78)+"}\n")
	write("p/long.go", "package p\n\ntype T struct{}\n\nfunc Long() {\n"+body(79)+"}\n\nfunc (*T) M() {\n"+body(79)+"}\n")
	write("q/big.go", "package q\n"+fill(600))  // 601 lines
	write("q/edge.go", "package q\n"+fill(599)) // 600 lines: at the limit
	write("q/big_test.go", "package q\n"+fill(900)+"func TestX() {\n"+body(100)+"}\n")
	write("q/testdata/big.go", "package q\n"+fill(900))

	found, err := findTooLong(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range found {
		got = append(got, o.String())
	}
	slices.Sort(got)
	want := []string{
		"p/long.go: (*T).M is 81 lines (limit 80)",
		"p/long.go: Long is 81 lines (limit 80)",
		"q/big.go is 601 lines (limit 600)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findTooLong found\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
