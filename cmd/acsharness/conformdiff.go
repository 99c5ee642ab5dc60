package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/reports"
)

// runReportDiffConformance is `report diff OLD NEW` for two conformance
// reports (directories or report.json files): what became of each case, in
// format (text, markdown or json). It exits 1 when a case regressed, 0
// otherwise (cases failing as in OLD do not count), and 2 for a report it
// cannot read or a --regression threshold, which is for load reports.
func runReportDiffConformance(e *env, oldPath, newPath, format, color string, regressions []string) int {
	if len(regressions) > 0 {
		return usageError(e, "report diff", "--regression thresholds compare load reports; %s and %s are conformance reports, compared case by case: drop --regression", oldPath, newPath)
	}
	var reps [2]*conformance.Report
	for i, p := range []string{oldPath, newPath} {
		r, err := reports.ReadConformance(p)
		if err != nil {
			return usageError(e, "report diff", "%v", err)
		}
		reps[i] = r
	}
	d := reports.CompareConformance(reps[0], reps[1], reportFile(oldPath), reportFile(newPath))
	if err := renderDiff(e.stdout, d, format, useColor(e, e.stdout, color)); err != nil {
		fmt.Fprintf(e.stderr, "acsharness report diff: %v\n", err)
		return exitInternal
	}
	return diffCode(d)
}

// reportFile is the report.json a path names, as a diff shows it.
func reportFile(path string) string {
	if strings.EqualFold(filepath.Base(path), reports.ConformanceFile) {
		return path
	}
	return filepath.Join(path, reports.ConformanceFile)
}

func renderDiff(w io.Writer, d *conformance.Diff, format string, color bool) error {
	switch format {
	case "json":
		return reports.ConformanceDiffJSON(w, d)
	case "markdown":
		return reports.ConformanceDiffMarkdown(w, d)
	}
	return reports.ConformanceDiffText(w, d, color)
}

// diffCode is a comparison's exit code: 1 when a case regressed, else 0.
func diffCode(d *conformance.Diff) int {
	if d.Regressed() {
		return exitFailed
	}
	return exitOK
}

// baselineFlags are conform's --baseline: a previous run to compare with,
// read before anything is sent.
type baselineFlags struct {
	baseline string
	base     *conformance.Report
}

func (b *baselineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.baseline, "baseline", "", "compare with a previous run: its --report-dir (or its report.json); exit 1 only when a case regressed (fails and did not, or breaks a must rule more), not for the failures the baseline already has")
}

// loadBaseline reads --baseline; an unreadable or malformed baseline is a
// usage error, found before anything is sent.
func (b *baselineFlags) loadBaseline(list bool) error {
	if b.baseline == "" {
		return nil
	}
	if list {
		return errors.New("--baseline compares a run with a previous one, and --list runs nothing: drop one of them")
	}
	r, err := reports.ReadConformance(b.baseline)
	if err != nil {
		return fmt.Errorf("--baseline: %w", err)
	}
	b.base = r
	return nil
}

// gate compares the run with the baseline, prints the comparison, writes
// baseline-diff.md and baseline-diff.json into reportDir (when given), and
// returns the run's exit code against the baseline: 1 when a case
// regressed, 0 when the run fails only as the baseline did. Any other code
// (a run of nothing, say) is kept.
func (b *baselineFlags) gate(e *env, rep *conformance.Report, reportDir string, quiet, color bool, code int) int {
	if b.base == nil {
		return code
	}
	d := reports.CompareConformance(b.base, rep, reportFile(b.baseline), "")
	fmt.Fprintln(e.stdout)
	if quiet {
		fmt.Fprintln(e.stdout, reports.ConformanceDiffHeadline(d, color))
	} else if err := reports.ConformanceDiffText(e.stdout, d, color); err != nil {
		fmt.Fprintf(e.stderr, "acsharness conform: %v\n", err)
		return exitInternal
	}
	if reportDir != "" {
		d.Run.Path = filepath.Join(reportDir, reports.ConformanceFile)
		paths, err := reports.WriteConformanceDiff(reportDir, d)
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness conform: %v\n", err)
			return exitInternal
		}
		fmt.Fprintf(e.stdout, "baseline comparison: %s\n", strings.Join(paths, ", "))
	}
	if code != exitOK && code != exitFailed {
		return code
	}
	return diffCode(d)
}
