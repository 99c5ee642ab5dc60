package conformance

import (
	"slices"
	"strconv"
	"strings"
)

// RunChecks are the run-wide checks, by the rule each proves: they run once
// per run (the replay-window one only with Options.Long), not per scenario.
var RunChecks = map[string][]string{
	ruleRequestIDUnique: {"envelope/request-id-unique[run]"},
	ruleNonceRetention:  {"nonce/replayed-at-end[run]", "nonce/replay-window[run] (--long)"},
}

// RuleCases is one row of the coverage table: a rule and what checks it.
type RuleCases struct {
	Rule *Rule
	// Scenarios name the rule and run in a style it concerns.
	Scenarios []string
	// Cases are those scenarios' cases in the rule's styles, then the
	// run-wide checks that prove it.
	Cases []string
}

// Coverage returns, for every rule in table order, the scenarios and cases
// of suite that check it against profiles (within sel).
func Coverage(rules *Rules, suite []Scenario, profiles []Profile, sel Selection) []RuleCases {
	cases := Expand(suite, profiles, sel)
	out := make([]RuleCases, len(rules.List))
	for i := range rules.List {
		r := &rules.List[i]
		row := RuleCases{Rule: r}
		for _, c := range cases {
			if !slices.Contains(c.Scenario.Rules, r.ID) || !r.AppliesTo(c.Style) {
				continue
			}
			row.Cases = append(row.Cases, c.ID)
			if !slices.Contains(row.Scenarios, c.Scenario.ID) {
				row.Scenarios = append(row.Scenarios, c.Scenario.ID)
			}
		}
		if len(cases) > 0 {
			row.Cases = append(row.Cases, RunChecks[r.ID]...)
		}
		out[i] = row
	}
	return out
}

// Uncovered returns the `must` and `should` rules no case checks.
func Uncovered(rows []RuleCases) []string {
	var out []string
	for _, row := range rows {
		if row.Rule.Level != May && len(row.Cases) == 0 {
			out = append(out, row.Rule.ID)
		}
	}
	return out
}

// CheckedHow says how a rule is checked besides its scenarios, for the
// coverage table: "on every answer", "once per run", or "".
func CheckedHow(r *Rule) string {
	switch r.Check {
	case CheckAnswer:
		return "on every answer"
	case CheckRun:
		return "once per run"
	}
	return ""
}

// ScenarioList shortens a list of scenario ids for a table cell: the first
// n, then how many more.
func ScenarioList(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + ", +" + strconv.Itoa(len(ids)-n) + " more"
}
