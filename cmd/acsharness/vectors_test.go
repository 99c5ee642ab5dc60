package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/corpus"
)

func TestVectorsExport(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vectors")
	// Flags may follow the folder.
	code, out, errOut := runCLI(t, map[string]string{}, "vectors", "export", dir, "--random", "3", "--seed", "9", "--style", "rpc,v3")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "3 random per style, seed 9")
	idx, cases, err := corpus.Load(dir)
	require.NoError(t, err, "the export reads back")
	assert.Equal(t, uint64(9), idx.Seed)
	var rpc, roa, v3 int
	for _, c := range cases {
		switch c.Input.Style {
		case "rpc":
			rpc++
		case "roa":
			roa++
		case "v3":
			v3++
		}
	}
	assert.Zero(t, roa, "--style rpc,v3 leaves ROA out")
	assert.Positive(t, rpc)
	assert.Positive(t, v3)
	for _, f := range []string{"README.md", "index.json", "cases.jsonl", "random/rpc/0003/signature.txt", "random/v3/0001/authorization.txt"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	want, err := corpus.Random("rpc", 3, 9)
	require.NoError(t, err)
	sig, err := os.ReadFile(filepath.Join(dir, "random/rpc/0003/signature.txt"))
	require.NoError(t, err)
	assert.Equal(t, want[2].Expect.Signature, string(sig), "the same seed gives the same cases")
}

func TestVectorsExportBadInput(t *testing.T) {
	t.Parallel()
	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o644))
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no verb", []string{"vectors"}, "usage: acsharness vectors export"},
		{"unknown verb", []string{"vectors", "import", "x"}, `unknown verb "import"`},
		{"no folder", []string{"vectors", "export"}, "give one folder"},
		{"two folders", []string{"vectors", "export", "a", "b"}, "give one folder"},
		{"not empty", []string{"vectors", "export", full}, "is not empty"},
		{"under a file", []string{"vectors", "export", filepath.Join(file, "sub")}, "cannot create"},
		{"bad style", []string{"vectors", "export", filepath.Join(t.TempDir(), "v"), "--style", "soap"}, "--style: unknown signing style"},
		{"negative count", []string{"vectors", "export", filepath.Join(t.TempDir(), "v"), "--random", "-1"}, "--random -1"},
		{"unknown flag", []string{"vectors", "export", "--randm", "3", "x"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, map[string]string{}, tc.args...)
			assert.Equal(t, exitUsage, code, errOut)
			assert.Contains(t, errOut, tc.want)
		})
	}
	code, out, _ := runCLI(t, map[string]string{}, "vectors", "help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "usage: acsharness vectors export")
}
