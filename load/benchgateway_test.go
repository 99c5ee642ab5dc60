package load

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// benchClientArgs is the command line of BenchGateway's client process in
// these tests: this test binary, running TestBenchClientProcess alone.
var benchClientArgs = []string{os.Args[0], "-test.run=^TestBenchClientProcess$", "-test.count=1"}

// TestBenchClientProcess is BenchGateway's client process when this test
// binary is started as one; otherwise it has nothing to do.
func TestBenchClientProcess(t *testing.T) {
	if !IsBenchClient() {
		t.Skip("run as BenchGateway's client process only")
	}
	os.Exit(BenchClientMain(context.Background(), os.Stdin, os.Stdout, os.Stderr))
}

func TestBenchGateway(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	demo := signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: gateway.DemoKeySecret}

	var profile, bareProfile bytes.Buffer
	res, err := BenchGateway(context.Background(), GatewayBenchOptions{
		Target: l.URL, Credentials: demo, Server: "test gateway", Duration: 100 * time.Millisecond, Workers: 4, Rounds: 2,
		Client: benchClientArgs, CPUProfile: &profile, BareCPUProfile: &bareProfile, ProfileDuration: 50 * time.Millisecond})
	require.NoError(t, err)
	for name, s := range map[string]GatewayBenchSide{"gateway": res.Gateway, "bare": res.Bare} {
		assert.Positive(t, s.Requests, "%s: requests were sent", name)
		assert.Equal(t, s.Requests, s.Successes, "%s: every signed request is accepted (fresh nonces)", name)
		assert.Positive(t, s.Rate, "%s: rate", name)
		assert.Positive(t, s.P50, "%s: p50", name)
		assert.GreaterOrEqual(t, s.P99, s.P50, "%s: p99 ≥ p50", name)
		assert.InDelta(t, 0.1, s.Seconds, 0.08, "%s: attacked for its share of the duration", name)
		assert.Positive(t, s.ServerCPU, "%s: the server's CPU per request is measured", name)
		assert.Positive(t, s.ClientCPU, "%s: the client process's CPU per request is measured", name)
	}
	require.Len(t, res.PerRound, 2, "one entry per round")
	for i, r := range res.PerRound {
		rate := func(s GatewayRoundSide) float64 { return float64(s.Requests) / s.Seconds }
		cpu := func(s GatewayRoundSide) float64 { return s.ServerCPU / float64(s.Requests) }
		assert.InDelta(t, rate(r.Gateway)/rate(r.Bare), res.Throughput.Rounds[i], 1e-9, "round %d: the throughput ratio is the round's", i)
		assert.InDelta(t, cpu(r.Gateway)/cpu(r.Bare), res.CPUPerRequest.Rounds[i], 1e-9, "round %d: the CPU ratio is the round's", i)
	}
	for name, s := range map[string]Spread{"throughput": res.Throughput, "cpu": res.CPUPerRequest} {
		assert.LessOrEqual(t, s.Min, s.Median, name)
		assert.LessOrEqual(t, s.Median, s.Max, name)
		assert.Len(t, s.Rounds, 2, name)
	}
	assert.Equal(t, res.Throughput.Median, res.Ratio, "gateway_over_bare is the median throughput ratio")
	assert.Equal(t, "rpc ListGroupId", res.Workload, "the default workload is the first profile's probe")
	assert.NotEmpty(t, profile.Bytes(), "the CPU profile was written")
	assert.NotEmpty(t, bareProfile.Bytes(), "the bare handler's CPU profile was written")

	b, err := json.Marshal(res)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"workload", "server", "workers", "duration_seconds", "rounds", "gomaxprocs", "num_cpu", "gateway", "bare",
		"gateway_over_bare", "throughput_ratio", "cpu_per_request_ratio", "per_round"} {
		assert.Contains(t, m, k, "the JSON object carries %q", k)
	}
	for _, k := range []string{"requests", "successes", "seconds", "rate", "p50", "p99", "server_cpu_us_per_request", "client_cpu_us_per_request"} {
		assert.Contains(t, m["gateway"], k, "a side carries %q", k)
	}
	for _, k := range []string{"median", "min", "max", "rounds"} {
		assert.Contains(t, m["cpu_per_request_ratio"], k, "a ratio carries %q", k)
	}

	var text bytes.Buffer
	require.NoError(t, res.WriteText(&text))
	for _, s := range []string{"reference gateway", "bare net/http", "SERVER CPU/REQ", "CLIENT CPU/REQ", "throughput", "server CPU per request",
		"MEDIAN", "MIN", "MAX", "test gateway", "separate client process"} {
		assert.Contains(t, text.String(), s)
	}
}

func TestBenchGatewayRefused(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	_, err := BenchGateway(context.Background(), GatewayBenchOptions{Target: l.URL, Duration: 50 * time.Millisecond, Client: benchClientArgs,
		Credentials: signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: "wrong"}})
	require.Error(t, err, "a gateway that refuses the signed request is no benchmark")
	assert.Contains(t, err.Error(), "refused")
	assert.NotContains(t, err.Error(), "wrong", "the secret never appears in an error")
}

func TestBenchGatewayClientFails(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	demo := signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: gateway.DemoKeySecret}
	for _, tc := range []struct {
		name   string
		client []string
		want   string
	}{
		{"not a client", []string{os.Args[0], "-test.run=^$"}, "did not answer"},
		{"no such executable", []string{"/nonexistent/acsharness"}, "start the client process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := BenchGateway(context.Background(), GatewayBenchOptions{Target: l.URL, Credentials: demo,
				Duration: 50 * time.Millisecond, Rounds: 1, Workers: 1, Client: tc.client})
			require.Error(t, err, "a client process that does not run the client is an error")
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), string(gateway.DemoKeySecret), "the secret never appears in an error")
		})
	}
}
