package conformance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

func TestLoaderNamesFileLineColumnAndFix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		doc  string
		want string // file:line:column: message
	}{
		{"typo gets a suggestion", "scenarios:\n  - id: a/b\n    title: t\n    categroy: nonce\n    steps: [{expect: {status: 200}}]\n",
			`x.yaml:4:5: unknown key "categroy" in a scenario (did you mean "category"?)`},
		{"wrong type", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps:\n      - copies: many\n        expect: {status: 200}\n",
			"x.yaml:6:17: copies must be a whole number"},
		{"reuse without capture", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps:\n      - sign: {nonce: \"reuse:n9\"}\n        expect: {status: 200}\n",
			"add `capture: {nonce: n9}` to an earlier step"},
		{"successes without copies", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps:\n      - expect: {successes: 1}\n",
			"add `copies: N`"},
		{"style outside the scenario's", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    styles: [rpc]\n    steps:\n      - request: {style: v3}\n        expect: {status: 200}\n",
			"request.style v3 is not among the scenario's styles"},
		{"not YAML", "scenarios: [\n", "x.yaml:1:1: not valid YAML"},
		{"empty file", "", "the file is empty"},
		{"scenarios not a list", "scenarios: {a: b}\n", "`scenarios` must be a list"},
		{"bad offset", "scenarios:\n  - id: a/b\n    title: t\n    category: timestamp\n    steps:\n      - sign: {timestamp: {offset: soon}}\n        expect: {status: 200}\n",
			"must be a duration such as 15m30s"},
		{"bad regexp", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps:\n      - expect: {code: X, message: \"(\"}\n",
			"message is not a regular expression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseScenarios("x.yaml", []byte(tc.doc))
			var le *LoadError
			require.True(t, errors.As(err, &le), "a *LoadError, got %v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestLoaderOneErrorPerMistake: a mistake gets one problem naming the
// nearest valid name at that place (Damerau–Levenshtein: a transposition
// is one edit), never a second problem caused by the first.
func TestLoaderOneErrorPerMistake(t *testing.T) {
	t.Parallel()
	const head = "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"transposed key", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    stpes: [{expect: {status: 200}}]\n",
			`unknown key "stpes" in a scenario (did you mean "steps"?)`},
		{"transposed category", "scenarios:\n  - id: a/b\n    title: t\n    category: nocne\n    steps: [{expect: {status: 200}}]\n",
			`category "nocne" is not valid (did you mean "nonce"?)`},
		{"copies not a number", head + "    steps:\n      - copies: many\n        expect: {status: 200}\n",
			"x.yaml:6:17: copies must be a whole number, not the scalar \"many\""},
		{"status not a number", head + "    steps:\n      - expect: {status: ok}\n",
			"status must be a whole number"},
		{"successes not a number", head + "    steps:\n      - copies: 2\n        expect: {successes: one}\n",
			"successes must be a whole number"},
		{"id not a string", "scenarios:\n  - id: [a]\n    title: t\n    category: nonce\n    steps: [{expect: {status: 200}}]\n",
			"id must be a string, not a list"},
		{"category not a string", "scenarios:\n  - id: a/b\n    title: t\n    category: {x: 1}\n    steps: [{expect: {status: 200}}]\n",
			"category must be a string, not a mapping"},
		{"style not a string", head + "    steps:\n      - request: {style: [rpc]}\n        expect: {status: 200}\n",
			"style must be a string, not a list"},
		{"nonce not a string", head + "    steps:\n      - sign: {nonce: [x]}\n        expect: {status: 200}\n",
			"nonce must be a string, not a list"},
		{"far typo gets no guess", head + "    steps:\n      - expect: {status: 200}\n        zzzzzz: 1\n",
			`unknown key "zzzzzz" in step 1; valid keys`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseScenarios("x.yaml", []byte(tc.doc))
			requireOneProblem(t, err, tc.want)
		})
	}
}

// requireOneProblem checks that err is a *LoadError of exactly one problem
// saying want.
func requireOneProblem(t *testing.T, err error, want string) {
	t.Helper()
	var le *LoadError
	require.True(t, errors.As(err, &le), "a *LoadError, got %v", err)
	require.Len(t, le.Problems, 1, "one problem per mistake, got: %v", err)
	assert.Contains(t, err.Error(), want)
}

func TestNearest(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "steps", nearest("stpes", scenarioKeys), "stpes is one transposition from steps, two edits from spec")
	assert.Equal(t, "spec", nearest("spce", scenarioKeys))
	assert.Equal(t, "category", nearest("categroy", scenarioKeys))
	assert.Equal(t, "", nearest("xyz", []string{"id"}), "nothing close enough")
}

func TestLoaderReportsEveryProblemAndCrossFileIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	one := "scenarios:\n  - id: a/dup\n    title: t\n    category: nonce\n    steps: [{expect: {status: 200}}]\n"
	two := "scenarios:\n  - id: a/dup\n    title: t\n    category: nonce\n    products: [ecs]\n    steps: [{expect: {status: 200}}]\n  - id: a/c\n    title: t\n    category: nonse\n    steps: [{expect: {status: 200}}]\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "one.yaml"), []byte(one), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "two.yml"), []byte(two), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o600))
	_, err := LoadPaths([]string{dir}, []string{"onsmqtt", "amqp-open"})
	var le *LoadError
	require.True(t, errors.As(err, &le))
	assert.Len(t, le.Problems, 3, "every problem is reported at once: %v", err)
	assert.Contains(t, err.Error(), `id "a/dup" is already used at `+filepath.Join(dir, "one.yaml")+":2")
	assert.Contains(t, err.Error(), `names product "ecs", which no profile defines`)
	assert.Contains(t, err.Error(), `category "nonse" is not valid (did you mean "nonce"?)`)

	_, err = LoadPaths([]string{filepath.Join(dir, "missing.yaml")}, nil)
	assert.ErrorContains(t, err, "cannot read")
	empty := t.TempDir()
	_, err = LoadPaths([]string{empty}, nil)
	assert.ErrorContains(t, err, "holds no .yaml scenario files")
}

func TestExpandAndSelect(t *testing.T) {
	t.Parallel()
	sc := []Scenario{
		{ID: "nonce/replay", Category: "nonce"},
		{ID: "signature/valid", Category: "signature", Styles: []signature.Style{signature.RPC}},
		{ID: "signature/mqtt-only", Category: "signature", Products: []string{"onsmqtt"}},
	}
	p := BuiltinProfiles()
	assert.Len(t, Expand(sc, p, Selection{}), 6+2+3)
	assert.Len(t, Expand(sc, p, Selection{IDs: []string{"signature/*"}}), 2+3)
	assert.Len(t, Expand(sc, p, Selection{Categories: []string{"nonce"}, Styles: []signature.Style{signature.V3}}), 2)
	cases := Expand(sc, p, Selection{Products: []string{"amqp-open"}})
	assert.Equal(t, "nonce/replay[rpc/amqp-open]", cases[0].ID)
	for _, c := range cases {
		assert.Equal(t, "amqp-open", c.Profile.Product)
	}
}

func TestRunUnreachableTarget(t *testing.T) {
	t.Parallel()
	_, err := Run(context.Background(), Options{Target: "http://127.0.0.1:1", Credentials: signature.Credentials{AccessKeyID: "a", AccessKeySecret: "b"},
		Profiles: BuiltinProfiles(), Timeout: 2 * time.Second})
	var ue *UnreachableError
	require.True(t, errors.As(err, &ue), "connection refused is an *UnreachableError, got %v", err)
	assert.Contains(t, err.Error(), "never answered")
	assert.True(t, IsUnreachable(err))

	_, err = Run(context.Background(), Options{Target: "ftp://x", Profiles: BuiltinProfiles()})
	assert.ErrorContains(t, err, "must be a URL")
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	p, err := ParseProfile("p.yaml", []byte("product: ecs\nversion: 2014-05-26\ndefault_format: xml\nhost: ecs.aliyuncs.com\nprobe:\n  action: DescribeRegions\n  params: {RegionId: cn-hangzhou, Z: '1'}\nroa:\n  action: X\n  method: GET\n  path: /x\n"))
	require.NoError(t, err)
	assert.Equal(t, "XML", p.DefaultFormat)
	assert.Equal(t, "GET", p.Probe.Method)
	assert.Equal(t, OrderedKV{{"RegionId", "cn-hangzhou"}, {"Z", "1"}}, p.Probe.Params, "params keep their order")
	for doc, want := range map[string]string{
		"version: 1\nprobe: {action: A}\n":                                   "needs product",
		"product: x\nversion: 1\nprobe: {action: A}\nfoo: 1\n":               "field foo not found",
		"product: x\nversion: 1\nprobe: {action: A}\ndefault_format: yaml\n": "use JSON or XML",
		"product: x\nversion: 1\nprobe: {action: A}\nroa: {path: x}\n":       "roa.path (starting with /)",
		"": "the profile is empty",
	} {
		_, err := ParseProfile("p.yaml", []byte(doc))
		assert.ErrorContains(t, err, want, doc)
	}
}
