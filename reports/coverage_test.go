package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/scenarios"
)

// TestCoverageDoc keeps docs/coverage.md true: it is generated from the
// rule table, the built-in suite and the fault catalogue (run with -update
// after changing one of them).
func TestCoverageDoc(t *testing.T) {
	rules, err := conformance.BuiltinRules()
	require.NoError(t, err)
	suite, err := conformance.LoadFS(scenarios.FS, ".", nil)
	require.NoError(t, err)
	profiles := conformance.BuiltinProfiles()
	rows := conformance.Coverage(rules, suite, profiles, conformance.Selection{})
	faults := map[string][]string{}
	for _, f := range gateway.Faults() {
		for _, r := range f.Rules {
			faults[r] = append(faults[r], string(f.Fault))
		}
	}
	var b bytes.Buffer
	require.NoError(t, CoverageMarkdown(&b, rows, faults, len(suite), len(conformance.Expand(suite, profiles, conformance.Selection{}))))
	path := filepath.Join("..", "docs", "coverage.md")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "docs/coverage.md missing: run go test ./reports -run TestCoverageDoc -update")
	assert.Equal(t, string(want), b.String(), "docs/coverage.md is out of date: run go test ./reports -run TestCoverageDoc -update")
	assert.Contains(t, b.String(), "| `nonce.replay` | must |")
}
