package conformance

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/scenarios"
)

// schemaDefs maps the loader's key tables to the schema's definitions.
var schemaDefs = map[string]string{
	"file": "", "scenario": "scenario", "step": "step", "request": "request", "sign": "sign",
	"timestamp": "sign.timestamp", "tamper": "tamper", "expect": "expect", "also": "expect.also", "capture": "step.capture",
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	return compile(t, "schema.json", scenarios.Schema)
}

func compile(t *testing.T, name string, b []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err, "scenarios/%s is valid JSON", name)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(name, doc))
	sch, err := c.Compile(name)
	require.NoError(t, err, "scenarios/%s is a valid JSON Schema", name)
	return sch
}

// yamlToJSON converts a YAML document to the generic JSON value the
// validator takes.
func yamlToJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(b, &v))
	j, err := json.Marshal(v)
	require.NoError(t, err)
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	require.NoError(t, err)
	return out
}

// TestSchemaKeysMatchLoader keeps the schema in step with the loader: each
// object of the format accepts exactly the keys the loader knows.
func TestSchemaKeysMatchLoader(t *testing.T) {
	t.Parallel()
	schemaKeysMatch(t, scenarios.Schema, KnownKeys(), schemaDefs)
}

// TestRulesSchemaKeysMatchLoader keeps rules.schema.json in step with the
// rules loader.
func TestRulesSchemaKeysMatchLoader(t *testing.T) {
	t.Parallel()
	schemaKeysMatch(t, scenarios.RulesSchema, RuleKeys(), map[string]string{"file": "", "rule": "rule"})
}

func schemaKeysMatch(t *testing.T, schema []byte, known map[string][]string, mapping map[string]string) {
	t.Helper()
	var raw map[string]any
	require.NoError(t, json.Unmarshal(schema, &raw))
	defs := raw["$defs"].(map[string]any)
	props := func(path string) []string {
		var node map[string]any
		if path == "" {
			node = raw
		} else {
			parts := strings.Split(path, ".")
			node = defs[parts[0]].(map[string]any)
			for _, p := range parts[1:] {
				node = node["properties"].(map[string]any)[p].(map[string]any)
			}
		}
		assert.Equal(t, false, node["additionalProperties"], "%q must refuse unknown keys, as the loader does", path)
		var keys []string
		for k := range node["properties"].(map[string]any) {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	for name, keys := range known {
		path, ok := mapping[name]
		require.True(t, ok, "loader table %q has no schema definition mapped", name)
		want := append([]string(nil), keys...)
		sort.Strings(want)
		assert.Equal(t, want, props(path), "schema %q and loader %q must list the same keys", path, name)
	}
}

// TestBuiltinSuiteValidatesAgainstSchema checks every built-in file against
// the schema an editor would use.
func TestBuiltinSuiteValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	names, err := fs.Glob(scenarios.FS, "*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		if name == "rules.yaml" {
			continue
		}
		b, err := fs.ReadFile(scenarios.FS, name)
		require.NoError(t, err)
		assert.NoError(t, sch.Validate(yamlToJSON(t, b)), "%s must validate against scenarios/schema.json", name)
	}
}

// TestSchemaAndLoaderRejectTheSame: documents both refuse, for the same reason.
func TestSchemaAndLoaderRejectTheSame(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for _, tc := range []struct {
		name, doc, loaderSays string
	}{
		{"unknown key", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    stepz: []\n", `unknown key "stepz"`},
		{"bad category", "scenarios:\n  - id: a/b\n    title: t\n    category: speed\n    steps: [{expect: {status: 200}}]\n", `category "speed" is not valid`},
		{"bad status", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps: [{expect: {status: 700}}]\n", "not an HTTP status"},
		{"no expect", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps: [{copies: 2}]\n", "has no `expect:`"},
		{"body and form", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps: [{request: {body: x, form: {a: b}}, expect: {status: 200}}]\n", "not both"},
		{"code and pattern", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps: [{expect: {code: X, code_pattern: Y}}]\n", "exclude each other"},
		{"bad id", "scenarios:\n  - id: A B\n    title: t\n    category: nonce\n    steps: [{expect: {status: 200}}]\n", "must be lowercase"},
		{"bad space", "scenarios:\n  - id: a/b\n    title: t\n    category: nonce\n    steps: [{tamper: {space: tab}, expect: {status: 200}}]\n", `tamper.space "tab" is not valid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Error(t, sch.Validate(yamlToJSON(t, []byte(tc.doc))), "the schema must reject it")
			_, err := ParseScenarios("x.yaml", []byte(tc.doc))
			require.Error(t, err, "the loader must reject it")
			assert.Contains(t, err.Error(), tc.loaderSays)
		})
	}
}

// TestBuiltinRulesValidateAgainstSchema checks scenarios/rules.yaml against
// rules.schema.json.
func TestBuiltinRulesValidateAgainstSchema(t *testing.T) {
	t.Parallel()
	sch := compile(t, "rules.schema.json", scenarios.RulesSchema)
	assert.NoError(t, sch.Validate(yamlToJSON(t, scenarios.Rules)), "rules.yaml must validate against scenarios/rules.schema.json")
}

// TestRulesSchemaAndLoaderRejectTheSame: rules documents both refuse, for
// the same reason.
func TestRulesSchemaAndLoaderRejectTheSame(t *testing.T) {
	t.Parallel()
	sch := compile(t, "rules.schema.json", scenarios.RulesSchema)
	const ok = "    category: nonce\n    statement: s\n    sources: [x]\n"
	for _, tc := range []struct {
		name, doc, loaderSays string
	}{
		{"unknown key", "rules:\n  - id: a.b\n    level: must\n" + ok + "    levle: must\n", `unknown key "levle" in a rule (did you mean "level"?)`},
		{"bad level", "rules:\n  - id: a.b\n    level: maybe\n" + ok, `level "maybe" is not valid`},
		{"bad id", "rules:\n  - id: A\n    level: must\n" + ok, "must be dotted lowercase words"},
		{"no sources", "rules:\n  - id: a.b\n    level: must\n    category: nonce\n    statement: s\n", "has no sources"},
		{"status without codes", "rules:\n  - id: a.b\n    level: must\n" + ok + "    status: 400\n", "gives a status or messages but no codes"},
		{"bad check", "rules:\n  - id: a.b\n    level: must\n" + ok + "    check: sometimes\n", `check "sometimes" is not valid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Error(t, sch.Validate(yamlToJSON(t, []byte(tc.doc))), "the schema must reject it")
			_, err := ParseRules("r.yaml", []byte(tc.doc))
			require.Error(t, err, "the loader must reject it")
			assert.Contains(t, err.Error(), tc.loaderSays)
		})
	}
}
