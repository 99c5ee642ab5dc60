package reports

import (
	_ "embed"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/acsharness/acsharness/conformance"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is the page; html/template escapes every value by context.
var htmlTemplate = template.Must(template.New("report.html").Parse(htmlSource))

type htmlPage struct {
	Tool, Target, RunLine string
	Findings              []string
	// Interrupted says what an interrupted run's page covers; "" for a
	// run that finished.
	Interrupted string
	// Diagnosis is what the echoed strings to sign say about the run.
	Diagnosis *htmlDiagnosis
	// NotRun are the reasons cases were skipped, and the checks left out.
	NotRun []conformance.Omission
	// Verdict is "pass", "warn", "fail" or "interrupted"; Failures the
	// failed cases, which the page opens on.
	Verdict, Headline string
	Failures          int
	Chart             htmlChart
	Statuses          []string
	Categories        []string
	Styles            []string
	Products          []string
	Cases             []htmlCase
}

// htmlChart is one horizontal bar per category, split by outcome.
type htmlChart struct {
	Width, Height int
	Bars          []htmlBar
}

type htmlBar struct {
	Category string
	Y, TextY int
	Segments []htmlSegment
	Label    string
	LabelX   int
}

type htmlSegment struct {
	Class, X, W, Title string
	Y, H               int
}

// htmlCase is a result ready for the page; Steps and Mismatch shadow the
// Result's with their display forms.
type htmlCase struct {
	N int
	conformance.Result
	// Source is the scenario's file:line.
	Source   string
	Search   string
	Steps    []htmlStep
	Mismatch *htmlMismatch
	// Findings shadow the Result's: each with its level, for the colour.
	Findings []htmlFinding
	// RuleList is the rules the case checks, joined.
	RuleList string
}

type htmlFinding struct {
	Level, Text string
}

type htmlStep struct {
	N                 int
	Name              string
	Request, Response string
	Copies            string
	Failures          []string
}

// htmlMismatch is a string-to-sign difference beside our canonical form
// (for V3 the canonical request, whose hash is all its string to sign
// holds), and the canonical requests' difference when a V3 target echoed
// its own.
type htmlMismatch struct {
	Where          string
	Ours, Theirs   marked
	CanonicalName  string
	Canonical      string
	V3             bool
	TheirCanonical *htmlDiff
}

// htmlDiff is two strings with their first difference marked.
type htmlDiff struct {
	Where        string
	Ours, Theirs marked
}

// htmlDiagnosis is the run's diagnosis: its sentences, and the first case
// whose string to sign differs, with a link that filters the page to it.
type htmlDiagnosis struct {
	Lines    []string
	Case     string
	CaseLink string
	Mismatch *htmlMismatch
}

// Chart geometry, in pixels.
const (
	chartLabelW = 140
	chartBarW   = 380
	chartRowH   = 26
	chartBarH   = 16
	chartWidth  = chartLabelW + chartBarW + 200
)

// ConformanceHTML writes report.html, one self-contained page that works
// offline: a verdict banner, a bar per category in inline SVG, and a table
// of cases to filter by status, category, style, product or text, whose
// rows expand to each step's request and response and the string-to-sign
// diff with the first difference highlighted. A Content-Security-Policy
// forbids loading anything; without JavaScript every row shows expanded.
func ConformanceHTML(w io.Writer, r *conformance.Report) error {
	if r == nil {
		return errNoReport
	}
	r = redact(r)
	sum := summarize(r.Results)
	page := htmlPage{
		Tool: toolName(r), Target: oneLine(r.Target), RunLine: runLine(r), Findings: r.Findings,
		Verdict: conformance.Pass, Headline: verdict(sum.Totals), Failures: sum.Totals.Fail, NotRun: r.Omissions(),
		Statuses: []string{conformance.Pass, conformance.Warn, conformance.Fail, conformance.Skip},
		Chart:    chart(sum.ByCategory),
	}
	if d := r.Diagnosis; d != nil {
		page.Diagnosis = &htmlDiagnosis{Lines: d.Lines(), Case: oneLine(d.Case), Mismatch: mismatchHTML(d.Mismatch),
			CaseLink: "#status=all&q=" + url.QueryEscape(strings.ToLower(oneLine(d.Case)))}
	}
	switch {
	case r.Interrupted:
		page.Verdict, page.Interrupted = "interrupted", interruptedLine()
	case sum.Totals.Fail > 0:
		page.Verdict = conformance.Fail
	case sum.Totals.Warn > 0:
		page.Verdict = conformance.Warn
	}
	for _, t := range sum.ByCategory {
		page.Categories = append(page.Categories, t.Category)
	}
	for i, res := range r.Results {
		if !slices.Contains(page.Styles, res.Style) {
			page.Styles = append(page.Styles, res.Style)
		}
		if !slices.Contains(page.Products, res.Product) {
			page.Products = append(page.Products, res.Product)
		}
		page.Cases = append(page.Cases, htmlCaseOf(i+1, res))
	}
	return htmlTemplate.Execute(w, page)
}

func chart(by []conformance.Totals) htmlChart {
	c := htmlChart{Width: chartWidth, Height: max(len(by), 1) * chartRowH}
	for i, t := range by {
		bar := htmlBar{
			Category: t.Category, Y: i*chartRowH + (chartRowH-chartBarH)/2, TextY: i*chartRowH + chartRowH/2 + 5,
			LabelX: chartLabelW + chartBarW + 10,
			Label: strconv.Itoa(t.Pass) + " pass · " + strconv.Itoa(t.Warn) + " warn · " + strconv.Itoa(t.Fail) + " fail · " +
				strconv.Itoa(t.Skip) + " skip",
		}
		x := float64(chartLabelW)
		for _, s := range []struct {
			class string
			n     int
		}{{conformance.Pass, t.Pass}, {conformance.Warn, t.Warn}, {conformance.Fail, t.Fail}, {conformance.Skip, t.Skip}} {
			if s.n == 0 || t.Cases == 0 {
				continue
			}
			w := float64(chartBarW) * float64(s.n) / float64(t.Cases)
			bar.Segments = append(bar.Segments, htmlSegment{
				Class: s.class, X: strconv.FormatFloat(x, 'f', 1, 64), W: strconv.FormatFloat(w, 'f', 1, 64), Y: bar.Y, H: chartBarH,
				Title: t.Category + ": " + strconv.Itoa(s.n) + " " + s.class,
			})
			x += w
		}
		c.Bars = append(c.Bars, bar)
	}
	return c
}

func htmlCaseOf(n int, res conformance.Result) htmlCase {
	search := append([]string{res.ID, res.Title, res.Reason, res.Expected, res.Observed, res.Spec}, res.Rules...)
	for _, p := range []*string{&res.ID, &res.Title, &res.Category, &res.Style, &res.Product, &res.Spec, &res.Status} {
		*p = oneLine(*p)
	}
	for _, p := range []*string{&res.Expected, &res.Observed, &res.Reason} {
		*p = visible(*p, true)
	}
	c := htmlCase{N: n, Result: res, RuleList: oneLine(strings.Join(res.Rules, ", "))}
	for _, f := range res.Findings {
		c.Findings = append(c.Findings, htmlFinding{Level: string(f.Level), Text: findingLine(f)})
	}
	if res.File != "" {
		c.Source = oneLine(res.File)
		if res.Line > 0 {
			c.Source += ":" + strconv.Itoa(res.Line)
		}
	}
	for i, st := range res.Steps {
		hs := htmlStep{
			N: i + 1, Name: oneLine(st.Name), Request: requestText(&st.Request), Response: responseText(&st.Response),
			Copies: statuses(st.Statuses),
		}
		for _, f := range st.Failures {
			hs.Failures = append(hs.Failures, oneLine(f))
		}
		c.Steps = append(c.Steps, hs)
		search = append(search, st.Request.URL)
	}
	c.Search = strings.ToLower(oneLine(strings.Join(search, " ")))
	c.Mismatch = mismatchHTML(res.Mismatch)
	return c
}

func mismatchHTML(m *conformance.Mismatch) *htmlMismatch {
	if m == nil {
		return nil
	}
	d := locate(m)
	out := &htmlMismatch{Where: d.String(), Ours: markAt(m.Ours, d), Theirs: markAt(m.Theirs, d), V3: isV3(m)}
	if m.Canonical != "" {
		out.CanonicalName, out.Canonical = canonicalName(m), visible(m.Canonical, true)
	}
	if m.Canonical != "" && m.TheirCanonical != "" {
		cm := conformance.NewMismatch(m.Canonical, m.TheirCanonical)
		cd := locate(cm)
		out.TheirCanonical = &htmlDiff{Where: cd.String(), Ours: markAt(cm.Ours, cd), Theirs: markAt(cm.Theirs, cd)}
	}
	return out
}

// requestText shows a request as on the wire: line, headers (sorted), body.
func requestText(r *conformance.RequestTrace) string {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URL + "\n")
	writeHeaders(&b, r.Headers)
	if r.Body != "" {
		b.WriteString("\n" + r.Body)
	}
	return visible(b.String(), true)
}

func responseText(r *conformance.ResponseTrace) string {
	if r.Error != "" {
		return visible("no answer: "+r.Error, true)
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(r.Status) + "\n")
	writeHeaders(&b, r.Headers)
	if r.Body != "" {
		b.WriteString("\n" + r.Body)
	}
	return visible(b.String(), true)
}

func writeHeaders(b *strings.Builder, h map[string]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(oneLine(k) + ": " + oneLine(h[k]) + "\n")
	}
}
