package conformance

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

func builtinRules(t testing.TB) *Rules {
	t.Helper()
	rs, err := BuiltinRules()
	require.NoError(t, err, "scenarios/rules.yaml loads")
	return rs
}

func TestBuiltinRulesLoad(t *testing.T) {
	t.Parallel()
	rs := builtinRules(t)
	require.NotEmpty(t, rs.List)
	levels := map[Level]int{}
	for _, r := range rs.List {
		levels[r.Level]++
		assert.NotEmpty(t, r.Sources, "%s names its sources", r.ID)
		assert.NotEmpty(t, r.Spec, "%s names its spec section", r.ID)
		for _, src := range r.Sources {
			assert.NotContains(t, src, "docs/protocol.md §", "%s: a source is a public reference, the spec section goes in spec:", r.ID)
		}
	}
	assert.Positive(t, levels[Must])
	assert.Positive(t, levels[Should])
	assert.Positive(t, levels[May])
	t.Logf("%d rules: %d must, %d should, %d may", len(rs.List), levels[Must], levels[Should], levels[May])
}

func TestRulesLoaderProblems(t *testing.T) {
	t.Parallel()
	const body = "    level: must\n    category: nonce\n    statement: s\n    sources: [x]\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"duplicate id", "rules:\n  - id: a.b\n" + body + "  - id: a.b\n" + body, `r.yaml:7:5: rule id "a.b" is already used at line 2`},
		{"typo of a required key", "rules:\n  - id: a.b\n    levle: must\n    category: nonce\n    statement: s\n    sources: [x]\n",
			`unknown key "levle" in a rule (did you mean "level"?)`},
		{"empty file", "", "it must hold `rules:`"},
		{"bad code", "rules:\n  - id: a.b\n" + body + "    codes: [\"not a code\"]\n", `code "not a code" is not an error code`},
		{"bad style", "rules:\n  - id: a.b\n" + body + "    styles: [soap]\n", "styles:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRules("r.yaml", []byte(tc.doc))
			requireOneProblem(t, err, tc.want)
		})
	}
}

func TestErrorForm(t *testing.T) {
	t.Parallel()
	rs := builtinRules(t)
	for _, tc := range []struct {
		code  string
		style signature.Style
		rule  string
		name  string
	}{
		{"SignatureNonceUsed", signature.RPC, "err.nonce-used", ""},
		{"MissingTimestamp", signature.RPC, "err.missing-common", "Timestamp"},
		{"MissingDate", signature.ROA, "err.missing-common", "Date"},
		{"MissingAccessKeyId", signature.V3, "", ""}, // V3 names are not documented
		{"MissingParameter", signature.RPC, "err.missing-parameter", ""},
		{"MissingParameter.InstanceId", signature.V3, "err.missing-parameter", "InstanceId"},
		{"MissingParameter.InstanceId", signature.RPC, "err.missing-parameter", "InstanceId"},
		{"InvalidAccessKeyId", signature.RPC, "err.key-invalid", ""},
		{"InvalidAccessKeyId.NotFound", signature.V3, "err.key-not-found", ""},
		{"SignatureDoesNotMatch", signature.V3, "sig.mismatch.message", ""},
		{"Missing", signature.RPC, "", ""},
		{"NoSuchCode", signature.RPC, "", ""},
	} {
		r, name := rs.errorForm(tc.code, tc.style)
		got := ""
		if r != nil {
			got = r.ID
		}
		assert.Equal(t, tc.rule, got, "the rule pinning %s in %s", tc.code, tc.style)
		assert.Equal(t, tc.name, name, "the name %s binds", tc.code)
	}
	mp := rs.Get("err.missing-parameter")
	require.NotNil(t, mp)
	assert.True(t, mp.messageMatches(`The input parameter "InstanceId" that is mandatory for processing this request is not supplied.`, ""))
	assert.True(t, mp.messageMatches(`The input parameter "InstanceId" that is mandatory for processing this request is not supplied.`, "InstanceId"))
	assert.False(t, mp.messageMatches(`The input parameter "GroupId" that is mandatory for processing this request is not supplied.`, "InstanceId"),
		"MissingParameter.InstanceId binds the name in the message")
	assert.False(t, mp.messageMatches(`The input parameter InstanceId is missing.`, ""))
}

func TestScenarioRuleReferences(t *testing.T) {
	t.Parallel()
	const head = "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown rule", head + "    rules: [nonce.replya]\n    steps: [{expect: {status: 200}}]\n",
			`rule "nonce.replya" is not in the rule table (did you mean "nonce.replay"?)`},
		{"rule of another style", head + "    rules: [nonce.empty]\n    steps: [{expect: {status: 200}}]\n",
			"none of the rules of scenario a/b applies to roa and v3 requests"},
		{"step rule outside the list", head + "    rules: [nonce.replay]\n    steps: [{expect: {rule: nonce.atomic, status: 200}}]\n",
			`expect.rule "nonce.atomic" is not among the scenario's rules [nonce.replay]`},
		{"also without a rule", head + "    rules: [nonce.replay]\n    steps: [{expect: {status: 400, also: {code: X}}}]\n",
			"expect.also needs the `rule:`"},
		{"also saying nothing", head + "    rules: [nonce.replay]\n    steps: [{expect: {status: 400, also: {rule: nonce.replay}}}]\n",
			"expect.also says nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseScenarios("x.yaml", []byte(tc.doc))
			requireOneProblem(t, err, tc.want)
		})
	}
	sc, err := ParseScenarios("x.yaml", []byte(head+"    rules: [nonce.empty, nonce.replay]\n    styles: [rpc]\n    steps: [{expect: {rule: nonce.replay, status: 400, also: {rule: nonce.empty, code: SignatureNonceUsed}}}]\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"nonce.empty", "nonce.replay"}, sc[0].Rules)
	assert.Equal(t, "nonce.replay", sc[0].Steps[0].Expect.Rule)
	require.NotNil(t, sc[0].Steps[0].Expect.Also)
	assert.Equal(t, "nonce.empty", sc[0].Steps[0].Expect.Also.Rule)
}

// TestRulesFileBesideScenarios: a folder holding scenario files and a
// rules file loads the scenarios (as scenarios/ does), and naming the rules
// file itself says what it is.
func TestRulesFileBesideScenarios(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps: [{expect: {status: 200}}]\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte("rules:\n  - id: a.b\n    level: must\n    category: nonce\n    statement: s\n    sources: [x]\n"), 0o600))
	sc, err := LoadPaths([]string{dir}, nil)
	require.NoError(t, err)
	assert.Len(t, sc, 1)
	_, err = LoadPaths([]string{filepath.Join(dir, "rules.yaml")}, nil)
	assert.ErrorContains(t, err, "this is a rules file")
}

// TestCheckerRulesInTable keeps the checker's own rules and the rule table
// in step: each rule the checker names exists, with the check it gets
// (every answer or once per run), and each rule marked checked on every
// answer or per run is one the checker applies.
func TestCheckerRulesInTable(t *testing.T) {
	t.Parallel()
	rs := builtinRules(t)
	for _, id := range checkerRules {
		assert.NotNil(t, rs.Get(id), "the checker names rule %s: add it to scenarios/rules.yaml", id)
	}
	for _, r := range rs.List {
		if r.Check != "" {
			assert.Contains(t, checkerRules, r.ID, "rule %s says check: %s, but the checker does not apply it", r.ID, r.Check)
		}
	}
}
