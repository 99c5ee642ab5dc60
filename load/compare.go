package load

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Regression is a threshold relative to a baseline run: the SLO syntax
// with a signed change, `p99<=+10%` (this run's p99 at most 10% above the
// baseline's), `success>=-0.1%`, `throughput>=-5%`, or in the metric's
// unit, `p99<=+5ms`.
type Regression struct {
	Metric string `json:"metric"`
	Op     string `json:"op"`
	// Change is the allowed change: relative (0.10 for +10%) when
	// Relative, else in the metric's base unit (seconds, a ratio, per
	// second, a count).
	Change   float64 `json:"change"`
	Relative bool    `json:"relative"`
	Text     string  `json:"text"`
}

var regressionPattern = regexp.MustCompile(`^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([+-])\s*([0-9.eE]+)\s*([a-zµ%/]*)\s*$`)

// ParseRegression parses one relative threshold; like an SLO, a threshold
// that cannot be checked as written is an error, never a silent pass.
func ParseRegression(s string) (Regression, error) {
	m := regressionPattern.FindStringSubmatch(s)
	if m == nil {
		return Regression{}, fmt.Errorf("regression %q: write METRIC OP SIGNED-CHANGE, e.g. p99<=+10%%, success>=-0.1%%, throughput>=-5%%, p99<=+5ms", s)
	}
	name, op, sign, num, unit := m[1], m[2], m[3], m[4], m[5]
	if _, ok := sloMetrics[name]; !ok {
		return Regression{}, fmt.Errorf("regression %q: unknown metric %q; use one of %s", s, name, strings.Join(SLOMetricNames(), ", "))
	}
	r := Regression{Metric: name, Op: op, Text: strings.TrimSpace(s)}
	if unit == "%" {
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsInf(v, 0) {
			return Regression{}, fmt.Errorf("regression %q: %q is not a number", s, num)
		}
		r.Change, r.Relative = v/100, true
	} else {
		// An absolute change reads as an SLO's value in the metric's unit.
		slo, err := ParseSLO(name + op + num + unit)
		if err != nil {
			return Regression{}, fmt.Errorf("regression %q: %v (or write the change in %%)", s, strings.TrimPrefix(err.Error(), "SLO "))
		}
		r.Change = slo.Value
	}
	if sign == "-" {
		r.Change = -r.Change
	}
	return r, nil
}

// ParseRegressions parses every --regression.
func ParseRegressions(flags []string) ([]Regression, error) {
	var out []Regression
	for _, f := range flags {
		r, err := ParseRegression(f)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Comparison is one figure of a run next to the baseline's, with the
// change and whether the two runs' own spread supports it.
type Comparison struct {
	Metric string  `json:"metric"`
	Base   float64 `json:"-"`
	New    float64 `json:"-"`
	// Change is (New−Base)/Base; Low and High bound its 95% confidence
	// interval when Tested.
	Change float64 `json:"-"`
	Low    float64 `json:"-"`
	High   float64 `json:"-"`
	Tested bool    `json:"tested"`
	// Method names the test: "bootstrap" (percentiles, from the exact
	// histograms), "welch" (means; rates over the per-second buckets),
	// "two-proportion" (ratios); "" for what no test applies to (min, max,
	// counts). A method without Tested had too little data (fewer than
	// minTail requests beyond a percentile, or one bucket).
	Method string `json:"method,omitempty"`
	// Significant is true when the interval excludes no change.
	Significant bool `json:"significant"`
}

type comparisonJSON struct {
	Metric      string    `json:"metric"`
	Base        jsonValue `json:"baseline"`
	New         jsonValue `json:"value"`
	Change      jsonValue `json:"change"`
	Low         jsonValue `json:"change_low,omitempty"`
	High        jsonValue `json:"change_high,omitempty"`
	Tested      bool      `json:"tested"`
	Method      string    `json:"method,omitempty"`
	Significant bool      `json:"significant"`
}

// MarshalJSON writes infinite and undefined values as "+Inf" and null.
func (c Comparison) MarshalJSON() ([]byte, error) {
	j := comparisonJSON{c.Metric, jsonValue(c.Base), jsonValue(c.New), jsonValue(c.Change), jsonValue(c.Low), jsonValue(c.High),
		c.Tested, c.Method, c.Significant}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Comparison) UnmarshalJSON(b []byte) error {
	var j comparisonJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Comparison{j.Metric, float64(j.Base), float64(j.New), float64(j.Change), float64(j.Low), float64(j.High), j.Tested, j.Method, j.Significant}
	return nil
}

// Verdict says the change in words: "no significant change", or the
// direction when significant.
func (c Comparison) Verdict() string {
	switch {
	case math.IsNaN(c.Change):
		return "no data"
	case c.Change == 0 && !c.Tested:
		return "unchanged"
	case !c.Tested && c.Method != "":
		return "too few requests to test"
	case !c.Tested:
		return "not tested"
	case !c.Significant:
		return "no significant change"
	case c.Change > 0:
		return "higher"
	}
	return "lower"
}

// RegressionResult is a Regression checked against a baseline.
type RegressionResult struct {
	Regression
	Comparison Comparison `json:"comparison"`
	// Met is false only when the change breaches the threshold and is
	// significant (or no test applies to the figure).
	Met bool `json:"met"`
	// Noise is true when the change breaches the threshold but the runs'
	// spread does not support it: reported, not failed.
	Noise bool `json:"noise,omitempty"`
}

// Diff is a run compared with a baseline.
type Diff struct {
	Baseline        string             `json:"baseline"`
	BaselineStarted time.Time          `json:"baseline_started"`
	BaselineCount   uint64             `json:"baseline_requests"`
	Figures         []Comparison       `json:"figures"`
	Regressions     []RegressionResult `json:"regressions,omitempty"`

	base *Summary
}

// BaselineHistogram is the baseline's latency histogram (answered
// requests, µs), for the percentile plot's overlay; nil when unknown.
func (d *Diff) BaselineHistogram() *hdr.Histogram {
	if d == nil || d.base == nil {
		return nil
	}
	return d.base.latency
}

// Met reports whether every regression threshold held.
func (d *Diff) Met() bool {
	if d == nil {
		return true
	}
	for _, r := range d.Regressions {
		if !r.Met {
			return false
		}
	}
	return true
}

// diffFigures are the figures every comparison shows.
var diffFigures = []string{"p50", "p90", "p99", "p999", "max", "service_p50", "service_p99", "success", "rate", "throughput", "sign_mean"}

// bootstrapRounds is how many bootstrap replicates a percentile's
// interval is computed from; the generator is seeded, so a comparison is
// reproducible.
const bootstrapRounds = 2000

// Compare compares cur with base: the standard figures, then each
// regression threshold.
func Compare(name string, base, cur *Summary, regs []Regression) *Diff {
	d := &Diff{Baseline: name, BaselineStarted: base.Started, BaselineCount: base.Requests, base: base}
	c := comparer{base: base, cur: cur, rng: rand.New(rand.NewPCG(1, 2)), cache: map[string]Comparison{}}
	for _, m := range diffFigures {
		d.Figures = append(d.Figures, c.compare(m))
	}
	for _, r := range regs {
		cmp := c.compare(r.Metric)
		got := cmp.Change
		if !r.Relative {
			got = cmp.New - cmp.Base
		}
		raw := SLOResult{}.met(r.Op, got, r.Change)
		res := RegressionResult{Regression: r, Comparison: cmp, Met: raw}
		if !raw && cmp.Tested && !cmp.Significant {
			res.Met, res.Noise = true, true
		}
		d.Regressions = append(d.Regressions, res)
	}
	return d
}

type comparer struct {
	base, cur *Summary
	rng       *rand.Rand
	cache     map[string]Comparison
}

func (c *comparer) compare(metric string) Comparison {
	if cmp, ok := c.cache[metric]; ok {
		return cmp
	}
	cmp := Comparison{Metric: metric, Base: c.base.metric(metric), New: c.cur.metric(metric)}
	cmp.Change = relChange(cmp.Base, cmp.New)
	q, isQuantile := quantileOf(metric)
	switch {
	case math.IsNaN(cmp.Change):
	case isQuantile:
		bh, bm := c.base.histFor(metric)
		ch, cm := c.cur.histFor(metric)
		if bh != nil && ch != nil {
			a, b := newECDF(bh, bm), newECDF(ch, cm)
			cmp.Method = "bootstrap"
			// The bootstrap cannot tell the spread of a percentile with
			// few values beyond it (p99.9 of 400 requests is their
			// maximum): it is then left untested, and a threshold on it
			// is judged on the change alone.
			if tail(a, q) >= minTail && tail(b, q) >= minTail {
				cmp.Low, cmp.High = c.bootstrap(a, b, q)
				cmp.Tested = true
			}
		}
	case metric == "mean" || metric == "service_mean" || metric == "sign_mean":
		bh, bm := c.base.histFor(metric)
		ch, cm := c.cur.histFor(metric)
		if bh != nil && ch != nil && bm == 0 && cm == 0 && bh.TotalCount() > 1 && ch.TotalCount() > 1 {
			unit := histUnit(metric)
			cmp.Low, cmp.High = welch(bh.Mean()*unit, bh.StdDev()*unit, float64(bh.TotalCount()),
				ch.Mean()*unit, ch.StdDev()*unit, float64(ch.TotalCount()), cmp.Base)
			cmp.Tested, cmp.Method = true, "welch"
		}
	case metric == "success" || metric == "errors" || metric == "late":
		if c.base.Requests > 0 && c.cur.Requests > 0 {
			cmp.Low, cmp.High = twoProportions(cmp.Base, float64(c.base.Requests), cmp.New, float64(c.cur.Requests))
			cmp.Tested, cmp.Method = true, "two-proportion"
		}
	case metric == "rate" || metric == "throughput":
		b1, s1, n1 := bucketRates(c.base.Series, metric == "throughput")
		b2, s2, n2 := bucketRates(c.cur.Series, metric == "throughput")
		if n1 > 1 && n2 > 1 {
			cmp.Low, cmp.High = welch(b1, s1, n1, b2, s2, n2, b1)
			cmp.Tested, cmp.Method = true, "welch"
		}
	}
	if cmp.Tested {
		cmp.Significant = cmp.Low > 0 || cmp.High < 0
	}
	c.cache[metric] = cmp
	return cmp
}

// minTail is how many requests a run needs beyond a percentile for the
// bootstrap to test a change of it.
const minTail = 10

// tail is how many requests of e lie beyond its q-th percentile.
func tail(e ecdf, q float64) float64 { return float64(e.total) * (1 - q/100) }

// relChange is (b−a)/a, with no change between equal values (two +Inf
// included) and +Inf from zero to anything above it.
func relChange(a, b float64) float64 {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return math.NaN()
	case a == b:
		return 0
	case math.IsInf(b, 1) || a == 0:
		return math.Copysign(math.Inf(1), b-a)
	case math.IsInf(a, 1):
		return -1
	}
	return (b - a) / a
}

// quantileOf returns the percentile a metric names.
func quantileOf(metric string) (float64, bool) {
	switch strings.TrimPrefix(strings.TrimPrefix(metric, "service_"), "sign_") {
	case "p50":
		return 50, true
	case "p90":
		return 90, true
	case "p95":
		return 95, true
	case "p99":
		return 99, true
	case "p999":
		return 99.9, true
	}
	return 0, false
}

// histFor returns the histogram a metric is read from and the requests
// it leaves out as +Inf.
func (s *Summary) histFor(metric string) (*hdr.Histogram, uint64) {
	switch {
	case strings.HasPrefix(metric, "service_"):
		return s.service, 0
	case strings.HasPrefix(metric, "sign_"):
		return s.sign, 0
	}
	return s.latency, s.NoAnswer
}

// histUnit is the seconds in one unit of a metric's histogram.
func histUnit(metric string) float64 {
	if strings.HasPrefix(metric, "sign_") {
		return 10e-9
	}
	return 1e-6
}

// ecdf is a histogram as a cumulative distribution, with the requests
// without an answer as +Inf above it.
type ecdf struct {
	cum    []int64
	values []float64 // seconds
	n      int64     // answered
	total  int64     // with the missing
}

func newECDF(h *hdr.Histogram, missing uint64) ecdf {
	e := ecdf{n: h.TotalCount(), total: h.TotalCount() + int64(missing)}
	var cum int64
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		cum += b.Count
		e.cum = append(e.cum, cum)
		e.values = append(e.values, float64(b.To))
	}
	return e
}

// at is the value at rank r (from 1), as HdrHistogram's ValueAtQuantile
// reads it; a rank among the missing is +Inf.
func (e ecdf) at(r int64) float64 {
	r = max(r, 1)
	if r > e.n {
		return math.Inf(1)
	}
	i := sort.Search(len(e.cum), func(i int) bool { return e.cum[i] >= r })
	return e.values[i]
}

// bootstrap returns the 95% interval of the relative change of the q-th
// percentile from a to b. The bootstrap replicate of the k-th order
// statistic of n values is the empirical quantile at a Beta(k, n−k+1)
// draw (the k-th of n uniforms): the resampling is done exactly, without
// drawing n values per replicate.
func (c *comparer) bootstrap(a, b ecdf, q float64) (float64, float64) {
	draw := func(e ecdf) float64 {
		k := max(int64(math.Ceil(q/100*float64(e.total))), 1)
		u := betaSample(c.rng, float64(k), float64(e.total-k+1))
		return e.at(int64(math.Ceil(u * float64(e.total))))
	}
	changes := make([]float64, bootstrapRounds)
	for i := range changes {
		ch := relChange(draw(a), draw(b))
		if math.IsNaN(ch) {
			ch = 0
		}
		changes[i] = ch
	}
	sort.Float64s(changes)
	return changes[bootstrapRounds*25/1000], changes[bootstrapRounds*975/1000-1]
}

// betaSample draws from Beta(a, b) as X/(X+Y) of two Gamma draws.
func betaSample(r *rand.Rand, a, b float64) float64 {
	x, y := gammaSample(r, a), gammaSample(r, b)
	return x / (x + y)
}

// gammaSample draws from Gamma(a, 1) by Marsaglia and Tsang's method (a ≥
// 1, which order statistics always have).
func gammaSample(r *rand.Rand, a float64) float64 {
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// welch returns the 95% interval of the relative change of a mean from
// (m1, s1, n1) to (m2, s2, n2), relative to base, by Welch's t.
func welch(m1, s1, n1, m2, s2, n2, base float64) (float64, float64) {
	v1, v2 := s1*s1/n1, s2*s2/n2
	se := math.Sqrt(v1 + v2)
	df := (v1 + v2) * (v1 + v2) / (v1*v1/(n1-1) + v2*v2/(n2-1))
	if math.IsNaN(df) {
		df = n1 + n2 - 2
	}
	t := tQuantile975(df)
	d := m2 - m1
	if base == 0 {
		return math.Inf(-1), math.Inf(1)
	}
	return (d - t*se) / math.Abs(base), (d + t*se) / math.Abs(base)
}

// tQuantile975 is Student's t at 97.5% for df degrees of freedom (a table
// to 30, then the normal's 1.96 corrected by the usual 1/df term).
func tQuantile975(df float64) float64 {
	table := []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
		2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	switch {
	case df < 1:
		return table[0]
	case df <= 30:
		return table[int(df)-1]
	}
	return 1.96 + 2.4/df
}

// twoProportions returns the 95% interval of the relative change of a
// ratio from p1 (of n1) to p2 (of n2).
func twoProportions(p1, n1, p2, n2 float64) (float64, float64) {
	se := math.Sqrt(p1*(1-p1)/n1 + p2*(1-p2)/n2)
	d := p2 - p1
	if p1 == 0 {
		if d == 0 && se == 0 {
			return 0, 0
		}
		return math.Inf(-1), math.Inf(1)
	}
	return (d - 1.96*se) / p1, (d + 1.96*se) / p1
}

// bucketRates is the mean and standard deviation of the per-bucket rate
// (requests, or successes, per second) over the full buckets of a series.
func bucketRates(series []Bucket, successes bool) (mean, sd, n float64) {
	var xs []float64
	for i, b := range series {
		if i == len(series)-1 && len(series) > 2 {
			break // the last bucket may be partial
		}
		if b.Width <= 0 {
			continue
		}
		v := float64(b.Requests)
		if successes {
			v = float64(b.Successes)
		}
		xs = append(xs, v/b.Width)
	}
	for _, x := range xs {
		mean += x
	}
	n = float64(len(xs))
	if n == 0 {
		return 0, 0, 0
	}
	mean /= n
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	if n > 1 {
		sd = math.Sqrt(sd / (n - 1))
	}
	return mean, sd, n
}
