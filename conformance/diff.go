package conformance

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is what became of one case between a baseline run and a later one.
type Kind string

// The kinds of change, in the order reports list them.
const (
	// NewlyFailing: the case fails now and did not in the baseline (it
	// passed, warned or was skipped). Always a regression.
	NewlyFailing Kind = "newly-failing"
	// Changed: the case has the same outcome, but broke other rules or for
	// another reason. A regression when it now breaks a must rule it did
	// not break before.
	Changed Kind = "changed"
	// New: the case is not in the baseline (a newer suite, or another
	// selection). A regression when it fails.
	New Kind = "new"
	// NewlyWarning: the case warns (a should rule) and passed or was
	// skipped in the baseline.
	NewlyWarning Kind = "newly-warning"
	// NewlyPassing: the case no longer fails or warns, or runs now that it
	// was skipped.
	NewlyPassing Kind = "newly-passing"
	// NewlySkipped: the case ran in the baseline and is skipped now (a key
	// missing from this run's environment, say): no longer checked.
	NewlySkipped Kind = "newly-skipped"
	// Removed: the baseline's case is not in this run.
	Removed Kind = "removed"
	// StillFailing: the case failed in the baseline and fails now, for the
	// same reason.
	StillFailing Kind = "still-failing"
)

// Kinds lists every kind in report order.
var Kinds = []Kind{NewlyFailing, Changed, New, NewlyWarning, NewlyPassing, NewlySkipped, Removed, StillFailing}

// Diff compares a conformance run with a baseline run, case by case.
type Diff struct {
	Baseline RunInfo `json:"baseline"`
	Run      RunInfo `json:"run"`
	// Notes say what makes the two runs less than comparable: a suite of
	// another version, another selection, --strict in one only.
	Notes []string `json:"notes"`
	// Regressions counts the cases that regressed; the run regressed when
	// it is above 0.
	Regressions int `json:"regressions"`
	// Counts are the number of cases of each kind; Unchanged the cases
	// that passed (or warned, or were skipped) in both alike.
	Counts    map[Kind]int `json:"counts"`
	Unchanged int          `json:"unchanged"`
	// Cases are every case of a kind above, in Kinds order, then by id.
	Cases []CaseDiff `json:"cases"`
}

// RunInfo is what a Diff says about each of its two runs.
type RunInfo struct {
	// Path is where the report was read from ("" for a run in memory).
	Path    string    `json:"path,omitempty"`
	Target  string    `json:"target"`
	Started time.Time `json:"started"`
	Strict  bool      `json:"strict"`
	Totals  Totals    `json:"totals"`
}

// CaseDiff is one case that changed, is new or removed, or still fails.
type CaseDiff struct {
	// ID is the case's stable id: "<scenario>[<style>/<product>]".
	ID         string `json:"id"`
	Kind       Kind   `json:"kind"`
	Regression bool   `json:"regression"`
	// Why says in a line what changed: the rules now broken, at what level.
	Why string `json:"why"`
	// Was and Now are the case in the baseline and in this run; nil where
	// the case is not in that run.
	Was *Outcome `json:"was,omitempty"`
	Now *Outcome `json:"now,omitempty"`
}

// Outcome is one case's result as a diff shows it.
type Outcome struct {
	Status   string    `json:"status"`
	Reason   string    `json:"reason,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
}

// Regressed reports whether any case regressed.
func (d *Diff) Regressed() bool { return d.Regressions > 0 }

// Of returns the cases of kind k, in id order.
func (d *Diff) Of(k Kind) []CaseDiff {
	var out []CaseDiff
	for _, c := range d.Cases {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// Failing returns the cases that fail in this run, regressions or not.
func (d *Diff) Failing() []CaseDiff {
	var out []CaseDiff
	for _, c := range d.Cases {
		if c.Now != nil && c.Now.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Compare matches the cases of run with those of baseline by their stable
// id (scenario id, style and product) and says what became of each: newly
// failing, newly passing, new, removed, a changed reason, still failing.
// A run regressed when a case fails that did not fail in the baseline (a
// new case included), or an already failing case breaks a must rule it did
// not break before; judge holds the rule. Cases failing for the same
// reasons as in the baseline do not count: a CI job can gate on "no new
// failures" for a target known to fail some cases today.
func Compare(baseline, run *Report, baselinePath, runPath string) *Diff {
	d := &Diff{
		Baseline: runInfo(baseline, baselinePath),
		Run:      runInfo(run, runPath),
		Notes:    []string{},
		Counts:   map[Kind]int{},
		Cases:    []CaseDiff{},
	}
	old := make(map[string]*Result, len(baseline.Results))
	for i := range baseline.Results {
		old[CaseKey(&baseline.Results[i])] = &baseline.Results[i]
	}
	seen := make(map[string]bool, len(run.Results))
	added := 0
	for i := range run.Results {
		now := &run.Results[i]
		key := CaseKey(now)
		seen[key] = true
		was := old[key]
		if was == nil {
			added++
		}
		d.add(key, was, now)
	}
	removed := 0
	for i := range baseline.Results {
		if was := &baseline.Results[i]; !seen[CaseKey(was)] {
			removed++
			d.add(CaseKey(was), was, nil)
		}
	}
	slices.SortStableFunc(d.Cases, func(a, b CaseDiff) int {
		if c := slices.Index(Kinds, a.Kind) - slices.Index(Kinds, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if added > 0 || removed > 0 {
		d.Notes = append(d.Notes, suiteNote(added, removed))
	}
	if baseline.Strict != run.Strict {
		d.Notes = append(d.Notes, "the baseline ran "+strictness(baseline.Strict)+" and this run "+strictness(run.Strict)+
			": a case breaking only should rules fails under --strict and warns without it")
	}
	return d
}

func (d *Diff) add(key string, was, now *Result) {
	kind, regression, why := judge(was, now)
	if kind == "" {
		d.Unchanged++
		return
	}
	d.Counts[kind]++
	if regression {
		d.Regressions++
	}
	d.Cases = append(d.Cases, CaseDiff{ID: key, Kind: kind, Regression: regression, Why: why, Was: outcome(was), Now: outcome(now)})
}

// judge says what became of one case (was or now nil when the case is not
// in that run): its kind ("" for unchanged), whether it is a regression,
// and why in a line. It is the one place that decides what regresses.
func judge(was, now *Result) (Kind, bool, string) {
	switch {
	case was == nil:
		return New, now.Status == Fail, "not in the baseline; " + present(now) + brokenSuffix(now.Findings, nil)
	case now == nil:
		return Removed, false, "not in this run; " + past(was.Status)
	}
	switch now.Status {
	case Fail:
		switch was.Status {
		case Fail:
			if rules := newlyBroken(was, now, Must); len(rules) > 0 {
				return Changed, true, "still fails, and now breaks " + strings.Join(rules, ", ")
			}
			if sameReason(was, now) {
				return StillFailing, false, "fails as in the baseline"
			}
			return Changed, false, "still fails, for another reason"
		}
		return NewlyFailing, true, past(was.Status) + ", now fails" + brokenSuffix(now.Findings, was.Findings)
	case Warn:
		switch was.Status {
		case Fail:
			return NewlyPassing, false, "failed, now only warns" + brokenSuffix(now.Findings, nil)
		case Warn:
			if sameReason(was, now) {
				return "", false, ""
			}
			return Changed, false, "still warns, for another reason" + brokenSuffix(now.Findings, was.Findings)
		}
		return NewlyWarning, false, past(was.Status) + ", now warns" + brokenSuffix(now.Findings, was.Findings)
	case Pass:
		if was.Status == Pass {
			return "", false, ""
		}
		return NewlyPassing, false, past(was.Status) + ", now passes"
	}
	// Skipped now.
	if was.Status == Skip {
		return "", false, ""
	}
	return NewlySkipped, false, past(was.Status) + ", now skipped: " + now.Reason
}

// newlyBroken are the rules now breaks at level that was did not break at
// that level, as "rule (level)". A report without findings (one written
// before rules had ids) gives none.
func newlyBroken(was, now *Result, level Level) []string {
	if len(was.Findings) == 0 {
		return nil
	}
	var out []string
	for _, f := range now.Findings {
		if f.Level != level || f.Rule == "" {
			continue
		}
		if !slices.ContainsFunc(was.Findings, func(g Finding) bool { return g.Rule == f.Rule && g.Level == level }) {
			if s := f.Rule + " (" + string(level) + ")"; !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// brokenSuffix is ": breaks r1 (must), r2 (should)", naming the must and
// should rules of now that before did not break at the same level.
func brokenSuffix(now, before []Finding) string {
	var out []string
	for _, f := range now {
		if f.Rule == "" || f.Level == May {
			continue
		}
		if slices.ContainsFunc(before, func(g Finding) bool { return g.Rule == f.Rule && g.Level == f.Level }) {
			continue
		}
		if s := f.Rule + " (" + string(f.Level) + ")"; !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ": breaks " + strings.Join(out, ", ")
}

// sameReason reports whether two outcomes of a case broke the same rules
// in the same steps with the same messages, or, for reports without
// findings, give the same reason. Values that differ on every run (request
// ids, nonces, timestamps) are masked first, so that a reason echoing them
// is the same reason.
func sameReason(a, b *Result) bool {
	if len(a.Findings) == 0 || len(b.Findings) == 0 {
		return len(a.Findings) == len(b.Findings) && stable(a.Reason) == stable(b.Reason)
	}
	key := func(fs []Finding) []string {
		out := make([]string, 0, len(fs))
		for _, f := range fs {
			if f.Level == May {
				continue // a note never changes an outcome
			}
			out = append(out, f.Rule+"\x00"+string(f.Level)+"\x00"+stable(f.Message))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(key(a.Findings), key(b.Findings))
}

// volatile matches what differs between two runs of the same case: UUIDs
// (request ids), long hex strings (nonces, trace ids, hashes), base64
// signatures after "Signature", timestamps (as sent, and percent-encoded
// once or twice) and HTTP dates.
var volatile = regexp.MustCompile(`(?i)` +
	`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}` +
	`|[0-9a-f]{16,}` +
	`|\d{4}-\d{2}-\d{2}T\d{2}(?::|%3A|%253A)\d{2}(?:(?::|%3A|%253A)\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}(?::|%3A|%253A)?\d{2})?` +
	`|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT`)

// stable is s with its volatile values masked.
func stable(s string) string { return volatile.ReplaceAllString(s, "…") }

// CaseKey is a case's stable id, "<scenario>[<style>/<product>]", built
// from its fields (the ID of a result without them).
func CaseKey(r *Result) string {
	if r.ScenarioID == "" || r.Style == "" || r.Product == "" {
		return r.ID
	}
	return r.ScenarioID + "[" + r.Style + "/" + r.Product + "]"
}

func outcome(r *Result) *Outcome {
	if r == nil {
		return nil
	}
	return &Outcome{Status: r.Status, Reason: r.Reason, Findings: r.Findings}
}

func runInfo(r *Report, path string) RunInfo {
	// The totals are counted from the results, as reports count them.
	c := Report{Results: r.Results}
	c.tally()
	return RunInfo{Path: path, Target: r.Target, Started: r.Started, Strict: r.Strict, Totals: c.Totals}
}

func suiteNote(added, removed int) string {
	var parts []string
	if added > 0 {
		parts = append(parts, plural(added, "case")+" not in the baseline")
	}
	if removed > 0 {
		parts = append(parts, plural(removed, "case")+" of the baseline not in this run")
	}
	return strings.Join(parts, " and ") +
		": the baseline comes from another version of the suite or another selection; new cases are judged on their own (a failing one is a regression), removed ones are listed"
}

func plural(n int, what string) string {
	s := strconv.Itoa(n) + " " + what
	if n != 1 {
		s += "s"
	}
	return s
}

// past is a status as a verb in the past: "passed", "was skipped".
func past(status string) string {
	switch status {
	case Pass:
		return "passed"
	case Warn:
		return "warned"
	case Fail:
		return "failed"
	case Skip:
		return "was skipped"
	}
	return "was " + status
}

// present is a case's outcome as a verb: "fails", "was skipped: why".
func present(r *Result) string {
	switch r.Status {
	case Pass:
		return "passes"
	case Warn:
		return "warns"
	case Fail:
		return "fails"
	case Skip:
		return "skipped: " + r.Reason
	}
	return r.Status
}

func strictness(strict bool) string {
	if strict {
		return "with --strict"
	}
	return "without --strict"
}
