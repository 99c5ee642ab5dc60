package reports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/acsharness/acsharness/conformance"
)

// Caps that keep report.md well under the 1 MiB GitHub allows a step
// summary; the other formats list everything.
const (
	mdMaxFailures   = 200
	mdMaxMismatches = 20
	mdMaxSkips      = 200
)

// ConformanceMarkdown writes report.md for CI step summaries
// ($GITHUB_STEP_SUMMARY): a headline verdict, the totals by category, the
// rules broken with their levels, a table of failures (id, the rule broken
// and its level, expected, observed), a table of warnings (should rules),
// string-to-sign mismatches as fenced diffs, and the skips with their
// reasons in a <details> block.
func ConformanceMarkdown(w io.Writer, r *conformance.Report) error {
	if r == nil {
		return errNoReport
	}
	r = redact(r)
	b := bufio.NewWriter(w)
	sum := summarize(r.Results)

	mark := "✅"
	switch {
	case r.Interrupted:
		mark = "⏹️ interrupted:"
	case sum.Totals.Fail > 0:
		mark = "❌"
	case sum.Totals.Warn > 0:
		mark = "⚠️"
	}
	fmt.Fprintf(b, "## %s %s conformance: %s\n\n", mark, mdText(toolName(r)), verdict(sum.Totals))
	fmt.Fprintf(b, "Target %s · %s\n\n", mdText(r.Target), mdText(runLine(r)))
	if r.Interrupted {
		fmt.Fprintf(b, "> **Interrupted:** %s\n\n", mdText(interruptedLine()))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(b, "> **Note:** %s\n\n", mdText(f))
	}
	if d := r.Diagnosis; d != nil {
		for _, l := range d.Lines() {
			fmt.Fprintf(b, "> **Why:** %s\n\n", mdText(l))
		}
		if d.Mismatch != nil {
			mdMismatch(b, d.Mismatch, true)
			b.WriteString("\n")
		}
	}

	b.WriteString("| Category | Cases | Pass | Warn | Fail | Skip |\n| :-- | --: | --: | --: | --: | --: |\n")
	for _, t := range sum.ByCategory {
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d |\n", mdText(t.Category), t.Cases, t.Pass, t.Warn, t.Fail, t.Skip)
	}
	t := sum.Totals
	fmt.Fprintf(b, "| **Total** | **%d** | **%d** | **%d** | **%d** | **%d** |\n", t.Cases, t.Pass, t.Warn, t.Fail, t.Skip)

	if broken := brokenRules(r.Results); len(broken) > 0 {
		b.WriteString("\n### Rules broken\n\n| Rule | Level | Cases |\n| :-- | :-- | --: |\n")
		for _, c := range broken {
			fmt.Fprintf(b, "| %s | %s | %d |\n", mdText(ruleName(c.Rule)), c.Level, c.Cases)
		}
	}

	fails := failed(r.Results)
	if len(fails) > 0 {
		b.WriteString("\n### Failures\n\n| Case | Rule | Expected | Observed | Reason |\n| :-- | :-- | :-- | :-- | :-- |\n")
		for _, res := range fails[:min(len(fails), mdMaxFailures)] {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdText(res.ID), mdText(strings.Trim(ruleTag(res), "[] ")), mdText(res.Expected),
				mdText(res.Observed), mdText(reason(res)))
		}
		more(b, len(fails)-mdMaxFailures, "failures")
	}

	var warnings [][2]string
	for _, res := range r.Results {
		for _, f := range res.Findings {
			if f.Level == conformance.Should && res.Status != conformance.Fail {
				warnings = append(warnings, [2]string{res.ID, findingLine(f)})
			}
		}
	}
	if len(warnings) > 0 {
		b.WriteString("\n### Warnings\n\nShould rules: the real gateway's observed form, which no known client relies on; `--strict` fails them.\n\n| Case | Warning |\n| :-- | :-- |\n")
		for _, w := range warnings[:min(len(warnings), mdMaxFailures)] {
			fmt.Fprintf(b, "| %s | %s |\n", mdText(w[0]), mdText(w[1]))
		}
		more(b, len(warnings)-mdMaxFailures, "warnings")
	}

	var mismatched []*conformance.Result
	for _, res := range fails {
		if res.Mismatch != nil {
			mismatched = append(mismatched, res)
		}
	}
	if len(mismatched) > 0 {
		b.WriteString("\n### String-to-sign mismatches\n")
		for _, res := range mismatched[:min(len(mismatched), mdMaxMismatches)] {
			fmt.Fprintf(b, "\n**%s**: ", mdText(res.ID))
			mdMismatch(b, res.Mismatch, false)
		}
		more(b, len(mismatched)-mdMaxMismatches, "mismatches")
	}

	if om := r.Omissions(); len(om) > 0 {
		b.WriteString("\n### Not run\n\n| Cases | Reason | To run them |\n| --: | :-- | :-- |\n")
		for _, o := range om {
			n := "–"
			if o.Cases > 0 {
				n = strconv.Itoa(o.Cases)
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", n, mdText(o.Reason), mdText(o.Enable))
		}
	}

	skips := withStatus(r.Results, conformance.Skip)
	if len(skips) > 0 {
		fmt.Fprintf(b, "\n<details><summary>%d skipped cases</summary>\n\n| Case | Reason |\n| :-- | :-- |\n", len(skips))
		for _, res := range skips[:min(len(skips), mdMaxSkips)] {
			fmt.Fprintf(b, "| %s | %s |\n", mdText(res.ID), mdText(res.Reason))
		}
		more(b, len(skips)-mdMaxSkips, "skips")
		b.WriteString("\n</details>\n")
	}
	return b.Flush()
}

// mdMismatch writes a string-to-sign difference as a fenced diff, and,
// when full or for V3 (whose string to sign holds only a hash), the
// canonical requests' diff, or our canonical form.
func mdMismatch(w io.Writer, m *conformance.Mismatch, full bool) {
	fmt.Fprintf(w, "first difference at %s\n", locate(m))
	mdDiff(w, m.Ours, m.Theirs)
	switch {
	case m.Canonical == "" || !full && !isV3(m):
	case m.TheirCanonical != "":
		fmt.Fprintf(w, "\ncanonical request: first difference at %s\n", locate(conformance.NewMismatch(m.Canonical, m.TheirCanonical)))
		mdDiff(w, m.Canonical, m.TheirCanonical)
	default:
		body := visible(m.Canonical, true)
		fmt.Fprintf(w, "\nour %s:\n\n%s\n%s\n%s\n", canonicalName(m), fence(body), body, fence(body))
	}
}

// mdDiff writes ours and theirs as a fenced line diff, after a blank line.
func mdDiff(w io.Writer, ours, theirs string) {
	lines := append([]string{"--- ours", "+++ theirs (echoed by the gateway)"}, lineDiff(ours, theirs)...)
	body := strings.Join(lines, "\n")
	fmt.Fprintf(w, "\n%sdiff\n%s\n%s\n", fence(body), body, fence(body))
}

// fence is a code fence longer than any run of backticks in body.
func fence(body string) string {
	f := "```"
	for strings.Contains(body, f) {
		f += "`"
	}
	return f
}

func more(w io.Writer, n int, what string) {
	if n > 0 {
		fmt.Fprintf(w, "\n… and %d more %s: see report.html or report.json.\n", n, what)
	}
}

// mdText escapes s for a Markdown table cell or line: the punctuation
// that Markdown or a table would read (| most of all) gets a backslash,
// HTML tags cannot open, and newlines become <br>.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range visible(s, true) {
		switch {
		case r == '\n':
			b.WriteString("<br>")
		case strings.ContainsRune("\\`*_[]<>|~&#!", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
