package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/acsharness/acsharness/load"
)

// LoadDiffText writes a run's comparison with its baseline: each figure
// beside the baseline's with the change, its 95% interval and whether the
// change is significant, then each --regression threshold with ✓ or ✗.
func LoadDiffText(w io.Writer, d *load.Diff, color bool) error {
	if d == nil {
		return errors.New("no comparison to render")
	}
	p := painter(color)
	var b strings.Builder
	fmt.Fprintf(&b, "baseline   %s (started %s, %d requests)\n", d.Baseline, d.BaselineStarted.UTC().Format(time.RFC3339), d.BaselineCount)
	fmt.Fprintf(&b, "  %-12s %12s %12s %9s  %-22s %s\n", "figure", "baseline", "this run", "change", "95% interval", "")
	for _, f := range d.Figures {
		verdict := f.Verdict()
		if f.Significant {
			verdict = p.paint(ansiYellow, verdict)
		}
		fmt.Fprintf(&b, "  %-12s %12s %12s %9s  %-22s %s\n", f.Metric, diffValue(f.Metric, f.Base), diffValue(f.Metric, f.New),
			change(f.Change), interval(f), verdict)
	}
	if len(d.Regressions) > 0 {
		b.WriteString("regressions\n")
		for _, r := range d.Regressions {
			mark := p.paint(ansiGreen, "✓")
			note := ""
			switch {
			case !r.Met:
				mark = p.paint(ansiRed, "✗")
				note = "significant"
				if !r.Comparison.Tested {
					note = "untested: " + r.Comparison.Verdict()
				}
			case r.Noise:
				note = "beyond the threshold, but no significant change"
			}
			got := change(r.Comparison.Change)
			if !r.Relative {
				got = signedValue(r.Metric, r.Comparison.New-r.Comparison.Base)
			}
			fmt.Fprintf(&b, "  %s %-22s change %s %s  %s\n", mark, r.Text, got, interval(r.Comparison), note)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// LoadDiffMarkdown writes the comparison as a Markdown table, for a CI
// job's summary ($GITHUB_STEP_SUMMARY).
func LoadDiffMarkdown(w io.Writer, d *load.Diff) error {
	if d == nil {
		return errors.New("no comparison to render")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### Load run against baseline `%s`\n\n", mdEscape(d.Baseline))
	b.WriteString("| figure | baseline | this run | change | 95% interval | |\n|---|---:|---:|---:|---|---|\n")
	for _, f := range d.Figures {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", f.Metric, diffValue(f.Metric, f.Base), diffValue(f.Metric, f.New),
			change(f.Change), interval(f), f.Verdict())
	}
	if len(d.Regressions) > 0 {
		b.WriteString("\n| | threshold | change | |\n|---|---|---:|---|\n")
		for _, r := range d.Regressions {
			mark, note := "✓", ""
			if !r.Met {
				mark, note = "✗", "regression"
			} else if r.Noise {
				note = "no significant change"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", mark, mdEscape(r.Text), change(r.Comparison.Change), note)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// LoadDiffJSON writes the comparison as JSON.
func LoadDiffJSON(w io.Writer, d *load.Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func mdEscape(s string) string { return strings.NewReplacer("|", `\|`, "`", "'", "\n", " ").Replace(s) }

// diffValue writes a figure in its unit.
func diffValue(metric string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 1):
		return "∞"
	case load.IsDurationMetric(metric):
		return dur(v)
	}
	r := load.SLOResult{SLO: load.SLO{Metric: metric}, Observed: v}
	return r.FormatObserved()
}

// signedValue writes an absolute change in the metric's unit.
func signedValue(metric string, v float64) string {
	if v < 0 {
		return "-" + diffValue(metric, -v)
	}
	return "+" + diffValue(metric, v)
}

// change writes a relative change as a signed percentage.
func change(c float64) string {
	switch {
	case math.IsNaN(c):
		return "n/a"
	case math.IsInf(c, 1):
		return "+∞"
	case math.IsInf(c, -1):
		return "-∞"
	case c > 0:
		return "+" + strconv.FormatFloat(100*c, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(100*c, 'f', 1, 64) + "%"
}

// interval writes a comparison's 95% interval, or why there is none.
func interval(c load.Comparison) string {
	if !c.Tested {
		return "(no test)"
	}
	return "[" + change(c.Low) + ", " + change(c.High) + "]"
}
