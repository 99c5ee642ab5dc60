package reports

import (
	_ "embed"
	"errors"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/acsharness/acsharness/load"
)

//go:embed load.html.tmpl
var loadHTMLSource string

// loadHTMLTemplate is load.html; html/template escapes every value by
// context, the SVG's included.
var loadHTMLTemplate = template.Must(template.New("load.html").Parse(loadHTMLSource))

// LoadHTML writes load.html: a self-contained page (inline CSS, inline SVG,
// no script, no external resource, works offline) with the run's
// headline figures, the SLO table (✓/✗, threshold, observed), and four plots:
// latency over time (p50, p99 and max per bucket, log scale), the percentile
// curve (latency against percentile on the classic HdrHistogram log axis
// 0, 90, 99, 99.9, 99.99 — computed from LatencyHistogram(), falling back to
// the summary's percentiles when nil), rate achieved versus requested over
// time, and error codes over time (stacked by code, a legend); then the
// breakdown per item (requests, success ratio, p50, p99, codes) and the
// status/code tables.
//
// Without a script, every plot point and bar carries a <title> tooltip;
// a Content-Security-Policy forbids loading anything, scripts included. Text
// from the run (target, workload, item names, codes, errors) is redacted
// like the conformance reports, then escaped.
func LoadHTML(w io.Writer, s *load.Summary) error {
	if s == nil {
		return errors.New("no summary to render")
	}
	return loadHTMLTemplate.Execute(w, loadPageOf(s))
}

// loadPage is load.html's data, every value already formatted.
type loadPage struct {
	Title, Headline string
	// Verdict is "pass" or "fail" when SLOs were checked, "none" otherwise.
	Verdict     string
	Interrupted bool
	// Failure says why no request met its expectation.
	Failure string
	// Baseline is the comparison with --baseline, when given.
	Baseline *loadBaseline
	Facts    []loadFact
	Figures  []loadFact
	SLOs     []loadSLO
	Plots    []svgPlot
	Items    []loadItem
	Status   loadCounts
	Codes    loadCounts
	Errors   loadCounts
}

// loadBaseline is the comparison table.
type loadBaseline struct {
	Name        string
	Figures     []loadChange
	Regressions []loadSLO
}

type loadChange struct{ Metric, Base, New, Change, Interval, Verdict string }

func baselineOf(d *load.Diff, text func(string) string) *loadBaseline {
	if d == nil {
		return nil
	}
	b := &loadBaseline{Name: text(d.Baseline)}
	for _, f := range d.Figures {
		b.Figures = append(b.Figures, loadChange{Metric: f.Metric, Base: diffValue(f.Metric, f.Base), New: diffValue(f.Metric, f.New),
			Change: change(f.Change), Interval: interval(f), Verdict: f.Verdict()})
	}
	for _, r := range d.Regressions {
		note := change(r.Comparison.Change) + " " + interval(r.Comparison)
		if r.Noise {
			note += ": no significant change"
		}
		b.Regressions = append(b.Regressions, loadSLO{Met: r.Met, Text: text(r.Text), Threshold: text(r.Op) + " " + change(r.Change), Observed: note})
	}
	return b
}

// loadCounts is one table of counts: its id, the header of its name
// column, and its rows.
type loadCounts struct {
	ID, Header string
	Rows       []loadCount
}

type loadFact struct{ Label, Value, Note string }

type loadSLO struct {
	Met                       bool
	Text, Threshold, Observed string
}

type loadItem struct{ Name, Requests, Success, NoAnswer, P50, P99, Codes string }

type loadCount struct{ Name, Count, Share string }

func loadPageOf(s *load.Summary) loadPage {
	text := func(v string) string { return oneLine(redactText(v)) }
	p := loadPage{
		Title:       "load: " + text(s.Workload),
		Interrupted: s.Interrupted,
		Verdict:     "none",
		Failure:     text(s.Failure),
		Baseline:    baselineOf(s.Comparison, func(v string) string { return oneLine(redactText(v)) }),
	}
	if s.Target != "" {
		p.Title += " against " + text(s.Target)
	}
	for _, f := range []loadFact{
		{Label: "target", Value: text(s.Target)},
		{Label: "workload", Value: text(s.Workload)},
		{Label: "schedule", Value: text(s.Schedule)},
		{Label: "style", Value: text(s.Style)},
	} {
		if f.Value != "" {
			p.Facts = append(p.Facts, f)
		}
	}
	if !s.Started.IsZero() {
		p.Facts = append(p.Facts, loadFact{Label: "started", Value: s.Started.UTC().Format(time.RFC3339)})
	}
	if s.Shards > 0 {
		p.Facts = append(p.Facts, loadFact{Label: "shards", Value: strconv.Itoa(s.Shards)})
	}

	failed := 0
	if s.Comparison != nil {
		for _, r := range s.Comparison.Regressions {
			if !r.Met {
				failed++
			}
		}
	}
	for _, r := range s.SLOs {
		if !r.Met {
			failed++
		}
		p.SLOs = append(p.SLOs, loadSLO{
			Met: r.Met, Text: text(r.Text),
			Threshold: text(r.Op) + " " + sloValue(r, r.Value), Observed: observed(r),
		})
	}
	var head []string
	switch {
	case s.Failure != "":
		p.Verdict = "fail"
		head = append(head, "no request met its expectation")
	case len(s.SLOs)+len(p.regressions()) == 0:
		head = append(head, "no SLO set")
	case failed > 0:
		p.Verdict = "fail"
		head = append(head, strconv.Itoa(failed)+" of "+strconv.Itoa(len(s.SLOs)+len(p.regressions()))+" thresholds failed")
	default:
		p.Verdict = "pass"
		head = append(head, "all "+strconv.Itoa(len(s.SLOs)+len(p.regressions()))+" thresholds met")
	}
	if s.Requests == 0 {
		head = append(head, "no request answered")
	} else {
		head = append(head, strconv.FormatUint(s.Requests, 10)+" requests",
			ratio(s.SuccessRatio)+" as expected", "p99 "+safeDur(s.Latency.P99))
	}
	p.Headline = strings.Join(head, " · ")

	l := s.Latency
	p.Figures = []loadFact{
		{Label: "requests", Value: strconv.FormatUint(s.Requests, 10), Note: "sent over " + safeDur(s.AttackDuration) + ", answered within " + safeDur(s.Duration)},
		{Label: "rate", Value: perSecond(s.Rate), Note: "asked " + perSecond(s.RequestedRate)},
		{Label: "throughput", Value: perSecond(s.Throughput), Note: "answers as expected per second"},
		{Label: "as expected", Value: ratio(s.SuccessRatio), Note: strconv.FormatUint(s.Successes, 10) + " of " + strconv.FormatUint(s.Requests, 10)},
		{Label: "response time p50", Value: safeDur(l.P50), Note: "from due; mean " + safeDur(l.Mean) + ", min " + safeDur(l.Min)},
		{Label: "response time p99", Value: safeDur(l.P99), Note: "from due; p90 " + safeDur(l.P90) + ", p95 " + safeDur(l.P95)},
		{Label: "response time p99.9", Value: safeDur(l.P999), Note: "from due; max " + safeDur(l.Max)},
		{Label: "no answer", Value: strconv.FormatUint(s.NoAnswer, 10), Note: "refused, reset or timed out; counted as +Inf above"},
		{Label: "answered p99", Value: safeDur(s.LatencyAnswered.P99), Note: "response time of the answered requests only; p50 " + safeDur(s.LatencyAnswered.P50)},
		{Label: "service time p99", Value: safeDur(s.ServiceTime.P99), Note: "from send, answered (what vegeta reports); p50 " + safeDur(s.ServiceTime.P50)},
		{Label: "signing CPU", Value: safeDur(s.Sign.Mean), Note: "mean per request; p99 " + safeDur(s.Sign.P99) + ", max " + safeDur(s.Sign.Max) + ", " + ratio(s.Sign.Share) + " of the generator's CPU"},
		{Label: "generator CPU", Value: safeDur(s.Generator.CPUPerRequest), Note: "per request; " + ratio(s.Generator.CPUBusy) + " of the cores busy"},
		{Label: "late", Value: strconv.FormatUint(s.Late, 10), Note: "sent more than " + safeDur(s.LateAfter) + " after due; " + strconv.FormatUint(s.Dropped, 10) + " never sent"},
		{Label: "bytes", Value: strconv.FormatUint(s.BytesIn, 10) + " in", Note: strconv.FormatUint(s.BytesOut, 10) + " out"},
	}

	p.Plots = []svgPlot{latencyPlot(s.Series), percentilePlot(s), ratePlot(s.Series), codesPlot(s.Series)}

	for _, it := range s.ByItem {
		success := "–"
		if it.Requests > 0 {
			success = ratio(float64(it.Successes) / float64(it.Requests))
		}
		p.Items = append(p.Items, loadItem{
			Name: text(it.Name), Requests: strconv.FormatUint(it.Requests, 10), Success: success, NoAnswer: strconv.FormatUint(it.NoAnswer, 10),
			P50: safeDur(it.Latency.P50), P99: safeDur(it.Latency.P99), Codes: text(counts(it.Codes)),
		})
	}
	p.Status = loadCounts{ID: "status", Header: "Status", Rows: countRows(s.Status, s.Requests, func(k string) string {
		if k == "0" {
			return "no answer"
		}
		return text(k)
	})}
	p.Codes = loadCounts{ID: "codes-table", Header: "Code", Rows: countRows(s.Codes, s.Requests, text)}
	p.Errors = loadCounts{ID: "errors", Header: "Cause", Rows: countRows(s.Errors, s.Requests, text)}
	return p
}

func (p loadPage) regressions() []loadSLO {
	if p.Baseline == nil {
		return nil
	}
	return p.Baseline.Regressions
}

// countRows lists a map largest first, with each count's share of total.
func countRows(m map[string]uint64, total uint64, name func(string) string) []loadCount {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := make([]loadCount, 0, len(keys))
	for _, k := range keys {
		share := "–"
		if total > 0 {
			share = ratio(float64(m[k]) / float64(total))
		}
		out = append(out, loadCount{Name: name(k), Count: strconv.FormatUint(m[k], 10), Share: share})
	}
	return out
}

// finite reports a value a plot or a table can show.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// safeDur is dur for any float: time.Duration overflows past 292 years,
// and NaN has no duration.
func safeDur(sec float64) string {
	switch {
	case !finite(sec):
		return "n/a"
	case math.Abs(sec) >= 9e9:
		return strconv.FormatFloat(sec, 'g', 4, 64) + "s"
	}
	return dur(sec)
}

// ratio writes a share in [0, 1] as a percentage with three decimals, as
// LoadText does.
func ratio(v float64) string {
	if !finite(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v*100, 'f', 3, 64) + "%"
}

func perSecond(v float64) string {
	switch {
	case !finite(v):
		return "n/a"
	case math.Abs(v) >= 1e12:
		return strconv.FormatFloat(v, 'g', 4, 64) + "/s"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
}

// sloValue writes v in the SLO's unit, through FormatObserved, which
// knows the units; past what a time.Duration holds it falls back to plain.
func sloValue(r load.SLOResult, v float64) string {
	if !finite(v) || math.Abs(v) >= 9e9 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	r.Observed, r.NoData = v, false
	return r.FormatObserved()
}

func observed(r load.SLOResult) string {
	if r.NoData {
		return r.FormatObserved()
	}
	return sloValue(r, r.Observed)
}

// Plot geometry, in pixels: the drawing area is inside the margins.
const (
	plotW      = 760
	plotH      = 280
	plotLeft   = 68
	plotRight  = 20
	plotTop    = 30
	plotBottom = 44
)

// svgPlot is one inline SVG plot, laid out in Go so the template only
// copies coordinates.
type svgPlot struct {
	ID, Title, Caption string
	W, H               int
	// X0, X1, Y0, Y1 bound the drawing area; Y0 is its bottom. TickY
	// ends the X ticks' marks, below the axis.
	X0, X1, Y0, Y1, TickY int
	// XLabel and YLabel name the axes, placed at (XLabelX, XLabelY) and
	// (YLabelX, YLabelY).
	XLabel, YLabel                     string
	XLabelX, XLabelY, YLabelX, YLabelY int
	XTicks, YTicks                     []svgTick
	Bars                               []svgBar
	Lines                              []svgLine
	Legend                             []svgLegend
	// Empty, when set, says why the plot shows nothing.
	Empty string
}

type svgTick struct {
	Pos   string // x for an X tick, y for a Y tick
	Label string
}

type svgBar struct{ Class, X, Y, W, H, Title string }

// svgLine is one series: polylines broken where data is missing, and a
// dot with a tooltip per point.
type svgLine struct {
	Class    string
	Segments []string
	Dots     []svgDot
}

type svgDot struct{ X, Y, Title string }

type svgLegend struct{ Class, Name string }

// px formats a coordinate.
func px(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// scale maps data to pixels, linearly or by decades; out-of-range values
// are clamped to the drawing area, so a stray value cannot break the SVG.
type scale struct {
	lo, hi float64
	log    bool
	p0, p1 float64
}

func (s scale) at(v float64) float64 {
	lo, hi := s.lo, s.hi
	if s.log {
		lo, hi, v = math.Log10(lo), math.Log10(hi), math.Log10(max(v, math.SmallestNonzeroFloat64))
	}
	f := 0.0
	if hi > lo {
		f = (v - lo) / (hi - lo)
	}
	if !finite(f) {
		f = 0
	}
	f = min(max(f, 0), 1)
	return s.p0 + f*(s.p1-s.p0)
}

func newPlot(id, title string) svgPlot {
	p := svgPlot{ID: id, Title: title, W: plotW, H: plotH,
		X0: plotLeft, X1: plotW - plotRight, Y0: plotH - plotBottom, Y1: plotTop, TickY: plotH - plotBottom + 5}
	p.XLabelX, p.XLabelY = (p.X0+p.X1)/2, plotH-8
	p.YLabelX, p.YLabelY = 14, (p.Y0+p.Y1)/2
	return p
}

func (p *svgPlot) xScale(lo, hi float64, log bool) scale {
	return scale{lo: lo, hi: hi, log: log, p0: float64(p.X0), p1: float64(p.X1)}
}

func (p *svgPlot) yScale(lo, hi float64, log bool) scale {
	return scale{lo: lo, hi: hi, log: log, p0: float64(p.Y0), p1: float64(p.Y1)}
}

// linearTicks returns a round upper bound for [0, top] and about n ticks
// on multiples of 1, 2 or 5 times a power of ten, none finer than minStep.
func linearTicks(top float64, n int, minStep float64) (float64, []float64) {
	if !finite(top) || top <= 0 {
		top = max(minStep, 1)
	}
	raw := top / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	step = max(step, minStep)
	hi := math.Ceil(top/step) * step
	if !finite(hi) || !finite(step) || step <= 0 {
		hi, step = top, top/float64(n)
	}
	k := min(int(math.Floor(hi/step+1e-9)), n+2)
	ticks := make([]float64, 0, k+1)
	for i := 0; i <= k; i++ {
		ticks = append(ticks, float64(i)*step)
	}
	return hi, ticks
}

// logTicks returns decades around [lo, hi], at most about eight of them.
func logTicks(lo, hi float64) (float64, float64, []float64) {
	d0 := math.Floor(math.Log10(lo))
	d1 := math.Ceil(math.Log10(hi))
	d0, d1 = max(d0, -300), min(d1, 300)
	if d1 <= d0 {
		d1 = d0 + 1
	}
	step := math.Ceil((d1 - d0) / 8)
	d1 = d0 + math.Ceil((d1-d0)/step)*step
	var ticks []float64
	for d := d0; d <= d1; d += step {
		ticks = append(ticks, math.Pow(10, d))
	}
	return math.Pow(10, d0), math.Pow(10, d1), ticks
}

// latencyTick labels a latency axis: durations below a second, seconds
// above (a decade of 100 s reads better than 1m40s).
func latencyTick(sec float64) string {
	switch {
	case sec == 0:
		return "0"
	case sec < 1:
		return safeDur(sec)
	}
	return strconv.FormatFloat(sec, 'g', 4, 64) + "s"
}

// countTick labels a count or rate axis: 1500, 12k, 3.5M.
func countTick(v float64) string {
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e4, "k"}} {
		if v >= u.div && v < 1e15 {
			return strconv.FormatFloat(v/u.div, 'g', 4, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// timeline is the run's buckets placed on a time axis, sanitised: a
// bucket with no usable start or width is placed by its index.
type timeline struct {
	starts, widths []float64
	end            float64
	// unit and div label the axis in seconds, minutes or hours.
	unit string
	div  float64
}

func timelineOf(series []load.Bucket) timeline {
	t := timeline{end: 1}
	fallback := 1.0
	for _, b := range series {
		if finite(b.Width) && b.Width > 0 {
			fallback = b.Width
			break
		}
	}
	for i, b := range series {
		w := b.Width
		if !finite(w) || w <= 0 {
			w = fallback
		}
		st := b.Start
		if !finite(st) || st < 0 {
			st = float64(i) * w
		}
		t.starts = append(t.starts, st)
		t.widths = append(t.widths, w)
		if e := st + w; finite(e) {
			t.end = max(t.end, e)
		}
	}
	switch {
	case t.end <= 180:
		t.unit, t.div = "s", 1
	case t.end <= 3*3600:
		t.unit, t.div = "min", 60
	default:
		t.unit, t.div = "h", 3600
	}
	return t
}

// axis sets the plot's time axis and returns its scale.
func (t timeline) axis(p *svgPlot) scale {
	hi, ticks := linearTicks(t.end/t.div, 6, 0)
	sx := p.xScale(0, hi*t.div, false)
	for _, v := range ticks {
		p.XTicks = append(p.XTicks, svgTick{Pos: px(sx.at(v * t.div)), Label: strconv.FormatFloat(v, 'g', 6, 64)})
	}
	p.XLabel = "time since start (" + t.unit + ")"
	return sx
}

// span names bucket i for a tooltip: "12s–13s".
func (t timeline) span(i int) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) + "s" }
	return f(t.starts[i]) + "–" + f(t.starts[i]+t.widths[i])
}

// polyline builds a series from points; a missing point (ok false)
// breaks the line.
func polyline(class string, xs, ys []float64, ok []bool, titles []string) svgLine {
	l := svgLine{Class: class}
	var seg []string
	flush := func() {
		if len(seg) > 0 {
			l.Segments = append(l.Segments, strings.Join(seg, " "))
			seg = nil
		}
	}
	for i := range xs {
		if !ok[i] {
			flush()
			continue
		}
		x, y := px(xs[i]), px(ys[i])
		seg = append(seg, x+","+y)
		if titles != nil {
			l.Dots = append(l.Dots, svgDot{X: x, Y: y, Title: titles[i]})
		}
	}
	flush()
	return l
}

// latencyPlot draws p50, p99 and max per bucket on a log scale; a bucket
// without answers leaves a gap.
func latencyPlot(series []load.Bucket) svgPlot {
	p := newPlot("latency-over-time", "Latency over time")
	p.YLabel = "latency (log scale)"
	p.Caption = "p50, p99 and max latency of the answers to the requests sent in each bucket."
	t := timelineOf(series)
	sx := t.axis(&p)
	lo, hi := math.Inf(1), 0.0
	for _, b := range series {
		for _, v := range []float64{b.P50, b.P99, b.Max} {
			if finite(v) && v > 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if hi == 0 {
		lo, hi = 1e-3, 1
		p.Empty = "no latency recorded"
	}
	lo, hi, ticks := logTicks(lo, hi)
	sy := p.yScale(lo, hi, true)
	for _, v := range ticks {
		p.YTicks = append(p.YTicks, svgTick{Pos: px(sy.at(v)), Label: latencyTick(v)})
	}
	for k, m := range []struct {
		name string
		get  func(load.Bucket) float64
	}{
		{"p50", func(b load.Bucket) float64 { return b.P50 }},
		{"p99", func(b load.Bucket) float64 { return b.P99 }},
		{"max", func(b load.Bucket) float64 { return b.Max }},
	} {
		n := len(series)
		xs, ys, ok, titles := make([]float64, n), make([]float64, n), make([]bool, n), make([]string, n)
		for i, b := range series {
			v := m.get(b)
			xs[i] = sx.at(t.starts[i] + t.widths[i]/2)
			ys[i] = sy.at(v)
			ok[i] = finite(v) && v > 0
			titles[i] = t.span(i) + ": " + m.name + " " + safeDur(v)
		}
		class := "k" + strconv.Itoa(k)
		p.Lines = append(p.Lines, polyline(class, xs, ys, ok, titles))
		p.Legend = append(p.Legend, svgLegend{Class: class, Name: m.name})
	}
	return p
}

// percentileMarks are the percentiles the curve labels with a dot.
var percentileMarks = []float64{0, 50, 90, 99, 99.9, 99.99}

// percentileX places a percentile on HdrHistogram's axis: 1/(1−q) by
// decades, so 90, 99, 99.9 and 99.99 are evenly spaced.
func percentileX(q float64) float64 { return math.Log10(1 / (1 - q/100)) }

// percentilePlot draws latency against percentile from the exact
// histogram, or from the summary's percentiles when the histogram is
// absent; the maximum is a dashed line, since 100% lies at infinity.
func percentilePlot(s *load.Summary) svgPlot {
	p := newPlot("percentiles", "Latency by percentile")
	p.YLabel = "latency"
	p.XLabel = "percentile"
	const xmax = 4 // 99.99%
	sx := p.xScale(0, xmax, false)
	for _, q := range []float64{0, 90, 99, 99.9, 99.99} {
		p.XTicks = append(p.XTicks, svgTick{Pos: px(sx.at(percentileX(q))), Label: strconv.FormatFloat(q, 'f', -1, 64) + "%"})
	}

	var pts []curvePoint
	maxLat := 0.0
	if h := s.LatencyHistogram(); h != nil && h.TotalCount() > 0 {
		pts = curvePoints(h, "", xmax)
		maxLat = float64(h.Max()) / 1e6
		p.Caption = "From the exact HDR histogram of " + strconv.FormatInt(h.TotalCount(), 10) +
			" answers; the dashed line is the maximum."
	} else {
		l := s.Latency
		for _, m := range []struct {
			q float64
			v float64
		}{{0, l.Min}, {50, l.P50}, {90, l.P90}, {95, l.P95}, {99, l.P99}, {99.9, l.P999}} {
			pts = append(pts, curvePoint{x: percentileX(m.q), v: m.v, title: percentileName(m.q) + " " + safeDur(m.v)})
		}
		maxLat = l.Max
		p.Caption = "From the summary's percentiles (the exact histogram is not available); the dashed line is the maximum."
	}

	top := 0.0
	have := false
	for _, pt := range pts {
		if finite(pt.v) && pt.v > 0 {
			top, have = max(top, pt.v), true
		}
	}
	if finite(maxLat) && maxLat > 0 {
		top, have = max(top, maxLat), true
	}
	var base []curvePoint
	if h := s.Comparison.BaselineHistogram(); h != nil && h.TotalCount() > 0 && have {
		base = curvePoints(h, "baseline ", xmax)
		for _, pt := range base {
			top = max(top, pt.v)
		}
		p.Caption += " The dashed blue line is the baseline's (" + strconv.FormatInt(h.TotalCount(), 10) + " answers)."
	}
	if !have {
		p.Empty = "no latency recorded"
		pts = nil
	}
	hi, ticks := linearTicks(top, 5, 0)
	if !have {
		hi, ticks = linearTicks(1e-3, 5, 0)
	}
	sy := p.yScale(0, hi, false)
	for _, v := range ticks {
		p.YTicks = append(p.YTicks, svgTick{Pos: px(sy.at(v)), Label: latencyTick(v)})
	}

	p.Lines = append(p.Lines, curveLine("k0", pts, sx, sy))
	p.Legend = append(p.Legend, svgLegend{Class: "k0", Name: "latency"})
	if len(base) > 0 {
		p.Lines = append(p.Lines, curveLine("k0 dash", base, sx, sy))
		p.Legend = append(p.Legend, svgLegend{Class: "k0 dash", Name: "baseline"})
	}
	if have && finite(maxLat) && maxLat > 0 {
		y := px(sy.at(maxLat))
		p.Lines = append(p.Lines, svgLine{Class: "k2 dash",
			Segments: []string{px(float64(p.X0)) + "," + y + " " + px(float64(p.X1)) + "," + y},
			Dots:     []svgDot{{X: px(float64(p.X1)), Y: y, Title: "max " + safeDur(maxLat)}}})
		p.Legend = append(p.Legend, svgLegend{Class: "k2 dash", Name: "max " + safeDur(maxLat)})
	}
	return p
}

// curvePoint is a point of a percentile curve; title labels a dot.
type curvePoint struct {
	x, v  float64
	title string
}

// curvePoints samples a latency histogram (µs) along the percentile axis,
// up to xmax, with a labelled point at each of percentileMarks.
func curvePoints(h *hdr.Histogram, label string, xmax float64) []curvePoint {
	at := func(q float64) float64 {
		if q == 0 {
			return float64(h.Min()) / 1e6
		}
		return float64(max(h.ValueAtQuantile(q), h.Min())) / 1e6
	}
	var pts []curvePoint
	marks := map[float64]bool{}
	for _, q := range percentileMarks {
		marks[percentileX(q)] = true
		pts = append(pts, curvePoint{x: percentileX(q), v: at(q), title: label + percentileName(q) + " " + safeDur(at(q))})
	}
	for i := 0; i <= 100; i++ {
		x := float64(i) * xmax / 100
		if !marks[x] {
			pts = append(pts, curvePoint{x: x, v: at(100 * (1 - math.Pow(10, -x)))})
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
	return pts
}

// curveLine draws a percentile curve, with a dot on each labelled point.
func curveLine(class string, pts []curvePoint, sx, sy scale) svgLine {
	if len(pts) == 0 {
		return svgLine{Class: class}
	}
	var xs, ys []float64
	var ok []bool
	var titles []string
	for _, pt := range pts {
		xs, ys, ok = append(xs, sx.at(pt.x)), append(ys, sy.at(pt.v)), append(ok, finite(pt.v) && pt.v >= 0)
		titles = append(titles, pt.title)
	}
	line := polyline(class, xs, ys, ok, titles)
	dots := line.Dots[:0]
	for _, d := range line.Dots {
		if d.Title != "" {
			dots = append(dots, d)
		}
	}
	line.Dots = dots
	return line
}

func percentileName(q float64) string {
	if q == 0 {
		return "min"
	}
	return "p" + strconv.FormatFloat(q, 'f', -1, 64)
}

// ratePlot draws, per bucket, the requests sent, asked for and answered
// as expected, per second.
func ratePlot(series []load.Bucket) svgPlot {
	p := newPlot("rate", "Rate achieved and requested")
	p.YLabel = "requests per second"
	p.Caption = "Requests sent per second in each bucket, against what the schedule asked for (dashed) and the answers as expected."
	t := timelineOf(series)
	sx := t.axis(&p)
	perSec := func(i int, v float64) float64 { return v / t.widths[i] }
	asked := false
	top := 0.0
	for i, b := range series {
		asked = asked || (finite(b.Requested) && b.Requested > 0)
		for _, v := range []float64{float64(b.Requests), b.Requested, float64(b.Successes)} {
			if r := perSec(i, v); finite(r) {
				top = max(top, r)
			}
		}
	}
	if len(series) == 0 {
		p.Empty = "no request sent"
	}
	hi, ticks := linearTicks(top, 5, 0)
	sy := p.yScale(0, hi, false)
	for _, v := range ticks {
		p.YTicks = append(p.YTicks, svgTick{Pos: px(sy.at(v)), Label: countTick(v)})
	}
	lines := []struct {
		class, name string
		get         func(load.Bucket) float64
	}{
		{"k0", "sent", func(b load.Bucket) float64 { return float64(b.Requests) }},
		{"k8 dash", "asked", func(b load.Bucket) float64 { return b.Requested }},
		{"k3", "as expected", func(b load.Bucket) float64 { return float64(b.Successes) }},
	}
	for _, m := range lines {
		if m.name == "asked" && !asked {
			continue
		}
		n := len(series)
		xs, ys, ok, titles := make([]float64, n), make([]float64, n), make([]bool, n), make([]string, n)
		for i, b := range series {
			v := m.get(b)
			r := perSec(i, v)
			xs[i], ys[i], ok[i] = sx.at(t.starts[i]+t.widths[i]/2), sy.at(r), finite(r) && r >= 0
			titles[i] = t.span(i) + ": " + m.name + " " + perSecond(r) + " (" + strconv.FormatFloat(v, 'f', -1, 64) + ")"
		}
		p.Lines = append(p.Lines, polyline(m.class, xs, ys, ok, titles))
		p.Legend = append(p.Legend, svgLegend{Class: m.class, Name: m.name})
	}
	if !asked {
		p.Legend = append(p.Legend, svgLegend{Name: "(no schedule to compare with)"})
	}
	return p
}

// answers writes a count of answers: a legend's "(200)" read as an HTTP
// status.
func answers(n uint64) string {
	if n == 1 {
		return "1 answer"
	}
	return strconv.FormatUint(n, 10) + " answers"
}

// maxPlotCodes is how many codes the codes plot colours; the rest share
// one colour as "other".
const maxPlotCodes = 8

// codesPlot stacks, per bucket, the answers by error code, and draws the
// answers not as expected as a dashed line.
func codesPlot(series []load.Bucket) svgPlot {
	p := newPlot("codes", "Error codes over time")
	p.YLabel = "answers per bucket"
	p.Caption = "Answers by the error code in their body, stacked per bucket; an answer may carry a code and still be as expected (a scenario that expects an error). The dashed line counts the answers not as expected, with a code or without."
	t := timelineOf(series)
	sx := t.axis(&p)

	totals := map[string]uint64{}
	for _, b := range series {
		for k, v := range b.Codes {
			totals[k] += v
		}
	}
	order := make([]string, 0, len(totals))
	for k := range totals {
		order = append(order, k)
	}
	sort.Slice(order, func(i, j int) bool {
		if totals[order[i]] != totals[order[j]] {
			return totals[order[i]] > totals[order[j]]
		}
		return order[i] < order[j]
	})
	class := map[string]string{}
	for i, k := range order {
		class[k] = "k" + strconv.Itoa(min(i, maxPlotCodes))
	}
	shown := order
	if len(order) > maxPlotCodes {
		shown = order[:maxPlotCodes]
	}

	top, failures := 0.0, false
	for _, b := range series {
		sum := 0.0
		for _, v := range b.Codes {
			sum += float64(v)
		}
		top = max(top, sum)
		if b.Requests > b.Successes {
			failures = true
			top = max(top, float64(b.Requests-b.Successes))
		}
	}
	if len(order) == 0 && !failures {
		p.Empty = "no error code in any answer"
	}
	hi, ticks := linearTicks(top, 5, 1)
	sy := p.yScale(0, hi, false)
	for _, v := range ticks {
		p.YTicks = append(p.YTicks, svgTick{Pos: px(sy.at(v)), Label: countTick(v)})
	}

	for i, b := range series {
		x0, x1 := sx.at(t.starts[i]), sx.at(t.starts[i]+t.widths[i])
		bw := max(x1-x0-1, 0.5)
		base := 0.0
		stack := func(cls string, n uint64, title string) {
			y0, y1 := sy.at(base), sy.at(base+float64(n))
			base += float64(n)
			p.Bars = append(p.Bars, svgBar{Class: cls, X: px(x0), Y: px(y1), W: px(bw), H: px(max(y0-y1, 0)),
				Title: t.span(i) + ": " + title + " " + strconv.FormatUint(n, 10)})
		}
		var other uint64
		for _, k := range order {
			n := b.Codes[k]
			if n == 0 {
				continue
			}
			if class[k] == "k"+strconv.Itoa(maxPlotCodes) {
				other += n
				continue
			}
			stack(class[k], n, oneLine(redactText(k)))
		}
		if other > 0 {
			stack("k"+strconv.Itoa(maxPlotCodes), other, "other codes")
		}
	}
	for _, k := range shown {
		p.Legend = append(p.Legend, svgLegend{Class: class[k], Name: oneLine(redactText(k)) + ": " + answers(totals[k])})
	}
	if len(order) > maxPlotCodes {
		var n uint64
		for _, k := range order[maxPlotCodes:] {
			n += totals[k]
		}
		p.Legend = append(p.Legend, svgLegend{Class: "k" + strconv.Itoa(maxPlotCodes), Name: "other codes: " + answers(n)})
	}
	if failures {
		n := len(series)
		xs, ys, ok, titles := make([]float64, n), make([]float64, n), make([]bool, n), make([]string, n)
		for i, b := range series {
			var bad uint64
			if b.Requests > b.Successes {
				bad = b.Requests - b.Successes
			}
			xs[i], ys[i], ok[i] = sx.at(t.starts[i]+t.widths[i]/2), sy.at(float64(bad)), true
			titles[i] = t.span(i) + ": not as expected " + strconv.FormatUint(bad, 10)
		}
		p.Lines = append(p.Lines, polyline("k9 dash", xs, ys, ok, titles))
		p.Legend = append(p.Legend, svgLegend{Class: "k9 dash", Name: "not as expected"})
	}
	return p
}
