package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/acsharness/acsharness/conformance"
)

var errNoDiff = errors.New("no comparison to render")

// CompareConformance compares a run with its baseline (conformance.Compare)
// after the defensive redaction every renderer applies, so that a message
// redacted in the baseline's report.json and not yet in a run held in
// memory is the same message, not a changed reason.
func CompareConformance(baseline, run *conformance.Report, baselinePath, runPath string) *conformance.Diff {
	return conformance.Compare(redact(outcomes(baseline)), redact(outcomes(run)), baselinePath, runPath)
}

// outcomes is r without what a comparison neither reads nor shows (each
// step's request and response, the string-to-sign mismatch, the title,
// expected and observed), so that the redaction before it passes over a
// few short strings per case rather than every trace.
func outcomes(r *conformance.Report) *conformance.Report {
	out := *r
	out.Results = make([]conformance.Result, len(r.Results))
	for i, res := range r.Results {
		res.Steps, res.Mismatch, res.Title, res.Expected, res.Observed = nil, nil, "", "", ""
		out.Results[i] = res
	}
	return &out
}

// diffSections are the kinds of change as reports head them, in
// conformance.Kinds order.
var diffSections = map[conformance.Kind]string{
	conformance.NewlyFailing: "newly failing",
	conformance.Changed:      "changed reason",
	conformance.New:          "new cases (not in the baseline)",
	conformance.NewlyWarning: "newly warning",
	conformance.NewlyPassing: "newly passing",
	conformance.NewlySkipped: "newly skipped (no longer checked)",
	conformance.Removed:      "removed (in the baseline, not in this run)",
	conformance.StillFailing: "still failing, as in the baseline",
}

// maxDiffFindings bounds the findings shown under one case of a diff.
const maxDiffFindings = 3

// ConformanceDiffText writes a conformance run's comparison with its
// baseline for a terminal: the two runs, what makes them less comparable,
// then each kind of change with its cases (each with why, and the rules it
// breaks now with their level), the cases still failing, and the verdict.
func ConformanceDiffText(w io.Writer, d *conformance.Diff, color bool) error {
	if d == nil {
		return errNoDiff
	}
	d = redactDiff(d)
	p := painter(color)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "baseline   %s\n", runInfoLine(d.Baseline))
	fmt.Fprintf(b, "this run   %s\n", runInfoLine(d.Run))
	for _, n := range d.Notes {
		fmt.Fprintf(b, "%s %s\n", p.paint(ansiYellow, "NOTE"), oneLine(n))
	}
	for _, k := range conformance.Kinds {
		cases := d.Of(k)
		if len(cases) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n%s (%d):\n", diffSections[k], len(cases))
		for _, c := range cases {
			mark := " "
			switch {
			case c.Regression:
				mark = p.paint(ansiRed, "✗")
			case k == conformance.NewlyPassing:
				mark = p.paint(ansiGreen, "✓")
			}
			fmt.Fprintf(b, "  %s %s: %s\n", mark, p.paint(ansiBold, oneLine(c.ID)), oneLine(c.Why))
			for _, l := range detail(c) {
				fmt.Fprintf(b, "      %s\n", l)
			}
		}
	}
	fmt.Fprintln(b)
	fmt.Fprintln(b, diffHeadline(d, p))
	return b.Flush()
}

// ConformanceDiffHeadline is the comparison's verdict in one line:
// "REGRESSED 2 cases regressed (…); 3 cases still failing as in the
// baseline", or "NO REGRESSION against the baseline; …".
func ConformanceDiffHeadline(d *conformance.Diff, color bool) string {
	if d == nil {
		return ""
	}
	return diffHeadline(redactDiff(d), painter(color))
}

func diffHeadline(d *conformance.Diff, p painter) string {
	if d.Regressed() {
		return p.paint(ansiRed, "REGRESSED") + " " + diffVerdict(d)
	}
	return p.paint(ansiGreen, "NO REGRESSION") + " " + diffVerdict(d)
}

// runInfoLine is one run of a diff in a line.
func runInfoLine(r conformance.RunInfo) string {
	parts := []string{counted(r.Totals.Cases, "case") + ": " + totalsLine(r.Totals)}
	if r.Path != "" {
		parts = append([]string{oneLine(r.Path)}, parts...)
	}
	if r.Target != "" {
		parts = append(parts, "target "+oneLine(r.Target))
	}
	if !r.Started.IsZero() {
		parts = append(parts, "started "+r.Started.UTC().Format(time.RFC3339))
	}
	if r.Strict {
		parts = append(parts, "strict")
	}
	return strings.Join(parts, " · ")
}

func totalsLine(t conformance.Totals) string {
	return fmt.Sprintf("%d passed, %d warned, %d failed, %d skipped", t.Pass, t.Warn, t.Fail, t.Skip)
}

// detail is what a diff shows under a case: the must and should findings
// of its outcome now (or, without findings, its reason), at most a few.
func detail(c conformance.CaseDiff) []string {
	o := c.Now
	if o == nil || o.Status == conformance.Pass || o.Status == conformance.Skip {
		return nil
	}
	var out []string
	for _, f := range o.Findings {
		if f.Level == conformance.May {
			continue
		}
		if len(out) == maxDiffFindings {
			out = append(out, "…")
			break
		}
		out = append(out, cut(findingLine(f), 200))
	}
	if len(out) == 0 && o.Reason != "" {
		out = append(out, cut(oneLine(o.Reason), 200))
	}
	return out
}

// diffVerdict is the comparison's outcome in a line.
func diffVerdict(d *conformance.Diff) string {
	still := len(d.Failing()) - d.Regressions
	var s string
	if d.Regressed() {
		var parts []string
		for _, k := range []conformance.Kind{conformance.NewlyFailing, conformance.New, conformance.Changed} {
			n := 0
			for _, c := range d.Of(k) {
				if c.Regression {
					n++
				}
			}
			if n > 0 {
				parts = append(parts, strconv.Itoa(n)+" "+map[conformance.Kind]string{
					conformance.NewlyFailing: "newly failing",
					conformance.New:          "new and failing",
					conformance.Changed:      "failing and breaking a must rule more",
				}[k])
			}
		}
		s = counted(d.Regressions, "case") + " regressed (" + strings.Join(parts, ", ") + ")"
	} else {
		s = "against the baseline"
	}
	if still > 0 {
		s += "; " + counted(still, "case") + " still failing as in the baseline"
	}
	if n := d.Counts[conformance.NewlyPassing]; n > 0 {
		s += "; " + counted(n, "case") + " newly passing"
	}
	return s
}

// counted is "1 case", "2 cases".
func counted(n int, what string) string { return strconv.Itoa(n) + " " + what + plural(n) }

// Caps that keep the diff's Markdown well within a step summary.
const (
	mdMaxDiffCases = 200
	mdMaxStill     = 300
)

// ConformanceDiffMarkdown writes the comparison for a CI step summary
// ($GITHUB_STEP_SUMMARY): a headline verdict, the two runs, the counts of
// each kind of change, a table per kind (case, was, now, why and the
// rules broken), and the cases still failing in a <details> block.
func ConformanceDiffMarkdown(w io.Writer, d *conformance.Diff) error {
	if d == nil {
		return errNoDiff
	}
	d = redactDiff(d)
	b := bufio.NewWriter(w)
	mark, head := "✅", "no regression"
	if d.Regressed() {
		mark, head = "❌", "regressed"
	}
	fmt.Fprintf(b, "## %s Conformance against the baseline: %s\n\n", mark, mdText(head))
	fmt.Fprintf(b, "%s\n\n", mdText(diffVerdict(d)))
	fmt.Fprintf(b, "- Baseline: %s\n- This run: %s\n\n", mdText(runInfoLine(d.Baseline)), mdText(runInfoLine(d.Run)))
	for _, n := range d.Notes {
		fmt.Fprintf(b, "> **Note:** %s\n\n", mdText(n))
	}
	b.WriteString("| Change | Cases |\n| :-- | --: |\n")
	for _, k := range conformance.Kinds {
		fmt.Fprintf(b, "| %s | %d |\n", mdText(diffSections[k]), d.Counts[k])
	}
	fmt.Fprintf(b, "| unchanged | %d |\n", d.Unchanged)
	for _, k := range conformance.Kinds {
		cases := d.Of(k)
		if len(cases) == 0 {
			continue
		}
		limit := mdMaxDiffCases
		open, closing := fmt.Sprintf("\n### %s (%d)\n\n", mdText(capitalize(diffSections[k])), len(cases)), ""
		if k == conformance.StillFailing || k == conformance.Removed || k == conformance.NewlySkipped {
			// Known, or not about the target: folded away.
			open = fmt.Sprintf("\n<details><summary>%s (%d)</summary>\n\n", mdText(capitalize(diffSections[k])), len(cases))
			closing = "\n</details>\n"
			if k == conformance.StillFailing {
				limit = mdMaxStill
			}
		}
		b.WriteString(open)
		b.WriteString("| | Case | Was | Now | Why |\n| :-: | :-- | :-- | :-- | :-- |\n")
		for _, c := range cases[:min(len(cases), limit)] {
			mark := ""
			if c.Regression {
				mark = "❌"
			}
			why := mdText(c.Why)
			if lines := detail(c); len(lines) > 0 {
				why += "<br>" + strings.Join(mdLines(lines), "<br>")
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mark, mdText(c.ID), status(c.Was), status(c.Now), why)
		}
		more(b, len(cases)-limit, "cases")
		b.WriteString(closing)
	}
	return b.Flush()
}

func mdLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = mdText(l)
	}
	return out
}

// status is an outcome's status, or "-" where the case is not in the run.
func status(o *conformance.Outcome) string {
	if o == nil {
		return "-"
	}
	return mdText(o.Status)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// diffJSONVersion changes when a field of the diff's JSON changes meaning
// or goes away.
const diffJSONVersion = 1

type jsonDiff struct {
	Version int `json:"diff_version"`
	// Verdict is "regressed" or "no-regression".
	Verdict string `json:"verdict"`
	*conformance.Diff
}

// ConformanceDiffJSON writes the comparison as JSON: the verdict, the two
// runs, the notes, the counts of each kind, and each case that changed
// with its kind, whether it regressed, why, and its outcome in each run
// (status, reason, findings with rule and level).
func ConformanceDiffJSON(w io.Writer, d *conformance.Diff) error {
	if d == nil {
		return errNoDiff
	}
	v := "no-regression"
	if d.Regressed() {
		v = "regressed"
	}
	return encodeJSON(w, jsonDiff{Version: diffJSONVersion, Verdict: v, Diff: redactDiff(d)})
}

// Files WriteConformanceDiff writes.
const (
	DiffMarkdownFile = "baseline-diff.md"
	DiffJSONFile     = "baseline-diff.json"
)

// WriteConformanceDiff writes baseline-diff.md and baseline-diff.json into
// dir (creating it), each atomically, and returns the paths written.
func WriteConformanceDiff(dir string, d *conformance.Diff) ([]string, error) {
	if d == nil {
		return nil, errNoDiff
	}
	return writeRendered(dir, d, []struct {
		name   string
		render func(io.Writer, *conformance.Diff) error
	}{
		{DiffMarkdownFile, ConformanceDiffMarkdown},
		{DiffJSONFile, ConformanceDiffJSON},
	})
}

// redactDiff returns a deep copy of d with every free-text field passed
// through redactText, as every conformance renderer does with a report:
// the reports a diff reads were redacted when written, and a run compared
// in memory was redacted by its caller, but a trace either missed must not
// reach a step summary.
func redactDiff(d *conformance.Diff) *conformance.Diff {
	out := *d
	for _, r := range []*conformance.RunInfo{&out.Baseline, &out.Run} {
		r.Path, r.Target = redactText(r.Path), redactText(r.Target)
	}
	out.Notes = make([]string, len(d.Notes))
	for i, n := range d.Notes {
		out.Notes[i] = redactText(n)
	}
	out.Counts = make(map[conformance.Kind]int, len(d.Counts))
	for k, n := range d.Counts {
		out.Counts[k] = n
	}
	out.Cases = make([]conformance.CaseDiff, len(d.Cases))
	for i, c := range d.Cases {
		c.ID, c.Why = redactText(c.ID), redactText(c.Why)
		c.Was, c.Now = redactOutcome(c.Was), redactOutcome(c.Now)
		out.Cases[i] = c
	}
	return &out
}

func redactOutcome(o *conformance.Outcome) *conformance.Outcome {
	if o == nil {
		return nil
	}
	c := *o
	c.Reason = redactText(o.Reason)
	if o.Findings != nil {
		c.Findings = make([]conformance.Finding, len(o.Findings))
		for i, f := range o.Findings {
			f.Message = redactText(f.Message)
			c.Findings[i] = f
		}
	}
	return &c
}
