package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acsharness/acsharness/internal/race"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no benchmark named", []string{"bench"}, exitUsage},
		{"unknown benchmark", []string{"bench", "nope"}, exitUsage},
		{"help", []string{"bench", "-h"}, exitOK},
		{"signer: unknown flag", []string{"bench", "signer", "--bogus"}, exitUsage},
		{"signer: zero count", []string{"bench", "signer", "--count", "0"}, exitUsage},
		{"signer: negative duration", []string{"bench", "signer", "--duration", "-1s"}, exitUsage},
		{"signer: malformed duration", []string{"bench", "signer", "--duration", "fast"}, exitUsage},
		{"signer: stray argument", []string{"bench", "signer", "extra"}, exitUsage},
		{"signer: help", []string{"bench", "signer", "-h"}, exitOK},
		{"gateway: zero workers", []string{"bench", "gateway", "--workers", "0"}, exitUsage},
		{"gateway: zero rounds", []string{"bench", "gateway", "--rounds", "0"}, exitUsage},
		{"gateway: zero duration", []string{"bench", "gateway", "--duration", "0s"}, exitUsage},
		{"load: zero workers", []string{"bench", "load", "--workers", "0"}, exitUsage},
		{"load: zero rounds", []string{"bench", "load", "--rounds", "0"}, exitUsage},
		{"load: zero duration", []string{"bench", "load", "--duration", "0s"}, exitUsage},
		{"load: unknown flag", []string{"bench", "load", "--rate", "100/s"}, exitUsage},
		{"load: help", []string{"bench", "load", "-h"}, exitOK},
		{"gateway: zero profile time", []string{"bench", "gateway", "--profile-time", "0s"}, exitUsage},
		{"gateway: unwritable profile", []string{"bench", "gateway", "--duration", "10ms", "--cpuprofile", "/nonexistent/dir/cpu.pprof"}, exitUsage},
		{"gateway: unwritable bare profile", []string{"bench", "gateway", "--duration", "10ms", "--bare-cpuprofile", "/nonexistent/dir/cpu.pprof"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, map[string]string{}, tc.args...)
			assert.Equal(t, tc.code, code, "exit code of %v (stderr: %s)", tc.args, errOut)
		})
	}
}

func TestBenchSigner(t *testing.T) {
	t.Parallel()
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{}, "bench", "signer", "--json", "--duration", "2ms", "--count", "1")
		require.Equal(t, exitOK, code, errOut)
		var res struct {
			Count  int `json:"count"`
			Styles []struct {
				Style         string         `json:"style"`
				Ours          map[string]any `json:"ours"`
				Floor         map[string]any `json:"floor"`
				SDK           map[string]any `json:"sdk"`
				OursOverFloor float64        `json:"ours_over_floor"`
				SDKOverOurs   float64        `json:"sdk_over_ours"`
			} `json:"styles"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res), "--json prints one object: %s", out)
		assert.Equal(t, 1, res.Count)
		require.Len(t, res.Styles, 3)
		for _, s := range res.Styles {
			for _, f := range []map[string]any{s.Ours, s.Floor, s.SDK} {
				for _, k := range []string{"signer", "impl", "ns_per_op", "ops_per_second_per_core", "allocs_per_op"} {
					assert.Contains(t, f, k, "%s figures carry %q", s.Style, k)
				}
				assert.Positive(t, f["ns_per_op"], "%s %s ns/op", s.Style, f["signer"])
			}
			assert.Positive(t, s.OursOverFloor, "%s ours/floor", s.Style)
			assert.Positive(t, s.SDKOverOurs, "%s sdk/ours", s.Style)
		}
	})
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{}, "bench", "signer", "--duration", "2ms", "--count", "1")
		require.Equal(t, exitOK, code, errOut)
		for _, col := range []string{"STYLE", "SIGNER", "NS/OP", "OPS/S/CORE", "ALLOCS/OP", "OURS/FLOOR", "SDK/OURS"} {
			assert.Contains(t, out, col, "the table has the %s column", col)
		}
		for _, row := range []string{"rpc", "roa", "v3", "acsharness", "floor", "sdk"} {
			assert.Contains(t, out, row)
		}
	})
}

func TestBenchGatewayCommand(t *testing.T) {
	race.Skip(t, "a benchmark's figures mean nothing under the detector")
	t.Parallel()
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{}, "bench", "gateway", "--json", "--duration", "100ms", "--workers", "2", "--rounds", "1")
		require.Equal(t, exitOK, code, errOut)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &res), "--json prints one object: %s", out)
		for _, k := range []string{"workload", "server", "workers", "gateway", "bare", "gateway_over_bare", "throughput_ratio", "cpu_per_request_ratio", "per_round"} {
			assert.Contains(t, res, k)
		}
		assert.Positive(t, res["gateway_over_bare"])
		assert.Contains(t, res["server"], "access log", "the gateway serves with serve's default access log")
		for _, side := range []string{"gateway", "bare"} {
			s := res[side].(map[string]any)
			assert.Positive(t, s["rate"], "%s rate", side)
			assert.Positive(t, s["server_cpu_us_per_request"], "%s server CPU per request", side)
			assert.Equal(t, s["requests"], s["successes"], "%s: every request succeeds", side)
		}
		assert.Positive(t, res["cpu_per_request_ratio"].(map[string]any)["median"], "the CPU ratio is measured")
	})
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{}, "bench", "gateway", "--duration", "100ms", "--workers", "2", "--rounds", "1")
		require.Equal(t, exitOK, code, errOut)
		for _, s := range []string{"REQ/S", "reference gateway", "bare net/http", "GATEWAY/BARE", "SERVER CPU/REQ", "server CPU per request", "MEDIAN"} {
			assert.Contains(t, out, s)
		}
	})
	t.Run("no access log, profile", func(t *testing.T) {
		t.Parallel()
		profile := filepath.Join(t.TempDir(), "cpu.pprof")
		code, out, errOut := runCLI(t, map[string]string{}, "bench", "gateway", "--duration", "100ms", "--workers", "2", "--rounds", "1",
			"--no-access-log", "--cpuprofile", profile, "--bare-cpuprofile", profile+".bare", "--profile-time", "100ms")
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, "server: reference gateway, no access log")
		for _, p := range []string{profile, profile + ".bare"} {
			info, err := os.Stat(p)
			require.NoError(t, err, "the profile %s is written", p)
			assert.Positive(t, info.Size(), "the profile %s is not empty", p)
		}
	})
}

func init() {
	// The server process of bench load is this test binary, which runs
	// acsharness when told so (TestMain).
	loadServerEnv = []string{envTestMain + "=1"}
}

func TestBenchLoadCommand(t *testing.T) {
	race.Skip(t, "a benchmark's figures mean nothing under the detector")
	t.Parallel()
	args := []string{"bench", "load", "--duration", "150ms", "--workers", "2", "--rounds", "2"}
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{}, append(args, "--json")...)
		require.Equal(t, exitOK, code, errOut)
		type spread struct {
			Median, Min, Max float64
			Rounds           []float64
		}
		var res struct {
			Workers         uint64         `json:"workers"`
			Rounds          int            `json:"rounds"`
			Signed          map[string]any `json:"signed"`
			Static          map[string]any `json:"static"`
			ThroughputRatio spread         `json:"throughput_ratio"`
			CPURatio        spread         `json:"cpu_ratio"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res), "--json prints one object: %s", out)
		assert.Equal(t, uint64(2), res.Workers)
		assert.Equal(t, 2, res.Rounds)
		for name, side := range map[string]map[string]any{"signed": res.Signed, "static": res.Static} {
			assert.Positive(t, side["throughput"], "%s throughput", name)
			assert.Positive(t, side["cpu_per_request"], "%s CPU per request", name)
			assert.Len(t, side["runs"], 2, "%s: one run per round", name)
		}
		assert.Len(t, res.ThroughputRatio.Rounds, 2, "one ratio per round")
		assert.Positive(t, res.ThroughputRatio.Median)
		assert.LessOrEqual(t, res.ThroughputRatio.Min, res.ThroughputRatio.Median)
		assert.GreaterOrEqual(t, res.ThroughputRatio.Max, res.ThroughputRatio.Median)
		assert.Len(t, res.CPURatio.Rounds, 2)
	})
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{}, args...)
		require.Equal(t, exitOK, code, errOut)
		for _, s := range []string{"GENERATOR", "REQ/S", "CPU/REQ", "acsharness signed", "vegeta static",
			"signed/static throughput", "signed/static CPU/request"} {
			assert.Contains(t, out, s)
		}
	})
}

// Stopped midway, bench load exits 105 and stops its server process.
func TestBenchLoadInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background()) // as SIGINT does
	defer cancel()
	time.AfterFunc(400*time.Millisecond, cancel)
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(&env{ctx: ctx, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }},
		[]string{"bench", "load", "--duration", "20s", "--workers", "2"})
	assert.Equal(t, exitInterrupted, code, errb.String())
	assert.Less(t, time.Since(start), 15*time.Second, "the attack stops when interrupted, not at its end")
	assert.Contains(t, errb.String(), "interrupted")
	assert.Empty(t, out.String(), "no figures from an interrupted benchmark")
}

// A server process that does not come up is acsharness's failure (5),
// named. Not parallel: it changes the server's arguments.
func TestBenchLoadServerFails(t *testing.T) {
	saved := loadServerArgs
	loadServerArgs = []string{"bench", "no-such-benchmark"}
	defer func() { loadServerArgs = saved }()
	code, _, errOut := runCLI(t, map[string]string{}, "bench", "load", "--duration", "100ms", "--rounds", "1")
	assert.Equal(t, exitInternal, code, errOut)
	assert.Contains(t, errOut, "did not print its URL")
}
