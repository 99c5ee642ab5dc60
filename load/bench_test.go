package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/signature"
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

func TestBenchGateway(t *testing.T) {
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	demo := signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: gateway.DemoKeySecret}

	res, err := load.BenchGateway(context.Background(), load.GatewayBenchOptions{
		Target: l.URL, Credentials: demo, Duration: 200 * time.Millisecond, Workers: 4, Rounds: 2})
	require.NoError(t, err)
	for name, s := range map[string]load.GatewayBenchSide{"gateway": res.Gateway, "bare": res.Bare} {
		assert.Positive(t, s.Requests, "%s: requests were sent", name)
		assert.Equal(t, s.Requests, s.Successes, "%s: every signed request is accepted (fresh nonces)", name)
		assert.Positive(t, s.Rate, "%s: rate", name)
		assert.Positive(t, s.P50, "%s: p50", name)
		assert.GreaterOrEqual(t, s.P99, s.P50, "%s: p99 ≥ p50", name)
		assert.InDelta(t, 0.2, s.Seconds, 0.1, "%s: attacked for its share of the duration", name)
	}
	assert.InDelta(t, res.Gateway.Rate/res.Bare.Rate, res.Ratio, 1e-9)
	assert.Equal(t, "rpc ListGroupId", res.Workload, "the default workload is the first profile's probe")

	b, err := json.Marshal(res)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"workload", "workers", "duration_seconds", "rounds", "gomaxprocs", "gateway", "bare", "gateway_over_bare"} {
		assert.Contains(t, m, k, "the JSON object carries %q", k)
	}
	for _, k := range []string{"requests", "successes", "seconds", "rate", "p50", "p99"} {
		assert.Contains(t, m["gateway"], k, "a side carries %q", k)
	}

	var text bytes.Buffer
	require.NoError(t, res.WriteText(&text))
	assert.Contains(t, text.String(), "GATEWAY/BARE")
	assert.Contains(t, text.String(), "bare net/http")
}

func TestBenchGatewayRefused(t *testing.T) {
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	_, err = load.BenchGateway(context.Background(), load.GatewayBenchOptions{Target: l.URL, Duration: 50 * time.Millisecond,
		Credentials: signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: "wrong"}})
	require.Error(t, err, "a gateway that refuses the signed request is no benchmark")
	assert.Contains(t, err.Error(), "refused")
	assert.NotContains(t, err.Error(), "wrong", "the secret never appears in an error")
}
