package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
)

// TestEveryRuleHasACase: every `must` and `should` rule is checked by at
// least one case of the built-in suite, and every built-in scenario names
// the rules it checks.
func TestEveryRuleHasACase(t *testing.T) {
	t.Parallel()
	rs := builtinRules(t)
	suite := builtinScenarios(t)
	rows := Coverage(rs, suite, BuiltinProfiles(), Selection{})
	assert.Empty(t, Uncovered(rows), "must and should rules without a case: add a scenario that names each")
	for _, s := range suite {
		assert.NotEmpty(t, s.Rules, "built-in scenario %s (%s:%d) names no rule: add `rules:`", s.ID, s.File, s.Line)
	}
	for _, row := range rows {
		if row.Rule.Level == May {
			assert.NotEmpty(t, row.Cases, "may rule %s documents an alternative no scenario accepts", row.Rule.ID)
		}
	}
}

// TestFaultCatalogueCoversRules: each fault names rules of the table, of
// level must or should, and each such rule has a fault that breaks it.
func TestFaultCatalogueCoversRules(t *testing.T) {
	t.Parallel()
	rs := builtinRules(t)
	broken := map[string]bool{}
	for _, f := range gateway.Faults() {
		require.NotEmpty(t, f.Rules, "fault %s names the rules it breaks", f.Fault)
		for _, id := range f.Rules {
			r := rs.Get(id)
			if assert.NotNil(t, r, "fault %s names rule %s, not in scenarios/rules.yaml", f.Fault, id) {
				assert.NotEqual(t, May, r.Level, "fault %s breaks %s, a may rule: the suite accepts every alternative", f.Fault, id)
			}
			broken[id] = true
		}
	}
	var missing []string
	for _, r := range rs.List {
		if r.Level != May && !broken[r.ID] {
			missing = append(missing, r.ID)
		}
	}
	assert.Empty(t, missing, "must and should rules no fault of the catalogue breaks: add one to gateway/faults.go")
	names := map[gateway.Fault]bool{}
	for _, f := range gateway.Faults() {
		assert.False(t, names[f.Fault], "fault %s listed twice", f.Fault)
		names[f.Fault] = true
	}
}
