package conformance

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Fault names a deliberate deviation a target can be started with.
type Fault struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	About    string `json:"about"`
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
	// OnFault is called after each fault's run.
	OnFault func(FaultResult)
}

// FaultResult says which cases caught one fault.
type FaultResult struct {
	Fault    Fault    `json:"fault"`
	CaughtBy []string `json:"caught_by"`
	// Report is the run against the faulty target.
	Report *Report `json:"-"`
}

// Caught reports whether at least one case failed against the fault.
func (f FaultResult) Caught() bool { return len(f.CaughtBy) > 0 }

// SelfTestReport is the outcome of a self-test.
type SelfTestReport struct {
	// Baseline is the run against the correct target: it must pass whole.
	Baseline *Report       `json:"baseline"`
	Faults   []FaultResult `json:"faults"`
	// Score is the share of faults caught, the mutation score.
	Score float64 `json:"mutation_score"`
}

// Passed reports whether the baseline passed and every fault was caught.
func (s *SelfTestReport) Passed() bool {
	return !s.Baseline.Failed() && s.Score == 1
}

// SelfTest proves the suite's power: every case must pass against the
// correct target, and each fault must make at least one case fail.
func SelfTest(ctx context.Context, opts SelfTestOptions) (*SelfTestReport, error) {
	run := func(fault string) (*Report, error) {
		target, stop, err := opts.Start(fault)
		if err != nil {
			return nil, fmt.Errorf("start the gateway with fault %q: %w", fault, err)
		}
		defer func() { _ = stop() }()
		o := opts.Run
		o.Target = target
		return Run(ctx, o)
	}
	base, err := run("")
	if err != nil {
		return nil, err
	}
	out := &SelfTestReport{Baseline: base}
	caught := 0
	for _, f := range opts.Faults {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		rep, err := run(f.Name)
		if err != nil {
			return nil, err
		}
		fr := FaultResult{Fault: f, Report: rep}
		for _, r := range rep.Results {
			if r.Status == Fail {
				fr.CaughtBy = append(fr.CaughtBy, r.ID)
			}
		}
		if fr.Caught() {
			caught++
		}
		out.Faults = append(out.Faults, fr)
		if opts.OnFault != nil {
			opts.OnFault(fr)
		}
	}
	if len(opts.Faults) > 0 {
		out.Score = float64(caught) / float64(len(opts.Faults))
	}
	return out, nil
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
