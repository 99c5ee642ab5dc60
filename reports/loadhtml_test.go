package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/acsharness/acsharness/load"
)

const plantedWorkload = `<script>alert("x")</script>`

// loadFixture is a small run with every part of the page: SLOs met,
// failed and without data, two items, a gap in the series, error codes,
// statuses with no answer, and hostile text where the run's strings go.
func loadFixture() *load.Summary {
	slo := func(text, metric, op string, v float64) load.SLO {
		return load.SLO{Metric: metric, Op: op, Value: v, Text: text}
	}
	bucket := func(i int, req, ok uint64, codes map[string]uint64, p50, p99, mx float64) load.Bucket {
		return load.Bucket{Start: float64(i) * 10, Width: 10, Requests: req, Requested: 1000, Successes: ok, Codes: codes, P50: p50, P99: p99, Max: mx}
	}
	return &load.Summary{
		Target:   "https://ops:" + plantedSecret + "@gw.example.test:8443",
		Workload: plantedWorkload,
		Schedule: "constant 100/s for 1m",
		Style:    "rpc",
		Started:  time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Duration: 60.04, AttackDuration: 60,
		Requests: 5400, Successes: 5330, SuccessRatio: 5330.0 / 5400,
		Rate: 90, Throughput: 88.77, RequestedRate: 100,
		Latency: load.Percentiles{Min: 0.0011, Mean: 0.0062, P50: 0.0048, P90: 0.0121, P95: 0.0165, P99: 0.0412, P999: 0.0893, Max: 0.2154},
		Sign:    load.SignCost{Mean: 4.2e-6, P99: 1.1e-5, Max: 8.3e-5, Share: 0.00068},
		Late:    12, LateAfter: 0.01, Dropped: 600,
		Status:  map[string]uint64{"200": 5330, "400": 40, "503": 25, "0": 5},
		Codes:   map[string]uint64{"InvalidParameter": 40, "ServiceUnavailable": 25},
		Errors:  map[string]uint64{"dial tcp: connection refused": 5},
		BytesIn: 2_160_000, BytesOut: 1_620_000,
		ByItem: []load.ItemSummary{
			{Name: "ecs:DescribeInstances", Requests: 3600, Successes: 3580, Latency: load.Percentiles{P50: 0.0045, P99: 0.0387},
				Codes: map[string]uint64{"ServiceUnavailable": 20}},
			{Name: "oss:<b>PutObject</b>", Requests: 1800, Successes: 1750, Latency: load.Percentiles{P50: 0.0052, P99: 0.0451},
				Codes: map[string]uint64{"InvalidParameter": 40, "ServiceUnavailable": 5}},
		},
		SLOs: []load.SLOResult{
			{SLO: slo("p99<50ms", "p99", "<", 0.05), Observed: 0.0412, Met: true},
			{SLO: slo("success>=99.9%", "success", ">=", 0.999), Observed: 5330.0 / 5400},
			{SLO: slo("sign_p99<20us", "sign_p99", "<", 20e-6), NoData: true},
		},
		Series: []load.Bucket{
			bucket(0, 1000, 1000, nil, 0.0045, 0.021, 0.052),
			bucket(1, 1000, 990, map[string]uint64{"InvalidParameter": 10}, 0.0047, 0.038, 0.081),
			bucket(2, 0, 0, nil, 0, 0, 0),
			bucket(3, 1400, 1350, map[string]uint64{"InvalidParameter": 30, "ServiceUnavailable": 25}, 0.0061, 0.089, 0.2154),
			bucket(4, 1000, 995, nil, 0.0046, 0.029, 0.064),
			bucket(5, 1000, 995, nil, 0.0044, 0.027, 0.058),
		},
	}
}

func renderLoadHTML(t *testing.T, s *load.Summary) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, LoadHTML(&b, s), "LoadHTML should render")
	return b.String()
}

func TestLoadHTMLGolden(t *testing.T) {
	got := renderLoadHTML(t, loadFixture())
	path := filepath.Join("testdata", "load.html.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./reports -update")
	assert.Equal(t, string(want), got, "output differs from %s (run with -update to accept)", path)
}

// checkLoadPage parses a page and checks what every load.html must be:
// well-formed, self-contained, with its four plots and no broken number
// in the SVG.
func checkLoadPage(t *testing.T, page string) *html.Node {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	for z.Next() != html.ErrorToken {
	}
	require.ErrorIs(t, z.Err(), io.EOF, "the page should tokenize to the end")
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err, "the page should parse")

	svgs, scripts := 0, 0
	var walk func(n *html.Node, inSVG bool)
	walk = func(n *html.Node, inSVG bool) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "src", "srcset", "action", "formaction", "poster", "data", "href", "xlink:href":
					t.Errorf("<%s %s=%q> loads a resource", n.Data, a.Key, a.Val)
				}
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s %s> is an inline handler", n.Data, a.Key)
				}
				if inSVG && a.Key != "aria-label" && (strings.Contains(a.Val, "NaN") || strings.Contains(a.Val, "Inf")) {
					t.Errorf("<%s %s=%q> is not a number", n.Data, a.Key, a.Val)
				}
			}
			switch n.Data {
			case "link", "iframe", "img", "object", "embed", "base", "image", "use", "foreignObject":
				t.Errorf("<%s> has no place in a self-contained report", n.Data)
			case "script":
				scripts++
			case "style":
				css := n.FirstChild.Data
				assert.NotContains(t, css, "url(", "CSS must not fetch anything")
				assert.NotContains(t, css, "@import", "CSS must not import anything")
			case "svg":
				svgs++
				inSVG = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inSVG)
		}
	}
	walk(doc, false)
	assert.Zero(t, scripts, "load.html needs no script")
	assert.Equal(t, 4, svgs, "four plots, each an inline SVG")
	assert.Equal(t, 4, strings.Count(page, "<svg"), "four <svg> in the source")
	for _, id := range []string{"latency-over-time", "percentiles", "rate", "codes"} {
		assert.Contains(t, page, `<figure id="`+id+`">`, "the %s plot is present", id)
	}
	assert.Contains(t, page, `content="default-src 'none'; style-src 'unsafe-inline'"`, "the CSP forbids loading anything")
	return doc
}

func TestLoadHTMLIsSelfContained(t *testing.T) {
	t.Parallel()
	page := renderLoadHTML(t, loadFixture())
	checkLoadPage(t, page)

	assert.NotContains(t, page, plantedWorkload, "the workload name must be escaped")
	assert.NotContains(t, page, "<script", "no script element, planted or not")
	assert.Contains(t, page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "the workload name shows, escaped")
	assert.NotContains(t, page, "<b>PutObject</b>", "item names must be escaped")
	assert.NotContains(t, page, plantedSecret, "the password in the target URL is redacted")
	assert.Contains(t, page, "https://ops:[redacted]@gw.example.test:8443")

	// Each plot's data shows in tooltips, readable without JavaScript.
	for _, want := range []string{
		"<title>30s–40s: max 215.4ms</title>",                      // latency over time
		"<title>p99 41.2ms</title>",                                // percentile curve, from the summary
		"<title>max 215.4ms</title>",                               // its maximum line
		"<title>0s–10s: sent 100.0/s (1000)</title>",               // rate achieved
		"<title>0s–10s: asked 100.0/s (1000)</title>",              // rate requested
		"<title>30s–40s: ServiceUnavailable 25</title>",            // a stacked code bar
		"<title>30s–40s: not as expected 50</title>",               // failures line
		`<span class="sw k0"></span>InvalidParameter: 40 answers `, // the codes legend: a count, not a status
	} {
		assert.Contains(t, page, want)
	}
	// A bucket without answers breaks the latency lines in two.
	assert.Equal(t, 3*2, strings.Count(sectionOf(page, "latency-over-time"), "<polyline"), "p50, p99 and max, each split by the empty bucket")
	assert.Contains(t, page, `<td class="unmet">✗</td><td><code>success&gt;=99.9%</code></td><td>&gt;= 99.900%</td><td>98.704%</td>`)
	assert.Contains(t, page, `<td><code>sign_p99&lt;20us</code></td><td>&lt; 20µs</td><td>no data</td>`)
	assert.Contains(t, page, "<code>no answer</code>", "status 0 reads as no answer")
}

// sectionOf returns the <figure> with the given id.
func sectionOf(page, id string) string {
	i := strings.Index(page, `<figure id="`+id+`">`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</figure>")
	return page[i : i+j]
}

func TestLoadHTMLEdgeCases(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		sum  *load.Summary
		want []string
	}{
		{"empty summary", &load.Summary{}, []string{"no latency recorded", "no request sent", "no error code in any answer", "No SLO was set"}},
		{"zero requests with an SLO", &load.Summary{
			Workload: "w", Series: []load.Bucket{},
			SLOs: []load.SLOResult{{SLO: load.SLO{Metric: "p99", Op: "<", Value: 0.05, Text: "p99<50ms"}, NoData: true}},
		}, []string{"no request answered", "no data", "✗ FAIL"}},
		{"single bucket", &load.Summary{
			Requests: 10, Successes: 10, SuccessRatio: 1,
			Latency: load.Percentiles{Min: 0.001, P50: 0.002, P90: 0.002, P95: 0.002, P99: 0.003, P999: 0.003, Max: 0.003},
			Series:  []load.Bucket{{Width: 1, Requests: 10, Successes: 10, P50: 0.002, P99: 0.003, Max: 0.003}},
		}, []string{"<title>0s–1s: p50 2ms</title>", "(no schedule to compare with)"}},
		{"huge values", &load.Summary{
			Requests: math.MaxUint64, Successes: math.MaxUint64, SuccessRatio: 1, Rate: 1e300, RequestedRate: math.MaxFloat64,
			Duration: 1e300, AttackDuration: math.MaxFloat64,
			Latency: load.Percentiles{P50: 1e12, P99: 1e300, Max: math.MaxFloat64},
			SLOs:    []load.SLOResult{{SLO: load.SLO{Metric: "p99", Op: "<", Value: 1e200, Text: "p99<1e200s"}, Observed: 1e300}},
			Series: []load.Bucket{
				{Start: 0, Width: 1e-300, Requests: math.MaxUint64, Requested: math.MaxFloat64, P50: 1e-300, P99: 1e300, Max: math.MaxFloat64,
					Codes: map[string]uint64{"Throttling": math.MaxUint64}},
				{Start: 1e300, Width: 1e300, Requests: 1, P50: 1, P99: 1, Max: 1},
			},
		}, []string{"18446744073709551615"}},
		{"NaN and Inf", &load.Summary{
			Requests: 3, SuccessRatio: nan, Rate: inf, Throughput: nan,
			Latency: load.Percentiles{Min: nan, P50: inf, P99: nan, Max: inf},
			Sign:    load.SignCost{Mean: nan, Share: inf},
			SLOs:    []load.SLOResult{{SLO: load.SLO{Metric: "p99", Op: "<", Value: nan, Text: "p99<?"}, Observed: inf}},
			Series: []load.Bucket{
				{Start: nan, Width: nan, Requests: 1, Requested: nan, P50: nan, P99: inf, Max: -inf},
				{Start: inf, Width: -1, Requests: 2, Successes: 1, Requested: inf, P50: 0.001, P99: 0.002, Max: 0.004},
			},
			ByItem: []load.ItemSummary{{Name: "x", Latency: load.Percentiles{P50: nan}}},
		}, []string{"n/a"}},
		{"many codes", func() *load.Summary {
			codes := map[string]uint64{}
			for _, c := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"} {
				codes[c] = uint64(len(codes) + 1)
			}
			return &load.Summary{Requests: 100, Codes: codes, Series: []load.Bucket{{Width: 1, Requests: 100, Codes: codes}}}
		}(), []string{"other codes: 6 answers", "<title>0s–1s: other codes 6</title>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var page string
			require.NotPanics(t, func() { page = renderLoadHTML(t, tc.sum) })
			checkLoadPage(t, page)
			for _, w := range tc.want {
				assert.Contains(t, page, w)
			}
		})
	}
}

func TestLoadHTMLNil(t *testing.T) {
	t.Parallel()
	assert.Error(t, LoadHTML(io.Discard, nil), "a nil summary is an error, not a panic")
}

// histogramSummary builds a summary that carries an exact latency
// histogram, the way a merged run does: through a shard manifest.
func histogramSummary(t *testing.T) *load.Summary {
	t.Helper()
	h := hdr.New(1, int64(time.Hour/time.Microsecond), 3)
	for i := range int64(10_000) {
		require.NoError(t, h.RecordValue(1000+i%1000)) // 1 to 2 ms
	}
	require.NoError(t, h.RecordValue(250_000)) // one slow answer
	enc, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	require.NoError(t, err)
	sum := loadFixture()
	sum.Requests, sum.Successes = 10_001, 10_001
	sum.Histograms = &load.EncodedHistograms{Latency: base64.StdEncoding.EncodeToString(enc)}
	dir := t.TempDir()
	require.NoError(t, load.WriteManifest(dir, &load.Manifest{
		Version: 2, ConfigHash: "c0ffee", Shard: 0, Shards: 1, Share: 1, Summary: sum,
	}))
	merged, _, err := load.Merge([]string{dir})
	require.NoError(t, err)
	require.NotNil(t, merged.LatencyHistogram(), "the merged summary carries the histogram")
	return merged
}

func TestLoadHTMLPercentilesFromHistogram(t *testing.T) {
	t.Parallel()
	s := histogramSummary(t)
	page := renderLoadHTML(t, s)
	checkLoadPage(t, page)
	curve := sectionOf(page, "percentiles")
	assert.Contains(t, curve, "From the exact HDR histogram of 10001 answers")
	assert.Contains(t, curve, "<title>min 1ms</title>")
	assert.Contains(t, curve, "<title>p50 "+dur(s.Latency.P50)+"</title>", "the curve agrees with the summary's p50")
	assert.Contains(t, curve, "<title>max 250.111ms</title>", "the maximum line")
	assert.Equal(t, len(percentileMarks)+1, strings.Count(curve, "<circle"), "a dot per labelled percentile, and the maximum")
	for _, q := range []string{">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<"} {
		assert.Contains(t, curve, q, "the percentile axis is labelled %s", q)
	}
}

func TestWriteLoadWritesHTML(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	paths, err := WriteLoad(dir, loadFixture())
	require.NoError(t, err)
	assert.Contains(t, paths, filepath.Join(dir, "load.html"))
	b, err := os.ReadFile(filepath.Join(dir, "load.html"))
	require.NoError(t, err, "load.html should be written")
	checkLoadPage(t, string(b))
	assert.NotContains(t, string(b), plantedSecret)
}

// comparedSummary is histogramSummary compared with itself as baseline,
// with one regression threshold.
func comparedSummary(t *testing.T) *load.Summary {
	t.Helper()
	s := histogramSummary(t)
	regs, err := load.ParseRegressions([]string{"p99<=+10%"})
	require.NoError(t, err)
	s.Comparison = load.Compare("out/base", histogramSummary(t), s, regs)
	return s
}

// With a baseline, the page shows each figure against it and overlays
// the baseline's percentile curve.
func TestLoadHTMLBaseline(t *testing.T) {
	t.Parallel()
	page := renderLoadHTML(t, comparedSummary(t))
	checkLoadPage(t, page)
	assert.Contains(t, page, "<h2>Against the baseline</h2>")
	assert.Contains(t, page, `<table id="baseline">`)
	assert.Contains(t, page, "<code>out/base</code>")
	assert.Contains(t, page, "<td><code>p99</code></td>")
	assert.Contains(t, page, `<td class="met">✓</td><td><code>p99&lt;=&#43;10%</code></td>`)
	curve := sectionOf(page, "percentiles")
	assert.Contains(t, curve, `<g class="k0 dash">`, "the baseline's curve")
	assert.Contains(t, curve, "<title>baseline p99 ")
	assert.Contains(t, curve, "The dashed blue line is the baseline")
	assert.Contains(t, page, "all 1 thresholds met")
}

// The terminal line of codes is bounded too: the largest kinds, then how
// many more.
func TestLoadTextBoundsKinds(t *testing.T) {
	t.Parallel()
	s := loadFixture()
	s.Codes = map[string]uint64{}
	for i := range 64 {
		s.Codes[fmt.Sprintf("Code%02d", i)] = uint64(100 + i)
	}
	var b bytes.Buffer
	require.NoError(t, LoadText(&b, s, false))
	var line string
	for l := range strings.SplitSeq(b.String(), "\n") {
		if strings.HasPrefix(l, "codes") {
			line = l
		}
	}
	assert.Equal(t, maxTextKinds+1, strings.Count(line, ":"), line)
	assert.Contains(t, line, "Code63:163", "the largest first")
	assert.Contains(t, line, "(52 more kinds):")
}
