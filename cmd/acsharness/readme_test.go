package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/conformance"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	return string(b)
}

// The README's scenario example loads as it stands, with `request:` inside
// a step.
func TestReadmeScenarioExampleLoads(t *testing.T) {
	t.Parallel()
	m := regexp.MustCompile("(?s)```yaml\n(scenarios:\n.*?)```").FindStringSubmatch(readme(t))
	require.NotNil(t, m, "the README has a scenario example")
	assert.Regexp(t, `(?m)^      - request:`, m[1], "the example shows request: inside a step")
	file := writeFile(t, "example.yaml", m[1])
	code, out, errOut := runCLI(t, map[string]string{}, "conform", "--list", "--no-builtin", "--scenarios", file)
	require.Equal(t, exitOK, code, "the README's example is a valid scenario file:\n%s", errOut)
	assert.Contains(t, out, "local/space-in-a-value")
}

// The one place the README gives the case count is the count: the
// built-in suite's cases, plus the two run-wide checks.
func TestReadmeCaseCount(t *testing.T) {
	t.Parallel()
	m := regexp.MustCompile(`today (\d+) cases \+ 2\)`).FindStringSubmatch(readme(t))
	require.NotNil(t, m, `the README says "today N cases + 2"`)
	suite, err := builtinSuite()
	require.NoError(t, err)
	n := len(conformance.Expand(suite, conformance.BuiltinProfiles(), conformance.Selection{}))
	assert.Equal(t, strconv.Itoa(n), m[1], "update the README's \"How cases are counted\" to %d cases + 2", n)
	assert.Equal(t, 1, strings.Count(readme(t), "cases + 2"), "the count is given in one place")
}
