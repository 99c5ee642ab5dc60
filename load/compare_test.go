package load

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/acsharness/acsharness/internal/race"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lognormalRun is a run of n requests whose latencies are log-normal
// around median (a typical service), scaled by factor, with noAnswer of
// them unanswered and failed of them answered not as expected, over
// n/100 one-second buckets.
func lognormalRun(seed uint64, n int, median time.Duration, factor float64, noAnswer, failed int) *Summary {
	r := rand.New(rand.NewPCG(seed, seed+1))
	c := newCollector(t0, Constant{100}, 10*time.Millisecond, nil)
	for i := range n {
		lat := time.Duration(float64(median) * math.Exp(0.5*r.NormFloat64()) * factor)
		o := obs(time.Duration(i)*10*time.Millisecond, lat)
		switch {
		case i < noAnswer:
			o.status, o.ok, o.err = 0, false, "connection refused"
		case i < noAnswer+failed:
			o.status, o.ok, o.code = 503, false, "ServiceUnavailable"
		}
		c.add(o)
	}
	return c.summary(time.Duration(n)*10*time.Millisecond, false)
}

func figure(t *testing.T, d *Diff, metric string) Comparison {
	t.Helper()
	for _, f := range d.Figures {
		if f.Metric == metric {
			return f
		}
	}
	t.Fatalf("no figure %s", metric)
	return Comparison{}
}

func mustRegressions(t *testing.T, s ...string) []Regression {
	t.Helper()
	rs, err := ParseRegressions(s)
	require.NoError(t, err)
	return rs
}

// Two runs of the same service differ by noise only: no significant
// change, and a tight threshold breached by the noise is reported, not
// failed.
func TestCompareNoiseIsNotARegression(t *testing.T) {
	t.Parallel()
	base := lognormalRun(1, 5000, 5*time.Millisecond, 1, 0, 5)
	cur := lognormalRun(2, 5000, 5*time.Millisecond, 1, 0, 5)
	d := Compare("base", base, cur, mustRegressions(t, "p99<=+1%", "p50<=+1%", "success>=-0.01%", "throughput>=-0.5%"))
	for _, m := range []string{"p50", "p90", "p99", "success", "throughput"} {
		f := figure(t, d, m)
		assert.True(t, f.Tested, m)
		assert.False(t, f.Significant, "%s: %+.2f%% [%+.2f%%, %+.2f%%] is noise", m, 100*f.Change, 100*f.Low, 100*f.High)
		assert.Equal(t, "no significant change", f.Verdict(), m)
	}
	assert.True(t, d.Met(), "noise fails no threshold: %+v", d.Regressions)
}

// A 30% slower service is a significant change, and breaches p99<=+10%.
func TestCompareDetectsASlowdown(t *testing.T) {
	t.Parallel()
	base := lognormalRun(1, 5000, 5*time.Millisecond, 1, 0, 0)
	cur := lognormalRun(2, 5000, 5*time.Millisecond, 1.3, 0, 0)
	d := Compare("base", base, cur, mustRegressions(t, "p99<=+10%", "p50<=+50%", "p99<=+100ms"))
	for _, m := range []string{"p50", "p99", "service_p99"} {
		f := figure(t, d, m)
		assert.True(t, f.Significant, "%s %+.1f%% [%+.1f%%, %+.1f%%]", m, 100*f.Change, 100*f.Low, 100*f.High)
		assert.InDelta(t, 0.3, f.Change, 0.12, m)
		assert.Less(t, f.Low, 0.3)
		assert.Greater(t, f.High, 0.3, "the interval holds the true change")
		assert.Equal(t, "higher", f.Verdict())
	}
	require.Len(t, d.Regressions, 3)
	assert.False(t, d.Regressions[0].Met, "p99 grew 30%%, significantly")
	assert.True(t, d.Regressions[1].Met, "within +50%%")
	assert.True(t, d.Regressions[2].Met, "an absolute threshold: within 100ms")
	assert.False(t, d.Met())
}

// A run where 5% got no answer has an infinite p99: a regression whatever
// the threshold; and a success ratio that fell is a significant change.
func TestCompareNoAnswersAndSuccess(t *testing.T) {
	t.Parallel()
	base := lognormalRun(1, 4000, 5*time.Millisecond, 1, 0, 0)
	cur := lognormalRun(2, 4000, 5*time.Millisecond, 1, 200, 0)
	d := Compare("base", base, cur, mustRegressions(t, "p99<=+1000%", "success>=-1%"))
	f := figure(t, d, "p99")
	assert.True(t, math.IsInf(f.New, 1))
	assert.True(t, math.IsInf(f.Change, 1))
	assert.True(t, f.Significant)
	assert.False(t, d.Regressions[0].Met)
	s := figure(t, d, "success")
	assert.InDelta(t, -0.05, s.Change, 1e-9)
	assert.True(t, s.Significant)
	assert.False(t, d.Regressions[1].Met)

	b, err := json.Marshal(d)
	require.NoError(t, err, "infinite changes are written to JSON")
	assert.Contains(t, string(b), `"change":"+Inf"`)
	var back Diff
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsInf(back.Figures[2].New, 1), "and read back")
}

func TestParseRegression(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Regression
	}{
		{"p99<=+10%", Regression{Metric: "p99", Op: "<=", Change: 0.10, Relative: true, Text: "p99<=+10%"}},
		{"success >= -0.1%", Regression{Metric: "success", Op: ">=", Change: -0.001, Relative: true, Text: "success >= -0.1%"}},
		{"throughput>=-5%", Regression{Metric: "throughput", Op: ">=", Change: -0.05, Relative: true, Text: "throughput>=-5%"}},
		{"p99<=+5ms", Regression{Metric: "p99", Op: "<=", Change: 0.005, Text: "p99<=+5ms"}},
	} {
		got, err := ParseRegression(tc.in)
		require.NoError(t, err, tc.in)
		assert.InDelta(t, tc.want.Change, got.Change, 1e-12, tc.in)
		got.Change = tc.want.Change
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, tc := range []struct{ in, msg string }{
		{"p99<=10%", "SIGNED-CHANGE"},
		{"p99==+10%", "SIGNED-CHANGE"},
		{"latency<=+10%", `unknown metric "latency"`},
		{"p99<=+5", "give a unit"},
		{"success>=-1ms", "is a ratio"},
	} {
		_, err := ParseRegression(tc.in)
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.msg, tc.in)
	}
}

// The bootstrap's interval of a percentile covers the true change about
// 95% of the time: over 40 pairs of runs of one service, the interval of
// "no change" excludes zero rarely.
func TestBootstrapCoverage(t *testing.T) {
	race.Skip(t, "arithmetic: 40 bootstraps of 2,000 rounds")
	t.Parallel()
	flagged := 0
	for i := range uint64(40) {
		base := lognormalRun(100+2*i, 2000, 5*time.Millisecond, 1, 0, 0)
		cur := lognormalRun(101+2*i, 2000, 5*time.Millisecond, 1, 0, 0)
		if figure(t, Compare("b", base, cur, nil), "p90").Significant {
			flagged++
		}
	}
	assert.LessOrEqual(t, flagged, 6, "a 95%% interval flags about 2 in 40 identical pairs, not %d", flagged)
}
