package conformance

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Fault names a deliberate deviation a target can be started with, and the
// rules it breaks.
type Fault struct {
	Name     string   `json:"name"`
	Category string   `json:"category"`
	About    string   `json:"about"`
	Rules    []string `json:"rules"`
}

// SelfTestOptions configure a self-test: the suite is run against a
// correct target and against one target per fault, each started by Start.
type SelfTestOptions struct {
	// Run is the base configuration of every run; its Target is replaced.
	Run    Options
	Faults []Fault
	// Start starts a target with the fault named (or none for ""), and
	// returns its URL and a function that stops it.
	Start func(fault string) (target string, stop func() error, err error)
	// OnFault is called after each fault's run, from any goroutine.
	OnFault func(FaultResult)
	// Parallel bounds the faulty targets run at once; 0 means 4.
	Parallel int
}

// FaultResult says which cases caught one fault.
type FaultResult struct {
	Fault Fault `json:"fault"`
	// CaughtBy are the cases that caught the fault: each passed against the
	// correct target and, against the faulty one, failed or warned with a
	// finding that names a rule the fault breaks.
	CaughtBy []string `json:"caught_by"`
	// RulesCaught are the fault's rules that such a finding named.
	RulesCaught []string `json:"rules_caught"`
	// Report is the run against the faulty target.
	Report *Report `json:"-"`
}

// Caught reports whether a case caught the fault.
func (f FaultResult) Caught() bool { return len(f.CaughtBy) > 0 }

// RuleMatrix is one row of the self-test's matrix by rule: the faults that
// break the rule, and for each whether a case caught it by this rule.
type RuleMatrix struct {
	Rule   string       `json:"rule"`
	Level  Level        `json:"level"`
	Faults []FaultCatch `json:"faults"`
}

// FaultCatch is a fault in a RuleMatrix row.
type FaultCatch struct {
	Fault  string `json:"fault"`
	Caught bool   `json:"caught"`
}

// Caught reports whether every fault of the row was caught by the rule (a
// row without faults is not).
func (m RuleMatrix) Caught() bool {
	return len(m.Faults) > 0 && !slices.ContainsFunc(m.Faults, func(f FaultCatch) bool { return !f.Caught })
}

// SelfTestReport is the outcome of a self-test.
type SelfTestReport struct {
	// Baseline is the run against the correct target: it must pass whole,
	// without a failure or a warning.
	Baseline *Report       `json:"baseline"`
	Faults   []FaultResult `json:"faults"`
	// Rules is the matrix by rule: every `must` and `should` rule, with the
	// faults that break it.
	Rules []RuleMatrix `json:"rules"`
	// Score is the share of faults caught, the mutation score.
	Score float64 `json:"mutation_score"`
}

// BaselineClean reports whether the baseline had no failure and no warning.
func (s *SelfTestReport) BaselineClean() bool {
	return s.Baseline != nil && s.Baseline.Totals.Fail == 0 && s.Baseline.Totals.Warn == 0
}

// Passed reports whether the baseline passed clean and every fault was
// caught.
func (s *SelfTestReport) Passed() bool {
	return s.BaselineClean() && s.Score == 1
}

// SelfTest proves the suite's power: every case must pass against the
// correct target, and each fault must make a case that passed there fail
// (or warn) naming a rule the fault breaks. A fault's run is the cases of
// the scenarios that name one of its rules (the only cases that can catch
// it), or the whole suite when a rule is checked run-wide; faults run
// Parallel at a time.
func SelfTest(ctx context.Context, opts SelfTestOptions) (*SelfTestReport, error) {
	rules := opts.Run.Rules
	if rules == nil {
		var err error
		if rules, err = BuiltinRules(); err != nil {
			return nil, err
		}
		opts.Run.Rules = rules
	}
	run := func(fault string, sel Selection) (*Report, error) {
		target, stop, err := opts.Start(fault)
		if err != nil {
			return nil, fmt.Errorf("start the gateway with fault %q: %w", fault, err)
		}
		defer func() { _ = stop() }()
		o := opts.Run
		o.Target, o.Select = target, sel
		return Run(ctx, o)
	}
	base, err := run("", opts.Run.Select)
	if err != nil {
		return nil, err
	}
	passed := map[string]bool{}
	for _, r := range base.Results {
		passed[r.ID] = r.Status == Pass
	}
	out := &SelfTestReport{Baseline: base, Faults: make([]FaultResult, len(opts.Faults))}
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	var (
		wg    sync.WaitGroup
		sem   = make(chan struct{}, parallel)
		mu    sync.Mutex
		first error
	)
	for i, f := range opts.Faults {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			sel, ok := faultSelection(opts.Run.Select, opts.Run.Scenarios, rules, f)
			if !ok {
				// No scenario names a rule of the fault: nothing can catch it.
				out.Faults[i] = FaultResult{Fault: f}
				return
			}
			rep, err := run(f.Name, sel)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			fr := caught(f, rep, passed)
			out.Faults[i] = fr
			if opts.OnFault != nil {
				opts.OnFault(fr)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	n := 0
	for _, f := range out.Faults {
		if f.Caught() {
			n++
		}
	}
	if len(opts.Faults) > 0 {
		out.Score = float64(n) / float64(len(opts.Faults))
	}
	out.Rules = ruleMatrix(rules, out.Faults)
	return out, nil
}

// faultSelection narrows sel to the scenarios that name a rule of f,
// unless one of f's rules is checked run-wide: a run-wide check needs the
// whole run's traffic. ok is false when no scenario names a rule of f.
func faultSelection(sel Selection, suite []Scenario, rules *Rules, f Fault) (Selection, bool) {
	for _, id := range f.Rules {
		if r := rules.Get(id); r != nil && r.Check == CheckRun {
			return sel, true
		}
	}
	var ids []string
	for _, s := range suite {
		if slices.ContainsFunc(s.Rules, func(id string) bool { return slices.Contains(f.Rules, id) }) && sel.matches(&s) {
			ids = append(ids, s.ID)
		}
	}
	out := sel
	out.IDs = ids
	return out, len(ids) > 0
}

// caught returns the cases of rep that caught f: they passed in the
// baseline, and a finding of a `must` or `should` level names a rule of f.
func caught(f Fault, rep *Report, passed map[string]bool) FaultResult {
	fr := FaultResult{Fault: f, Report: rep}
	for _, r := range rep.Results {
		if !passed[r.ID] {
			continue
		}
		hit := false
		for _, x := range r.Findings {
			if x.Level != May && slices.Contains(f.Rules, x.Rule) {
				hit = true
				if !slices.Contains(fr.RulesCaught, x.Rule) {
					fr.RulesCaught = append(fr.RulesCaught, x.Rule)
				}
			}
		}
		if hit {
			fr.CaughtBy = append(fr.CaughtBy, r.ID)
		}
	}
	sort.Strings(fr.RulesCaught)
	return fr
}

// ruleMatrix lists every `must` and `should` rule with the faults that
// break it and whether each was caught by it.
func ruleMatrix(rules *Rules, faults []FaultResult) []RuleMatrix {
	var out []RuleMatrix
	for _, r := range rules.List {
		if r.Level == May {
			continue
		}
		row := RuleMatrix{Rule: r.ID, Level: r.Level}
		for _, f := range faults {
			if slices.Contains(f.Fault.Rules, r.ID) {
				row.Faults = append(row.Faults, FaultCatch{Fault: f.Fault.Name, Caught: slices.Contains(f.RulesCaught, r.ID)})
			}
		}
		out = append(out, row)
	}
	return out
}

// CaughtByScenario condenses case ids to scenario ids, sorted.
func (f FaultResult) CaughtByScenario() []string {
	seen := map[string]bool{}
	for _, id := range f.CaughtBy {
		if i := strings.IndexByte(id, '['); i >= 0 {
			id = id[:i]
		}
		seen[id] = true
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
