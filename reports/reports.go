// Package reports renders what package conformance produces: a terminal
// summary, report.json, junit.xml, report.md and a self-contained
// report.html for a conformance run, and the matrix of a self-test.
//
// Every renderer works on a redacted copy of the report (see redact.go):
// the runner already hides signatures and secrets, and reports hides them
// again, so that a trace the runner missed never reaches a CI artifact.
package reports

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/signature"
)

var errNoReport = errors.New("no report to render")

// summary counts the outcomes of a report's results, overall and per
// category. Reports count from the results rather than trust Totals, so
// that every format agrees with the cases it lists.
type summary struct {
	Totals     conformance.Totals
	ByCategory []conformance.Totals
}

// summarize counts the results, the categories in conformance.Categories
// order, then unknown ones in order of first appearance.
func summarize(results []conformance.Result) summary {
	order := slices.Clone(conformance.Categories)
	for _, res := range results {
		if !slices.Contains(order, res.Category) {
			order = append(order, res.Category)
		}
	}
	counts := make([]conformance.Totals, len(order))
	for i, c := range order {
		counts[i].Category = c
	}
	var s summary
	for _, res := range results {
		for _, t := range []*conformance.Totals{&s.Totals, &counts[slices.Index(order, res.Category)]} {
			t.Cases++
			switch res.Status {
			case conformance.Pass:
				t.Pass++
			case conformance.Warn:
				t.Warn++
			case conformance.Fail:
				t.Fail++
			case conformance.Skip:
				t.Skip++
			}
		}
	}
	for _, t := range counts {
		if t.Cases > 0 {
			s.ByCategory = append(s.ByCategory, t)
		}
	}
	return s
}

// verdict is the one-line outcome of a run.
func verdict(t conformance.Totals) string {
	warned := ""
	if t.Warn > 0 {
		warned = fmt.Sprintf(", %d warned", t.Warn)
	}
	switch {
	case t.Cases == 0:
		return "no cases ran"
	case t.Fail > 0:
		return fmt.Sprintf("%d of %d cases failed (%d passed%s, %d skipped)", t.Fail, t.Cases, t.Pass, warned, t.Skip)
	case t.Warn > 0:
		return fmt.Sprintf("no case failed; %d of %d warned (should rules; they fail under --strict) (%d passed, %d skipped)", t.Warn, t.Cases, t.Pass, t.Skip)
	case t.Skip > 0:
		return fmt.Sprintf("no case failed (%d passed, %d skipped)", t.Pass, t.Skip)
	default:
		return fmt.Sprintf("all %d cases passed", t.Cases)
	}
}

// seconds formats a duration in seconds for people: "0.012 s", "3.2 s".
func seconds(s float64) string {
	if s < 1 {
		return strconv.FormatFloat(s, 'f', 3, 64) + " s"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + " s"
}

// percent formats a share in [0, 1] as "91.7%".
func percent(share float64) string {
	return strconv.FormatFloat(math.Round(share*1000)/10, 'f', -1, 64) + "%"
}

// visible escapes control characters, bidirectional overrides, XML's
// forbidden characters and invalid UTF-8, so that text from the target
// cannot move the cursor, colour a terminal, reorder a line or break an
// XML file; newlines are kept when keepNewlines. CJK and emoji pass.
func visible(s string, keepNewlines bool) string {
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufffe' || r == '\uffff' || unicode.In(r, unicode.Bidi_Control):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine is visible text on a single line.
func oneLine(s string) string { return visible(s, false) }

// width is the number of terminal columns s takes: two for East Asian
// wide characters and most emoji, none for combining marks.
func width(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || r == '\u200d' || r == '\ufe0f':
		case isWide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	for _, rg := range [...][2]rune{
		{0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
		{0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F}, {0xFF00, 0xFF60},
		{0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
	} {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// pad right-pads s with spaces to w columns.
func pad(s string, w int) string {
	if n := width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// expectedObserved is a failure in one line: "expected X; observed Y", or
// the reason when the runner recorded neither.
func expectedObserved(r *conformance.Result) string {
	if r.Expected == "" && r.Observed == "" {
		return oneLine(r.Reason)
	}
	return "expected " + oneLine(r.Expected) + "; observed " + oneLine(r.Observed)
}

// headline is a failed case in one line: expected versus observed, and
// the cause when the answer's status and code were the ones expected
// ("… — answered JSON to a request asking Format=XML, expected XML").
func headline(r *conformance.Result) string {
	if r.Cause == "" {
		return expectedObserved(r)
	}
	return expectedObserved(r) + " — " + oneLine(r.Cause)
}

// reason is why a failed case failed, for a table cell: its cause, else
// its first failing finding, else the runner's reason.
func reason(r *conformance.Result) string {
	if r.Cause != "" {
		return r.Cause
	}
	for _, f := range r.Findings {
		if f.Level == conformance.Must || f.Level == conformance.Should && r.Status == conformance.Fail {
			return f.Message
		}
	}
	return r.Reason
}

// interruptedLine says what an interrupted run's reports cover.
func interruptedLine() string {
	return "the run was stopped before it finished: the cases it did not start or finish are skipped as interrupted, not failed; the counts cover the cases that ran"
}

// isV3 reports whether a mismatch is of V3 strings to sign, which hold
// only the hash of the canonical request (docs/protocol.md §3.3).
func isV3(m *conformance.Mismatch) bool {
	return strings.HasPrefix(m.Ours, signature.V3Algorithm+"\n")
}

// canonicalName names a mismatch's canonical form by its style (docs/protocol.md
// §1.4, §2.3, §3.3): an RPC string to sign is one line, "METHOD&%2F&…".
func canonicalName(m *conformance.Mismatch) string {
	switch {
	case isV3(m):
		return "canonical request"
	case !strings.Contains(m.Ours, "\n"):
		return "canonical query string"
	}
	return "canonicalized headers and resource"
}

// failed returns the failed results, in report order.
func failed(results []conformance.Result) []*conformance.Result {
	return withStatus(results, conformance.Fail)
}

// withStatus returns the results of one status, in report order.
func withStatus(results []conformance.Result, status string) []*conformance.Result {
	var out []*conformance.Result
	for i := range results {
		if results[i].Status == status {
			out = append(out, &results[i])
		}
	}
	return out
}

// ruleCount is a rule broken in a run and how many cases broke it.
type ruleCount struct {
	Rule  string
	Level conformance.Level
	Cases int
}

// brokenRules lists the rules the findings of a run name, must first,
// then should, then may, each in order of first appearance.
func brokenRules(results []conformance.Result) []ruleCount {
	var out []ruleCount
	for _, lv := range conformance.Levels {
		for _, res := range results {
			seen := map[string]bool{}
			for _, f := range res.Findings {
				if f.Level != lv || seen[f.Rule] {
					continue
				}
				seen[f.Rule] = true
				i := slices.IndexFunc(out, func(c ruleCount) bool { return c.Rule == f.Rule })
				if i < 0 {
					out = append(out, ruleCount{Rule: f.Rule, Level: lv})
					i = len(out) - 1
				}
				out[i].Cases++
			}
		}
	}
	return out
}

// ruleName is a finding's rule for people: the id, or "scenario" for a
// user's scenario that names none.
func ruleName(id string) string {
	if id == "" {
		return "scenario"
	}
	return id
}

// findingLine is a finding in one visible line: "[rule level] message".
func findingLine(f conformance.Finding) string {
	return oneLine(f.String())
}
