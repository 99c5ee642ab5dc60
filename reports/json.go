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
	Version     int       `json:"report_version"`
	Tool        string    `json:"tool"`
	Target      string    `json:"target"`
	Products    []string  `json:"products"`
	Started     time.Time `json:"started"`
	Duration    float64   `json:"duration_seconds"`
	ClockOffset float64   `json:"clock_offset_seconds"`
	Findings    []string  `json:"findings,omitempty"` // about the target as a whole (its clock is wrong, say)
	// Diagnosis is what the echoed strings to sign say about the run: a
	// wrong secret, or the first case whose string to sign differs.
	Diagnosis *jsonDiagnosis `json:"signature_diagnosis,omitempty"`
	Strict    bool           `json:"strict"`
	Long      bool           `json:"long"`
	// Interrupted: the run was stopped before it finished; the cases it
	// did not start or finish are skipped, with the reason.
	Interrupted bool        `json:"interrupted"`
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
	// NotRun are the distinct reasons cases were skipped, each with its
	// count and what would run them, then the checks the options left out
	// (cases 0).
	NotRun []conformance.Omission `json:"not_run"`
}

type jsonDiagnosis struct {
	WrongSecret string        `json:"wrong_secret,omitempty"`
	KeyAccepted bool          `json:"key_accepted"`
	SameEcho    int           `json:"same_echo_cases"`
	OtherEcho   int           `json:"differing_echo_cases"`
	Case        string        `json:"first_differing_case,omitempty"`
	Mismatch    *jsonMismatch `json:"string_to_sign_mismatch,omitempty"`
	// Lines are the diagnosis in sentences, as the other formats say it.
	Lines []string `json:"lines"`
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
	Cause    string                  `json:"cause,omitempty"`
	Enable   string                  `json:"enable,omitempty"`
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
	// Canonical is our canonical form (the V3 canonical request, whose
	// hash the string to sign holds); TheirCanonical the one the target
	// echoed, if it did.
	Canonical      string `json:"canonical,omitempty"`
	TheirCanonical string `json:"their_canonical,omitempty"`
}

func mismatchJSON(m *conformance.Mismatch) *jsonMismatch {
	if m == nil {
		return nil
	}
	d := locate(m)
	return &jsonMismatch{Ours: m.Ours, Theirs: m.Theirs, At: d.At, Line: d.Line, Column: d.Col, Canonical: m.Canonical, TheirCanonical: m.TheirCanonical}
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
		Long: r.Long, Interrupted: r.Interrupted, Summary: summaryJSON(sum), Cases: make([]jsonCase, 0, len(r.Results)),
	}
	out.Summary.NotRun = nonNil(r.Omissions())
	if d := r.Diagnosis; d != nil {
		out.Diagnosis = &jsonDiagnosis{WrongSecret: d.WrongSecret, KeyAccepted: d.KeyAccepted, SameEcho: d.SameEcho, OtherEcho: d.OtherEcho, Case: d.Case,
			Mismatch: mismatchJSON(d.Mismatch), Lines: d.Lines()}
	}
	for _, c := range brokenRules(r.Results) {
		out.Summary.RulesBroken = append(out.Summary.RulesBroken, jsonRuleCount(c))
	}
	for _, res := range r.Results {
		c := jsonCase{
			ID: res.ID, Scenario: res.ScenarioID, Title: res.Title, Category: res.Category, Style: res.Style,
			Product: res.Product, Spec: res.Spec, Status: res.Status, Expected: res.Expected, Observed: res.Observed,
			Reason: res.Reason, Cause: res.Cause, Enable: res.Enable, Duration: res.Duration, File: res.File, Line: res.Line, Steps: res.Steps,
			Rules: nonNil(res.Rules), Findings: nonNil(res.Findings),
		}
		if c.Steps == nil {
			c.Steps = []conformance.StepTrace{}
		}
		c.Mismatch = mismatchJSON(res.Mismatch)
		out.Cases = append(out.Cases, c)
	}
	return encodeJSON(w, out)
}

func summaryJSON(sum summary) jsonSummary {
	v := conformance.Pass
	if sum.Totals.Fail > 0 {
		v = conformance.Fail
	}
	return jsonSummary{Verdict: v, Totals: sum.Totals, ByCategory: nonNil(sum.ByCategory), RulesBroken: []jsonRuleCount{}, NotRun: []conformance.Omission{}}
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
