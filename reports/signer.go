package reports

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/acsharness/acsharness/signature"
	"github.com/acsharness/acsharness/signercheck"
)

// SignerText writes the terminal report of `acsharness signer check`: the
// cases per style and the steps compared, each failed case with the first
// differing step (ours and theirs, the first differing byte marked, as
// conform shows a string-to-sign mismatch), the verdict, and the three
// throughput figures.
func SignerText(w io.Writer, r *signercheck.Result, color bool) error {
	if r == nil {
		return errors.New("no signer check result to render")
	}
	p := painter(color)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "signer check: %s\n", oneLine(r.Command))
	total, failed := 0, 0
	for _, s := range r.Styles {
		total += s.Cases
		failed += s.Failed
		compared := "none"
		if len(s.Compared) > 0 {
			compared = strings.Join(s.Compared, ", ")
		}
		fmt.Fprintf(b, "  %-4s %6d cases %6d pass %4d fail   steps compared: %s\n", s.Style, s.Cases, s.Passed, s.Failed, compared)
		if s.Failed > 0 {
			var at []string
			for _, step := range append(slices.Clone(signercheck.Steps), signercheck.StepError) {
				if n := s.FailedAt[step]; n > 0 {
					at = append(at, fmt.Sprintf("%d at %s", n, step))
				}
			}
			fmt.Fprintf(b, "       failed: %s\n", strings.Join(at, ", "))
		}
		for _, v := range s.Variants {
			fmt.Fprintf(b, "       %d in an accepted variant: %s\n", v.Cases, formsText(v.Forms))
		}
	}
	fmt.Fprintln(b)
	const indent = "     "
	for _, f := range r.Failures {
		fmt.Fprintf(b, "%s %s (%s)\n", p.paint(ansiRed, "FAIL"), p.paint(ansiBold, oneLine(f.ID)), oneLine(f.Source))
		fmt.Fprintf(b, "%s%s\n", indent, cut(oneLine(f.Request), 160))
		if f.Step == signercheck.StepError {
			fmt.Fprintf(b, "%sthe signer could not sign it: %s\n", indent, oneLine(f.Error))
		} else if m := f.Mismatch; m != nil {
			d := locate(m)
			matched := "none"
			if len(f.Matched) > 0 {
				matched = strings.Join(f.Matched, ", ")
			}
			fmt.Fprintf(b, "%sstep %s differs at %s; steps before it that matched: %s\n", indent, f.Step, d, matched)
			if len(f.Against) > 0 {
				fmt.Fprintf(b, "%s(compared with the accepted variant %s, which it follows up to there)\n", indent, formsText(f.Against))
			}
			ours, col := snippet(m.Ours, d)
			theirs, _ := snippet(m.Theirs, d)
			fmt.Fprintf(b, "%s  ours    %s\n", indent, ours)
			fmt.Fprintf(b, "%s  theirs  %s\n", indent, theirs)
			fmt.Fprintf(b, "%s  %s%s\n", indent, strings.Repeat(" ", len("theirs  ")+col), p.paint(ansiRed, "^"))
		}
		fmt.Fprintf(b, "%sthe case: acsharness vectors export DIR --seed %d --random %d, then DIR/%s/input.json\n", indent, r.Seed, r.RandomPerStyle, oneLine(f.ID))
	}
	if len(r.Failures) > 0 {
		fmt.Fprintln(b)
	}
	switch {
	case r.ProtocolError != "":
		fmt.Fprintf(b, "%s the signer broke the protocol after %d cases (%d failed):\n%s\n", p.paint(ansiRed, "ERROR"), total, failed, r.ProtocolError)
	case failed == 0:
		fmt.Fprintf(b, "%s %d cases: every step the signer returned is byte-identical to the reference signer's\n", p.paint(ansiGreen, "PASS"), total)
	case r.Stopped:
		fmt.Fprintf(b, "%s %d of the %d cases run (stopped after --max-failures %d)\n", p.paint(ansiRed, "FAIL"), failed, total, len(r.Failures))
	default:
		fmt.Fprintf(b, "%s %d of %d cases\n", p.paint(ansiRed, "FAIL"), failed, total)
	}
	if t := r.Throughput; t != nil {
		fmt.Fprintln(b)
		fmt.Fprintf(b, "throughput, one request in flight, on the same cases (%d timed calls each, in alternating rounds after a warm-up):\n", t.Signer.Calls)
		rows := [][]string{{"", "signatures/s", "mean", "p50", "p90", "p99", "max"}}
		for _, f := range []*signercheck.Figure{&t.Signer, t.Echo, &t.Reference} {
			if f != nil {
				rows = append(rows, []string{f.Name, strconv.FormatFloat(f.PerSecond, 'f', 0, 64),
					micro(f.MeanUS), micro(f.P50US), micro(f.P90US), micro(f.P99US), micro(f.MaxUS)})
			}
		}
		var tb strings.Builder
		writeTable(&tb, rows, 1)
		for _, l := range strings.Split(strings.TrimSuffix(tb.String(), "\n"), "\n") {
			fmt.Fprintf(b, "  %s\n", l)
		}
		if t.Echo != nil && t.Signer.MeanUS > 0 {
			own := max(t.Signer.MeanUS-t.Echo.MeanUS, 0)
			fmt.Fprintf(b, "  of your signer's %s per call, the pipe takes %s (%.0f%%) and signing about %s",
				micro(t.Signer.MeanUS), micro(t.Echo.MeanUS), 100*min(t.Echo.MeanUS/t.Signer.MeanUS, 1), micro(own))
			if t.Reference.MeanUS > 0 {
				fmt.Fprintf(b, ", %.1f× the reference signer's %s", own/t.Reference.MeanUS, micro(t.Reference.MeanUS))
			}
			fmt.Fprintln(b)
		}
	}
	return b.Flush()
}

// SignerJSON writes the result as one indented JSON object.
func SignerJSON(w io.Writer, r *signercheck.Result) error {
	if r == nil {
		return errors.New("no signer check result to render")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// formsText names forms and the official clients behind them:
// `roa.empty-query-value "k=" (as @alicloud/openapi-util (TypeScript), …)`.
func formsText(forms []signature.Form) string {
	var parts []string
	for _, f := range forms {
		parts = append(parts, fmt.Sprintf("%s %q (as %s)", f.Aspect, f.Variant, strings.Join(f.Clients, ", ")))
	}
	return strings.Join(parts, " and ")
}

// micro formats microseconds: 0.85 µs, 12.3 µs, 1840 µs.
func micro(us float64) string {
	switch {
	case us < 10:
		return strconv.FormatFloat(us, 'f', 2, 64) + " µs"
	case us < 1000:
		return strconv.FormatFloat(us, 'f', 1, 64) + " µs"
	}
	return strconv.FormatFloat(us, 'f', 0, 64) + " µs"
}

// cut shortens s to n runes with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
