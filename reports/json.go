package reports

import (
	"encoding/json"
	"io"
	"time"

	"github.com/acsharness/acsharness/conformance"
)

// jsonVersion changes when a field of report.json changes meaning or goes
// away; new fields do not change it.
const jsonVersion = 1

type jsonReport struct {
	Version     int         `json:"report_version"`
	Tool        string      `json:"tool"`
	Target      string      `json:"target"`
	Products    []string    `json:"products"`
	Started     time.Time   `json:"started"`
	Duration    float64     `json:"duration_seconds"`
	ClockOffset float64     `json:"clock_offset_seconds"`
	Findings    []string    `json:"findings,omitempty"` // about the target as a whole (its clock is wrong, say)
	Strict      bool        `json:"strict"`
	Summary     jsonSummary `json:"summary"`
	Cases       []jsonCase  `json:"cases"`
}

type jsonSummary struct {
	// Verdict is "pass" or "fail": fail when any case failed (under
	// --strict a warning fails its case).
	Verdict    string               `json:"verdict"`
	Totals     conformance.Totals   `json:"totals"`
	ByCategory []conformance.Totals `json:"by_category"`
	// RulesBroken are the rules the findings name, with their level and
	// how many cases broke each: must first, then should, then may.
	RulesBroken []jsonRuleCount `json:"rules_broken"`
}

type jsonRuleCount struct {
	Rule  string            `json:"rule"`
	Level conformance.Level `json:"level"`
	Cases int               `json:"cases"`
}

type jsonCase struct {
	ID       string                  `json:"id"`
	Scenario string                  `json:"scenario"`
	Title    string                  `json:"title"`
	Category string                  `json:"category"`
	Style    string                  `json:"style"`
	Product  string                  `json:"product"`
	Spec     string                  `json:"spec,omitempty"`
	Rules    []string                `json:"rules"`
	Status   string                  `json:"status"`
	Expected string                  `json:"expected"`
	Observed string                  `json:"observed"`
	Reason   string                  `json:"reason"`
	Duration float64                 `json:"duration_seconds"`
	File     string                  `json:"file,omitempty"`
	Line     int                     `json:"line,omitempty"`
	Steps    []conformance.StepTrace `json:"steps"`
	// Findings are the departures from rules: each names its rule, level
	// (must: a failure, should: a warning, may: a note) and step.
	Findings []conformance.Finding `json:"findings"`
	Mismatch *jsonMismatch         `json:"string_to_sign_mismatch,omitempty"`
}

type jsonMismatch struct {
	Ours   string `json:"ours"`
	Theirs string `json:"theirs"`
	At     int    `json:"first_difference_at"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// ConformanceJSON writes report.json: a summary with the totals and the
// counts by category, then per case its id, title, category, style,
// product, status (pass, fail or skip), expected, observed, reason, steps
// (request and response) and string-to-sign mismatch, if any. Signature
// values, Authorization signatures and secrets are redacted again, whatever
// the runner left in the traces.
func ConformanceJSON(w io.Writer, r *conformance.Report) error {
	if r == nil {
		return errNoReport
	}
	r = redact(r)
	sum := summarize(r.Results)
	out := jsonReport{
		Version: jsonVersion, Tool: toolName(r), Target: r.Target, Products: nonNil(r.Products),
		Started: r.Started, Duration: r.Duration, ClockOffset: r.ClockOffset, Findings: r.Findings, Strict: r.Strict,
		Summary: summaryJSON(sum), Cases: make([]jsonCase, 0, len(r.Results)),
	}
	for _, c := range brokenRules(r.Results) {
		out.Summary.RulesBroken = append(out.Summary.RulesBroken, jsonRuleCount(c))
	}
	for _, res := range r.Results {
		c := jsonCase{
			ID: res.ID, Scenario: res.ScenarioID, Title: res.Title, Category: res.Category, Style: res.Style,
			Product: res.Product, Spec: res.Spec, Status: res.Status, Expected: res.Expected, Observed: res.Observed,
			Reason: res.Reason, Duration: res.Duration, File: res.File, Line: res.Line, Steps: res.Steps,
			Rules: nonNil(res.Rules), Findings: nonNil(res.Findings),
		}
		if c.Steps == nil {
			c.Steps = []conformance.StepTrace{}
		}
		if m := res.Mismatch; m != nil {
			d := locate(m)
			c.Mismatch = &jsonMismatch{Ours: m.Ours, Theirs: m.Theirs, At: d.At, Line: d.Line, Column: d.Col}
		}
		out.Cases = append(out.Cases, c)
	}
	return encodeJSON(w, out)
}

func summaryJSON(sum summary) jsonSummary {
	v := conformance.Pass
	if sum.Totals.Fail > 0 {
		v = conformance.Fail
	}
	return jsonSummary{Verdict: v, Totals: sum.Totals, ByCategory: nonNil(sum.ByCategory), RulesBroken: []jsonRuleCount{}}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// encodeJSON writes v indented, with <, > and & left as they are: the file
// is read by people and jq, never embedded in a page.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type jsonSelftest struct {
	Passed        bool                     `json:"passed"`
	Baseline      jsonBaseline             `json:"baseline"`
	MutationScore float64                  `json:"mutation_score"`
	Caught        int                      `json:"faults_caught"`
	FaultCount    int                      `json:"faults_total"`
	Faults        []jsonFault              `json:"faults"`
	Rules         []conformance.RuleMatrix `json:"rules"`
}

type jsonBaseline struct {
	jsonSummary
	FailedCases []string `json:"failed_cases"`
}

type jsonFault struct {
	Fault    string `json:"fault"`
	Category string `json:"category"`
	About    string `json:"about"`
	Caught   bool   `json:"caught"`
	// Rules are the rules the fault breaks; RulesCaught those a catching
	// case's finding named.
	Rules       []string `json:"rules"`
	RulesCaught []string `json:"rules_caught"`
	// CaughtBy are the scenarios with a catching case; CaughtByCases the
	// cases themselves.
	CaughtBy      []string `json:"caught_by"`
	CaughtByCases []string `json:"caught_by_cases"`
}

// SelftestJSON writes what SelftestText shows as JSON: the baseline's
// verdict and counts, and per fault its name, category, about, and the
// scenarios (caught_by) and cases (caught_by_cases) that caught it.
func SelftestJSON(w io.Writer, s *conformance.SelfTestReport) error {
	if s == nil {
		return errNoReport
	}
	base := baseline(s)
	var sum summary
	if s.Baseline != nil {
		sum = summarize(s.Baseline.Results)
	}
	out := jsonSelftest{
		Passed:        selftestPassed(s),
		Baseline:      jsonBaseline{jsonSummary: summaryJSON(sum), FailedCases: nonNil(base.FailedCases)},
		MutationScore: s.Score,
		Caught:        caughtCount(s),
		FaultCount:    len(s.Faults),
		Faults:        make([]jsonFault, 0, len(s.Faults)),
		Rules:         nonNil(s.Rules),
	}
	if base.Failed {
		out.Baseline.Verdict = conformance.Fail
	}
	for _, f := range s.Faults {
		out.Faults = append(out.Faults, jsonFault{
			Fault: f.Fault.Name, Category: f.Fault.Category, About: f.Fault.About, Caught: f.Caught(),
			Rules: nonNil(f.Fault.Rules), RulesCaught: nonNil(f.RulesCaught),
			CaughtBy: nonNil(f.CaughtByScenario()), CaughtByCases: nonNil(f.CaughtBy),
		})
	}
	return encodeJSON(w, out)
}
