package reports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/acsharness/acsharness/conformance"
)

// ANSI SGR codes.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiGreen  = "\x1b[1;32m"
	ansiYellow = "\x1b[33m"
	ansiWarn   = "\x1b[1;33m"
	ansiDim    = "\x1b[2m"
)

// painter colours text when enabled.
type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (p painter) status(s string) string {
	switch s {
	case conformance.Pass:
		return p.paint(ansiGreen, "PASS")
	case conformance.Fail:
		return p.paint(ansiRed, "FAIL")
	case conformance.Warn:
		return p.paint(ansiWarn, "WARN")
	default:
		return p.paint(ansiYellow, "SKIP")
	}
}

// ConformanceText writes the terminal summary: one line per failed or
// warned case with expected versus observed, then each finding with the
// rule it breaks and its level (and, for a string-to-sign mismatch, ours and
// theirs with the first difference marked); counts per category; the rules
// broken, with how many cases broke each; and the verdict.
// color adds ANSI colours (the caller decides: terminal and not NO_COLOR/CI);
// without it the output holds no escape code, not even one sent by the target.
func ConformanceText(w io.Writer, r *conformance.Report, color bool) error {
	if r == nil {
		return errNoReport
	}
	r = redact(r)
	p := painter(color)
	b := bufio.NewWriter(w)
	sum := summarize(r.Results)

	fmt.Fprintf(b, "%s conformance against %s\n", toolName(r), oneLine(r.Target))
	fmt.Fprintf(b, "%s\n", p.paint(ansiDim, runLine(r)))
	if r.Interrupted {
		fmt.Fprintf(b, "%s %s\n", p.paint(ansiWarn, "INTERRUPTED"), interruptedLine())
	}
	for _, f := range r.Findings {
		fmt.Fprintf(b, "%s %s\n", p.paint(ansiYellow, "NOTE"), oneLine(f))
	}
	const indent = "     "
	if d := r.Diagnosis; d != nil {
		for _, l := range d.Lines() {
			fmt.Fprintf(b, "%s %s\n", p.paint(ansiRed, "WHY"), oneLine(l))
		}
		if d.Mismatch != nil {
			p.mismatch(b, indent, d.Mismatch, true)
		}
	}
	fmt.Fprintln(b)

	shown := append(failed(r.Results), withStatus(r.Results, conformance.Warn)...)
	for _, res := range shown {
		fmt.Fprintf(b, "%s %s: %s\n", p.status(res.Status), p.paint(ansiBold, oneLine(res.ID)), headline(res))
		for i, f := range res.Findings {
			if i == maxFindingLines {
				fmt.Fprintf(b, "%s… and %d more findings (see report.json)\n", indent, len(res.Findings)-i)
				break
			}
			fmt.Fprintf(b, "%s%s\n", indent, p.level(f.Level, findingLine(f)))
		}
		if m := res.Mismatch; m != nil {
			p.mismatch(b, indent, m, false)
		}
	}
	if len(shown) > 0 {
		fmt.Fprintln(b)
	}

	rows := [][]string{{"category", "cases", "pass", "warn", "fail", "skip"}}
	for _, t := range sum.ByCategory {
		rows = append(rows, countRow(oneLine(t.Category), t))
	}
	rows = append(rows, countRow("total", sum.Totals))
	writeTable(b, rows, 1)
	fmt.Fprintln(b)

	if broken := brokenRules(r.Results); len(broken) > 0 {
		rows := [][]string{{"rule", "level", "cases"}}
		for _, c := range broken {
			rows = append(rows, []string{oneLine(ruleName(c.Rule)), string(c.Level), strconv.Itoa(c.Cases)})
		}
		fmt.Fprintln(b, "rules broken:")
		var t strings.Builder
		writeTable(&t, rows, 2)
		for _, l := range strings.Split(strings.TrimSuffix(t.String(), "\n"), "\n") {
			fmt.Fprintln(b, "  "+l)
		}
		fmt.Fprintln(b)
	}

	if om := r.Omissions(); len(om) > 0 {
		fmt.Fprintln(b, "not run:")
		counts := make([]string, len(om))
		w := 0
		for i, o := range om {
			counts[i] = "-"
			if o.Cases > 0 {
				counts[i] = strconv.Itoa(o.Cases)
			}
			w = max(w, len(counts[i]))
		}
		for i, o := range om {
			why := oneLine(o.Reason)
			if o.Enable != "" {
				why += ": " + oneLine(o.Enable)
			}
			fmt.Fprintf(b, "  %*s  %s\n", w, counts[i], why)
		}
		fmt.Fprintln(b)
	}

	v := p.paint(ansiGreen, "PASS")
	switch {
	case r.Interrupted:
		v = p.paint(ansiWarn, "INTERRUPTED")
	case sum.Totals.Fail > 0:
		v = p.paint(ansiRed, "FAIL")
	case sum.Totals.Warn > 0:
		v = p.paint(ansiWarn, "WARN")
	}
	fmt.Fprintf(b, "%s %s\n", v, verdict(sum.Totals))
	return b.Flush()
}

func toolName(r *conformance.Report) string {
	if r.Tool == "" {
		return "acsharness"
	}
	return oneLine(r.Tool)
}

// runLine says what ran, when and how long.
func runLine(r *conformance.Report) string {
	var parts []string
	if len(r.Products) > 0 {
		parts = append(parts, "products "+oneLine(strings.Join(r.Products, ", ")))
	}
	parts = append(parts, "started "+r.Started.UTC().Format(time.RFC3339), "took "+seconds(r.Duration))
	if r.ClockOffset != 0 {
		parts = append(parts, "target clock offset "+strconv.FormatFloat(r.ClockOffset, 'f', -1, 64)+" s (timestamps shifted)")
	}
	if r.Strict {
		parts = append(parts, "strict (should rules fail)")
	}
	return strings.Join(parts, " · ")
}

func countRow(name string, t conformance.Totals) []string {
	return []string{name, strconv.Itoa(t.Cases), strconv.Itoa(t.Pass), strconv.Itoa(t.Warn), strconv.Itoa(t.Fail), strconv.Itoa(t.Skip)}
}

// mismatch writes a string-to-sign difference: where, ours and theirs
// around it with the first difference marked; then, when full (the run's
// diagnosis at the top) or for V3, whose string to sign holds only a hash
// of it, the canonical requests' difference when the target echoed its
// own, else our canonical form.
func (p painter) mismatch(w io.Writer, indent string, m *conformance.Mismatch, full bool) {
	p.differs(w, indent, "string to sign", m)
	switch {
	case m.Canonical == "" || !full && !isV3(m):
	case m.TheirCanonical != "":
		p.differs(w, indent, "canonical request", conformance.NewMismatch(m.Canonical, m.TheirCanonical))
	default:
		fmt.Fprintf(w, "%sour %s:\n", indent, canonicalName(m))
		for i, l := range strings.Split(m.Canonical, "\n") {
			if i == maxCanonicalLines {
				fmt.Fprintf(w, "%s  … (see report.json)\n", indent)
				break
			}
			fmt.Fprintf(w, "%s  %s\n", indent, oneLine(l))
		}
	}
}

// differs writes where two strings part, and each around it, marked.
func (p painter) differs(w io.Writer, indent, what string, m *conformance.Mismatch) {
	d := locate(m)
	fmt.Fprintf(w, "%s%s differs at %s:\n", indent, what, d)
	ours, col := snippet(m.Ours, d)
	theirs, _ := snippet(m.Theirs, d)
	fmt.Fprintf(w, "%s  ours    %s\n", indent, ours)
	fmt.Fprintf(w, "%s  theirs  %s\n", indent, theirs)
	fmt.Fprintf(w, "%s  %s%s\n", indent, strings.Repeat(" ", len("theirs  ")+col), p.paint(ansiRed, "^"))
}

// maxCanonicalLines bounds a canonical request on the terminal.
const maxCanonicalLines = 24

// maxFindingLines bounds the findings printed under one case.
const maxFindingLines = 8

// level colours a finding by its level.
func (p painter) level(lv conformance.Level, s string) string {
	switch lv {
	case conformance.Must:
		return p.paint(ansiRed, s)
	case conformance.Should:
		return p.paint(ansiYellow, s)
	}
	return p.paint(ansiDim, s)
}

// writeTable writes rows in aligned columns: the first `left` columns
// left-aligned, the others right-aligned. Cells carry no colour, so the
// widths are right.
func writeTable(w io.Writer, rows [][]string, left int) {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], width(c))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			if i < left {
				line.WriteString(pad(c, widths[i]))
			} else {
				line.WriteString(strings.Repeat(" ", widths[i]-width(c)) + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
}

// SelftestText writes the self-test matrix: the baseline verdict, then one row
// per fault (name, category, the rules it breaks, caught yes/no, the
// scenarios that caught it, abbreviated), one row per must and should rule
// (its faults, each marked caught or not), and the mutation score.
func SelftestText(w io.Writer, s *conformance.SelfTestReport, color bool) error {
	if s == nil {
		return errNoReport
	}
	p := painter(color)
	b := bufio.NewWriter(w)

	base := baseline(s)
	fmt.Fprintln(b, "acsharness self-test")
	if base.Failed {
		fmt.Fprintf(b, "baseline: %s %s: %s\n", p.paint(ansiRed, "FAIL"), verdict(base.Totals), oneLine(strings.Join(base.FailedCases, ", ")))
	} else {
		fmt.Fprintf(b, "baseline: %s %s\n", p.paint(ansiGreen, "PASS"), verdict(base.Totals))
	}
	fmt.Fprintln(b)

	if len(s.Faults) > 0 {
		rows := [][]string{{"fault", "category", "rules", "caught", "caught by"}}
		for _, f := range s.Faults {
			caught := "no"
			if f.Caught() {
				caught = "yes"
			}
			rows = append(rows, []string{oneLine(f.Fault.Name), oneLine(f.Fault.Category), oneLine(strings.Join(f.Fault.Rules, ", ")),
				caught, abbreviate(f.CaughtByScenario(), 3)})
		}
		p.redRows(b, rows, func(i int) bool { return !s.Faults[i].Caught() })
		var missed []conformance.FaultResult
		for _, f := range s.Faults {
			if !f.Caught() {
				missed = append(missed, f)
			}
		}
		if len(missed) > 0 {
			fmt.Fprintln(b, "not caught:")
			for _, f := range missed {
				fmt.Fprintf(b, "  %s: %s\n", oneLine(f.Fault.Name), oneLine(f.Fault.About))
			}
			fmt.Fprintln(b)
		}
	}

	if len(s.Rules) > 0 {
		rows := [][]string{{"rule", "level", "faults (✓ caught by the rule, ✗ not)"}}
		for _, m := range s.Rules {
			var fs []string
			for _, f := range m.Faults {
				mark := "✗"
				if f.Caught {
					mark = "✓"
				}
				fs = append(fs, oneLine(f.Fault)+" "+mark)
			}
			if len(fs) == 0 {
				fs = []string{"none"}
			}
			rows = append(rows, []string{oneLine(m.Rule), string(m.Level), strings.Join(fs, ", ")})
		}
		p.redRows(b, rows, func(i int) bool { return !s.Rules[i].Caught() })
	}

	caught := caughtCount(s)
	fmt.Fprintf(b, "mutation score: %s (%d of %d faults caught)\n", percent(s.Score), caught, len(s.Faults))
	switch {
	case selftestPassed(s):
		fmt.Fprintf(b, "%s self-test: the baseline passed and every fault was caught\n", p.paint(ansiGreen, "PASS"))
	case base.Failed:
		fmt.Fprintf(b, "%s self-test: the baseline must pass whole, without a warning\n", p.paint(ansiRed, "FAIL"))
	default:
		fmt.Fprintf(b, "%s self-test: %d of %d faults went uncaught\n", p.paint(ansiRed, "FAIL"), len(s.Faults)-caught, len(s.Faults))
	}
	return b.Flush()
}

// redRows writes a table left-aligned, aligned uncoloured, then colours the
// whole line of each data row i (from 0) where red(i), and a blank line.
func (p painter) redRows(w io.Writer, rows [][]string, red func(int) bool) {
	var t strings.Builder
	writeTable(&t, rows, len(rows[0]))
	for i, l := range strings.Split(strings.TrimSuffix(t.String(), "\n"), "\n") {
		if i > 0 && red(i-1) {
			l = p.paint(ansiRed, l)
		}
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
}

// abbreviate joins the first n items and counts the rest.
func abbreviate(items []string, n int) string {
	if len(items) == 0 {
		return "-"
	}
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(", +%d more", len(items)-n)
}

// baselineSummary is what a self-test's baseline run says.
type baselineSummary struct {
	Failed      bool
	Totals      conformance.Totals
	FailedCases []string
}

func baseline(s *conformance.SelfTestReport) baselineSummary {
	if s.Baseline == nil {
		return baselineSummary{Failed: true, FailedCases: []string{"(no baseline run)"}}
	}
	sum := summarize(s.Baseline.Results)
	out := baselineSummary{Failed: sum.Totals.Fail > 0 || sum.Totals.Warn > 0, Totals: sum.Totals}
	for _, res := range append(failed(s.Baseline.Results), withStatus(s.Baseline.Results, conformance.Warn)...) {
		out.FailedCases = append(out.FailedCases, res.ID)
	}
	return out
}

func caughtCount(s *conformance.SelfTestReport) int {
	n := 0
	for _, f := range s.Faults {
		if f.Caught() {
			n++
		}
	}
	return n
}

// selftestPassed is SelfTestReport.Passed, safe without a baseline.
func selftestPassed(s *conformance.SelfTestReport) bool {
	return s.Baseline != nil && s.Passed()
}
