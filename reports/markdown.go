package reports

import (
	"bufio"
	"fmt"
	"io"
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
	case sum.Totals.Fail > 0:
		mark = "❌"
	case sum.Totals.Warn > 0:
		mark = "⚠️"
	}
	fmt.Fprintf(b, "## %s %s conformance: %s\n\n", mark, mdText(toolName(r)), verdict(sum.Totals))
	fmt.Fprintf(b, "Target %s · %s\n\n", mdText(r.Target), mdText(runLine(r)))
	for _, f := range r.Findings {
		fmt.Fprintf(b, "> **Note:** %s\n\n", mdText(f))
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
		b.WriteString("\n### Failures\n\n| Case | Rule | Expected | Observed |\n| :-- | :-- | :-- | :-- |\n")
		for _, res := range fails[:min(len(fails), mdMaxFailures)] {
			observed := res.Observed
			if res.Expected == "" && observed == "" {
				observed = res.Reason
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdText(res.ID), mdText(strings.Trim(ruleTag(res), "[] ")), mdText(res.Expected), mdText(observed))
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
			m := res.Mismatch
			lines := append([]string{"--- ours", "+++ theirs (echoed by the gateway)"}, lineDiff(m.Ours, m.Theirs)...)
			body := strings.Join(lines, "\n")
			fence := "```"
			for strings.Contains(body, fence) {
				fence += "`"
			}
			fmt.Fprintf(b, "\n**%s**: first difference at %s\n\n%sdiff\n%s\n%s\n", mdText(res.ID), locate(m), fence, body, fence)
		}
		more(b, len(mismatched)-mdMaxMismatches, "mismatches")
	}

	var skips []*conformance.Result
	for i := range r.Results {
		if r.Results[i].Status == conformance.Skip {
			skips = append(skips, &r.Results[i])
		}
	}
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
