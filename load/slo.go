package load

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SLO is one threshold a run must meet: `p99<50ms`, `success>=99.9%`,
// `rate>=1900/s`, `sign_p99<20us`.
type SLO struct {
	Metric string  `json:"metric"`
	Op     string  `json:"op"`
	Value  float64 `json:"value"` // in the metric's base unit: seconds, a ratio, per second, a count
	Text   string  `json:"text"`  // as written
}

// SLOResult is an SLO checked against a run.
type SLOResult struct {
	SLO
	// Observed is the run's value; +Inf (written "+Inf") for a latency
	// percentile among requests that got no answer.
	Observed float64 `json:"-"`
	Met      bool    `json:"met"`
	// NoData reports a metric the run has no value for (a latency SLO on a
	// run that sent nothing): the SLO is not met, and Observed is 0.
	NoData bool `json:"no_data,omitempty"`
}

type sloResultJSON struct {
	SLO
	Observed jsonValue `json:"observed"`
	Met      bool      `json:"met"`
	NoData   bool      `json:"no_data,omitempty"`
}

// MarshalJSON writes an infinite observation as "+Inf".
func (r SLOResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(sloResultJSON{r.SLO, jsonValue(r.Observed), r.Met, r.NoData})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *SLOResult) UnmarshalJSON(b []byte) error {
	var j sloResultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = SLOResult{SLO: j.SLO, Observed: float64(j.Observed), Met: j.Met, NoData: j.NoData}
	return nil
}

// metricKind is the unit family of an SLO metric.
type metricKind int

const (
	kindDuration metricKind = iota // seconds; written with ns, us, µs, ms, s, m
	kindRatio                      // 0..1; written with %
	kindRate                       // per second; written with /s or /m
	kindCount                      // a plain number
)

// SLOMetrics lists the metrics an SLO may name, with their kinds.
var sloMetrics = map[string]metricKind{
	"min": kindDuration, "mean": kindDuration, "p50": kindDuration, "p90": kindDuration, "p95": kindDuration,
	"p99": kindDuration, "p999": kindDuration, "max": kindDuration,
	"service_mean": kindDuration, "service_p50": kindDuration, "service_p90": kindDuration, "service_p95": kindDuration,
	"service_p99": kindDuration, "service_p999": kindDuration, "service_max": kindDuration,
	"sign_mean": kindDuration, "sign_p99": kindDuration, "sign_max": kindDuration,
	"success": kindRatio, "errors": kindRatio, "late": kindRatio, "sign_share": kindRatio,
	"rate": kindRate, "throughput": kindRate,
	"requests": kindCount, "late_requests": kindCount, "dropped": kindCount,
}

// IsDurationMetric reports whether a metric is a latency, in seconds.
func IsDurationMetric(name string) bool { k, ok := sloMetrics[name]; return ok && k == kindDuration }

// SLOMetricNames returns the metric names an SLO may use, sorted.
func SLOMetricNames() []string {
	out := make([]string, 0, len(sloMetrics))
	for m := range sloMetrics {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

var sloPattern = regexp.MustCompile(`^\s*([a-z0-9_]+)\s*(<=|>=|==|<|>)\s*([0-9.eE+-]+)\s*([a-zµ%/]*)\s*$`)

// ParseSLO parses one threshold. An unknown metric, an operator missing, a
// unit that does not fit the metric is an error naming the fix: an SLO that
// cannot be checked never passes silently.
func ParseSLO(s string) (SLO, error) {
	m := sloPattern.FindStringSubmatch(s)
	if m == nil {
		return SLO{}, fmt.Errorf("SLO %q: write METRIC OP VALUE, e.g. p99<50ms, success>=99.9%%, rate>=1900/s", s)
	}
	name, op, num, unit := m[1], m[2], m[3], m[4]
	kind, ok := sloMetrics[name]
	if !ok {
		return SLO{}, fmt.Errorf("SLO %q: unknown metric %q; use one of %s", s, name, strings.Join(SLOMetricNames(), ", "))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return SLO{}, fmt.Errorf("SLO %q: %q is not a number", s, num)
	}
	// No metric is negative: p99>-5ms would pass whatever happened, and
	// p99<-5ms fail, both silently.
	if v < 0 {
		return SLO{}, fmt.Errorf("SLO %q: a threshold must not be negative", s)
	}
	switch kind {
	case kindDuration:
		d, err := time.ParseDuration(num + strings.ReplaceAll(unit, "µ", "u"))
		if err != nil || unit == "" {
			return SLO{}, fmt.Errorf("SLO %q: %s is a latency: give a unit, e.g. %s<50ms or %s<800us", s, name, name, name)
		}
		v = d.Seconds()
	case kindRatio:
		switch unit {
		case "%":
			v /= 100
		case "":
			if v > 1 {
				return SLO{}, fmt.Errorf("SLO %q: a ratio without %% must be between 0 and 1 (or write %s%s%s%%)", s, name, op, num)
			}
		default:
			return SLO{}, fmt.Errorf("SLO %q: %s is a ratio: write it with %%, e.g. %s>=99.9%%", s, name, name)
		}
		if v < 0 || v > 1 {
			return SLO{}, fmt.Errorf("SLO %q: a ratio must be between 0%% and 100%%", s)
		}
	case kindRate:
		switch unit {
		case "/s", "":
		case "/m", "/min":
			v /= 60
		default:
			return SLO{}, fmt.Errorf("SLO %q: %s is a rate: write it per second, e.g. %s>=1900/s", s, name, name)
		}
	case kindCount:
		if unit != "" {
			return SLO{}, fmt.Errorf("SLO %q: %s is a count and takes no unit", s, name)
		}
	}
	return SLO{Metric: name, Op: op, Value: v, Text: strings.TrimSpace(s)}, nil
}

// ParseSLOs parses thresholds from flags and from files (one per line; '#'
// starts a comment).
func ParseSLOs(flags []string, files []string) ([]SLO, error) {
	var out []SLO
	for _, f := range flags {
		s, err := ParseSLO(f)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--slo-file: %w", err)
		}
		lines, err := readSLOLines(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--slo-file %s: %w", path, err)
		}
		for _, l := range lines {
			s, err := ParseSLO(l.text)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, l.n, err)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

type sloLine struct {
	n    int
	text string
}

func readSLOLines(r io.Reader) ([]sloLine, error) {
	var out []sloLine
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		t := sc.Text()
		if i := strings.IndexByte(t, '#'); i >= 0 {
			t = t[:i]
		}
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, sloLine{n, t})
		}
	}
	return out, sc.Err()
}

// Check evaluates an SLO against a summary.
func (s SLO) Check(sum *Summary) SLOResult {
	obs := sum.metric(s.Metric)
	// Equal within a relative 1e-9: 999 of 1000 is 0.999 but 99.9% parses
	// as 0.9990000000000001, and success>=99.9% failed on exactly 99.9%.
	met := SLOResult{}.met(s.Op, obs, s.Value)
	if math.IsNaN(obs) {
		// encoding/json refuses NaN: summary.json failed to write.
		return SLOResult{SLO: s, Met: false, NoData: true}
	}
	return SLOResult{SLO: s, Observed: obs, Met: met}
}

// met compares obs with a threshold: equal within a relative 1e-9.
func (SLOResult) met(op string, obs, threshold float64) bool {
	// An infinite observation (requests without an answer) equals only an
	// infinite threshold: the relative tolerance would make it equal to any.
	eq := obs == threshold || !math.IsInf(obs, 0) && math.Abs(obs-threshold) <= 1e-9*max(math.Abs(obs), math.Abs(threshold))
	switch op {
	case "<":
		return obs < threshold && !eq
	case "<=":
		return obs < threshold || eq
	case ">":
		return obs > threshold && !eq
	case ">=":
		return obs > threshold || eq
	case "==":
		return eq
	}
	return false
}

// FormatObserved writes an observed value in the SLO's unit.
func (r SLOResult) FormatObserved() string {
	if r.NoData {
		return "no data"
	}
	if math.IsInf(r.Observed, 1) {
		return "no answer (+Inf)"
	}
	switch sloMetrics[r.Metric] {
	case kindDuration:
		return time.Duration(r.Observed * float64(time.Second)).String()
	case kindRatio:
		return strconv.FormatFloat(r.Observed*100, 'f', 3, 64) + "%"
	case kindRate:
		return strconv.FormatFloat(r.Observed, 'f', 1, 64) + "/s"
	}
	return strconv.FormatFloat(r.Observed, 'f', -1, 64)
}
