package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/load"
)

// These tests check the shape and sanity of the benchmark figures on very
// short runs; the figures themselves are never asserted (a speed goal lives
// in a benchmark, see perf_test.go).

func TestBenchSigners(t *testing.T) {
	t.Parallel()
	res, err := load.BenchSigners(context.Background(), load.SignerBenchOptions{Duration: 5 * time.Millisecond, Count: 2})
	require.NoError(t, err, "every signer signs the benchmark request as the template does")
	require.Len(t, res.Styles, 3, "one entry per style")
	for i, style := range []string{"rpc", "roa", "v3"} {
		s := res.Styles[i]
		assert.Equal(t, style, s.Style)
		for _, f := range []load.SignerFigures{s.Ours, s.Floor, s.TailFloor, s.SDK} {
			assert.NotEmpty(t, f.Impl, "%s %s names the code measured", style, f.Signer)
			assert.Positive(t, f.NsPerOp, "%s %s: ns/op", style, f.Signer)
			assert.InDelta(t, 1e9/f.NsPerOp, f.OpsPerSecond, 1e-6*f.OpsPerSecond, "%s %s: ops/s is 1e9 / ns/op", style, f.Signer)
			assert.Len(t, f.Runs, 2, "%s %s: one figure per --count", style, f.Signer)
			assert.GreaterOrEqual(t, f.AllocsPerOp, 0.0)
		}
		assert.Equal(t, []string{load.SignerOurs, load.SignerFloor, load.SignerTailFloor, load.SignerSDK},
			[]string{s.Ours.Signer, s.Floor.Signer, s.TailFloor.Signer, s.SDK.Signer})
		assert.Positive(t, s.SDK.AllocsPerOp, "%s: the SDK signer allocates (a zero means the counter is broken)", style)
		// The ratios are medians of the rounds' paired ratios: with two
		// rounds, the mean of the two.
		paired := func(a, b []float64) float64 { return (a[0]/b[0] + a[1]/b[1]) / 2 }
		assert.InDelta(t, paired(s.Ours.Runs, s.Floor.Runs), s.OursOverFloor, 1e-9)
		assert.InDelta(t, paired(s.Ours.Runs, s.TailFloor.Runs), s.OursOverTailFloor, 1e-9)
		assert.InDelta(t, paired(s.SDK.Runs, s.Ours.Runs), s.SDKOverOurs, 1e-9)
		lo, hi := min(s.Ours.Runs[0]/s.Floor.Runs[0], s.Ours.Runs[1]/s.Floor.Runs[1]), max(s.Ours.Runs[0]/s.Floor.Runs[0], s.Ours.Runs[1]/s.Floor.Runs[1])
		assert.Equal(t, [2]float64{lo, hi}, s.OursOverFloorRange)
	}
	assert.Equal(t, 2, res.Count)
	assert.Positive(t, res.GOMAXPROCS)

	b, err := json.Marshal(res)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.NotEmpty(t, res.SHAPath, "which SHA code ran")
	for _, k := range []string{"go_version", "platform", "gomaxprocs", "duration_seconds", "count", "request", "sha_path", "styles"} {
		assert.Contains(t, m, k, "the JSON object carries %q", k)
	}
	st := m["styles"].([]any)[0].(map[string]any)
	for _, k := range []string{"style", "ours", "floor", "tail_floor", "sdk", "ours_over_floor", "ours_over_floor_range", "ours_over_tail_floor", "sdk_over_ours"} {
		assert.Contains(t, st, k, "a style carries %q", k)
	}
	for _, k := range []string{"signer", "impl", "ns_per_op", "ops_per_second_per_core", "allocs_per_op", "bytes_per_op", "runs_ns_per_op"} {
		assert.Contains(t, st["ours"], k, "a signer's figures carry %q", k)
	}

	var text bytes.Buffer
	require.NoError(t, res.WriteText(&text))
	for _, col := range []string{"NS/OP", "OPS/S/CORE", "ALLOCS/OP", "OURS/FLOOR", "OURS/TAIL-FLOOR", "SDK/OURS", "openapi-util GetRPCSignature", "SHA code on this CPU"} {
		assert.Contains(t, text.String(), col)
	}
}

func TestBenchSignersOptions(t *testing.T) {
	t.Parallel()
	_, err := load.BenchSigners(context.Background(), load.SignerBenchOptions{Duration: -time.Second})
	assert.Error(t, err, "a negative duration is refused")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = load.BenchSigners(ctx, load.SignerBenchOptions{Duration: time.Millisecond, Count: 1})
	assert.ErrorIs(t, err, context.Canceled, "a cancelled context stops the measurements")
}
