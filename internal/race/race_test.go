package race

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every test that calls race.Skip is in the Makefile's NORACE_TESTS, so that
// make test runs it without -race; every name listed there is a test that
// exists, so that the list does not rot.
func TestMakefileListsEverySkip(t *testing.T) {
	root := filepath.Join("..", "..")
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^NORACE_TESTS\s*:?=\s*(.+)$`).FindSubmatch(mk)
	require.NotNil(t, m, "the Makefile defines NORACE_TESTS")
	listed, err := regexp.Compile(strings.TrimSpace(string(m[1])))
	require.NoError(t, err, "NORACE_TESTS is a -run pattern")

	skipping, all := map[string]string{}, map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fn.Name.Name, "Test") {
				continue
			}
			all[fn.Name.Name] = true
			ast.Inspect(fn, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Skip" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "race" {
						skipping[fn.Name.Name] = path
					}
				}
				return true
			})
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, skipping, "the repository's tests were found")
	for name, path := range skipping {
		assert.True(t, listed.MatchString(name), "%s (%s) skips itself under -race: add it to the Makefile's NORACE_TESTS", name, path)
	}
	for _, name := range regexp.MustCompile(`Test\w+`).FindAllString(string(m[1]), -1) {
		assert.True(t, all[name], "NORACE_TESTS names %s, which no test file defines", name)
	}

	// The pass without -race runs in NORACE_PKGS only: each package with a
	// skipping test is there, and each there has one.
	pm := regexp.MustCompile(`(?m)^NORACE_PKGS\s*:?=\s*(.+)$`).FindSubmatch(mk)
	require.NotNil(t, pm, "the Makefile defines NORACE_PKGS")
	pkgs := map[string]bool{}
	for _, p := range strings.Fields(string(pm[1])) {
		pkgs[p] = false
	}
	for name, path := range skipping {
		rel, err := filepath.Rel(root, filepath.Dir(path))
		require.NoError(t, err)
		pkg := "./" + filepath.ToSlash(rel)
		_, ok := pkgs[pkg]
		assert.True(t, ok, "%s (%s) skips itself under -race: add %s to the Makefile's NORACE_PKGS", name, path, pkg)
		if ok {
			pkgs[pkg] = true
		}
	}
	for p, used := range pkgs {
		assert.True(t, used, "NORACE_PKGS lists %s, which holds no test that skips itself under -race", p)
	}
}
