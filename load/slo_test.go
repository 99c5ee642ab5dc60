package load

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSLO(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     string
		metric string
		op     string
		value  float64
	}{
		{"p99<50ms", "p99", "<", 0.050},
		{" p99 < 50ms ", "p99", "<", 0.050},
		{"p50<=1s", "p50", "<=", 1},
		{"p90<2m", "p90", "<", 120},
		{"p95<800us", "p95", "<", 800e-6},
		{"p999<800µs", "p999", "<", 800e-6},
		{"max<1.5s", "max", "<", 1.5},
		{"min>=100ns", "min", ">=", 100e-9},
		{"mean<10ms", "mean", "<", 0.010},
		{"sign_p99<20us", "sign_p99", "<", 20e-6},
		{"sign_mean<5µs", "sign_mean", "<", 5e-6},
		{"sign_max<1ms", "sign_max", "<", 1e-3},
		{"success>=99.9%", "success", ">=", 0.999},
		{"success>=0.999", "success", ">=", 0.999},
		{"success==100%", "success", "==", 1},
		{"errors<0.1%", "errors", "<", 0.001},
		{"late<1%", "late", "<", 0.01},
		{"sign_share<5%", "sign_share", "<", 0.05},
		{"rate>=1900/s", "rate", ">=", 1900},
		{"rate>=1900", "rate", ">=", 1900},
		{"rate>=600/m", "rate", ">=", 10},
		{"throughput>120/min", "throughput", ">", 2},
		{"requests>=1000", "requests", ">=", 1000},
		{"late_requests==0", "late_requests", "==", 0},
		{"dropped<10", "dropped", "<", 10},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSLO(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.metric, got.Metric)
			assert.Equal(t, tc.op, got.Op)
			assert.InDelta(t, tc.value, got.Value, 1e-12, "value in the metric's base unit")
			assert.Equal(t, strings.TrimSpace(tc.in), got.Text, "the text as written, trimmed")
		})
	}
}

// Every SLO that cannot be checked as meant is an error before anything is
// sent: never a silent pass (k6 #1526, #4283).
func TestParseSLOErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, msg string }{
		{"", "write METRIC OP VALUE"},
		{"p99", "write METRIC OP VALUE"},
		{"p99 50ms", "write METRIC OP VALUE"},
		{"p99=<50ms", "write METRIC OP VALUE"},
		{"p99<<50ms", "write METRIC OP VALUE"},
		{"p99<50ms and more", "write METRIC OP VALUE"},
		{"P99<50ms", "write METRIC OP VALUE"},
		{"p99<50 ms/s", "is a latency"},
		{"latency<50ms", `unknown metric "latency"`},
		{"p98<50ms", `unknown metric "p98"`},
		{"http_req_duration<50ms", "use one of dropped, errors, late, late_requests, max, mean, min, p50"},
		{"p99<50", "is a latency: give a unit"},
		{"p99<50parsecs", "is a latency"},
		{"p99<1e3us", "is a latency"},
		{"p99<...ms", "is not a number"},
		{"p99<-5ms", "must not be negative"},
		{"success>=99.9", "between 0 and 1"},
		{"success>=99.9ms", "is a ratio"},
		{"success>=101%", "between 0% and 100%"},
		{"errors<-1%", "must not be negative"},
		{"rate>=1900/h", "is a rate"},
		{"rate>=1900ms", "is a rate"},
		{"rate>=-1/s", "must not be negative"},
		{"requests>=10ms", "is a count and takes no unit"},
		{"dropped<-1", "must not be negative"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSLO(tc.in)
			require.Error(t, err, "%q must not parse", tc.in)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestParseSLOs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "slo.txt")
	require.NoError(t, os.WriteFile(good, []byte("# release gate\n\np99 < 50ms   # tail\n  success>=99.9%\n#rate>=1/s\nsign_p99<20µs\n"), 0o600))
	slos, err := ParseSLOs([]string{"rate>=1900/s"}, []string{good})
	require.NoError(t, err)
	var texts []string
	for _, s := range slos {
		texts = append(texts, s.Text)
	}
	assert.Equal(t, []string{"rate>=1900/s", "p99 < 50ms", "success>=99.9%", "sign_p99<20µs"}, texts, "flags first, then the file, comments and blank lines skipped")

	bad := filepath.Join(dir, "bad.txt")
	require.NoError(t, os.WriteFile(bad, []byte("p99<50ms\n# fine so far\n\np99<50\n"), 0o600))
	_, err = ParseSLOs(nil, []string{bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad+":4:", "the error names the file and line")
	assert.Contains(t, err.Error(), "give a unit")

	_, err = ParseSLOs([]string{"p99<50ms", "lat<1s"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown metric "lat"`)

	_, err = ParseSLOs(nil, []string{filepath.Join(dir, "missing.txt")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--slo-file")

	none, err := ParseSLOs(nil, nil)
	require.NoError(t, err)
	assert.Empty(t, none)
}

// sloSummary is a hand-made run to check SLOs against.
func sloSummary() *Summary {
	return &Summary{
		Requests: 1000, Successes: 999, SuccessRatio: 0.999, Rate: 1950, Throughput: 1940, Late: 5, Dropped: 2,
		Latency: Percentiles{Min: 0.001, Mean: 0.010, P50: 0.008, P90: 0.020, P95: 0.030, P99: 0.045, P999: 0.090, Max: 0.200},
		Sign:    SignCost{Mean: 5e-6, P99: 15e-6, Max: 40e-6, Share: 0.001},
	}
}

func TestSLOCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		slo      string
		met      bool
		observed float64
		shown    string
	}{
		{"p99<50ms", true, 0.045, "45ms"},
		{"p99<45ms", false, 0.045, "45ms"},
		{"p99<=45ms", true, 0.045, "45ms"},
		{"p50<5ms", false, 0.008, "8ms"},
		{"p90<21ms", true, 0.020, "20ms"},
		{"p95>30ms", false, 0.030, "30ms"},
		{"p999<100ms", true, 0.090, "90ms"},
		{"min>=1ms", true, 0.001, "1ms"},
		{"mean<10ms", false, 0.010, "10ms"},
		{"max<1s", true, 0.200, "200ms"},
		{"sign_p99<20us", true, 15e-6, "15µs"},
		{"sign_p99<10µs", false, 15e-6, "15µs"},
		{"sign_mean<6us", true, 5e-6, "5µs"},
		{"sign_max<30us", false, 40e-6, "40µs"},
		{"sign_share<1%", true, 0.001, "0.100%"},
		{"success>=99.9%", true, 0.999, "99.900%"},
		{"success>=99.95%", false, 0.999, "99.900%"},
		{"errors<0.1%", false, 0.001, "0.100%"},
		{"errors<=0.1%", true, 0.001, "0.100%"},
		{"late<1%", true, 0.005, "0.500%"},
		{"rate>=1900/s", true, 1950, "1950.0/s"},
		{"rate>=2000/s", false, 1950, "1950.0/s"},
		{"throughput>=1900/s", true, 1940, "1940.0/s"},
		{"requests>=1000", true, 1000, "1000"},
		{"late_requests==0", false, 5, "5"},
		{"dropped<3", true, 2, "2"},
	} {
		t.Run(tc.slo, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSLO(tc.slo)
			require.NoError(t, err)
			r := s.Check(sloSummary())
			assert.Equal(t, tc.met, r.Met, "%s against observed %v", tc.slo, r.Observed)
			assert.InDelta(t, tc.observed, r.Observed, 1e-9)
			assert.Equal(t, tc.shown, r.FormatObserved())
		})
	}
	for _, m := range SLOMetricNames() {
		assert.False(t, math.IsNaN(sloSummary().metric(m)), "metric %s is read from a summary", m)
	}

	sum := sloSummary()
	ok := sum.CheckSLOs([]SLO{mustSLO(t, "p99<50ms"), mustSLO(t, "success>=99.99%")})
	assert.False(t, ok, "one breached SLO fails the run")
	require.Len(t, sum.SLOs, 2)
	assert.True(t, sum.SLOs[0].Met)
	assert.False(t, sum.SLOs[1].Met)
	assert.True(t, sum.CheckSLOs([]SLO{mustSLO(t, "p99<50ms")}))
	assert.Len(t, sum.SLOs, 1, "a new check replaces the results")
}

// A run that gathered nothing meets no SLO that needs data, and its
// summary still encodes (a NaN observed value broke summary.json).
func TestSLOCheckWithoutData(t *testing.T) {
	t.Parallel()
	empty := &Summary{}
	for _, tc := range []string{"p99<50ms", "max<1s", "sign_p99<20us", "errors<1%", "late<1%", "success>=99%", "requests>=1"} {
		r := mustSLO(t, tc).Check(empty)
		assert.False(t, r.Met, "%s cannot be met by a run without answers", tc)
	}
	empty.CheckSLOs([]SLO{mustSLO(t, "p99<50ms"), mustSLO(t, "errors<1%")})
	b, err := json.Marshal(empty)
	require.NoError(t, err, "a summary with unmet SLOs on no data encodes")
	assert.Contains(t, string(b), `"no_data":true`)
	assert.Equal(t, "no data", empty.SLOs[0].FormatObserved())
}

func mustSLO(t *testing.T, s string) SLO {
	t.Helper()
	slo, err := ParseSLO(s)
	require.NoError(t, err)
	return slo
}

// Requests without an answer are slower than any threshold, whatever the
// operator: p99<=X as well as p99<X fails once more than 1% got none
// (the relative tolerance of == once made +Inf equal to any threshold).
func TestSLOCheckNoAnswers(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, nil, time.Millisecond, nil)
	for i := range 100 {
		o := obs(time.Duration(i)*time.Millisecond, time.Millisecond)
		if i < 2 {
			o.status, o.ok, o.err = 0, false, "connection refused"
		}
		c.add(o)
	}
	s := c.summary(0, false)
	for _, tc := range []struct {
		slo string
		met bool
	}{
		{"p99<1h", false}, {"p99<=1h", false}, {"max<=1h", false}, {"mean<1h", false},
		{"p95<=2ms", true}, {"p50<2ms", true}, {"service_p99<2ms", true},
		{"p99>1ms", true}, {"p99>=1ms", true},
	} {
		r := mustSLO(t, tc.slo).Check(s)
		assert.Equal(t, tc.met, r.Met, "%s with 2 of 100 unanswered (observed %v)", tc.slo, r.Observed)
	}
	r := mustSLO(t, "p99<50ms").Check(s)
	assert.Equal(t, "no answer (+Inf)", r.FormatObserved())
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"observed":"+Inf"`)
}
