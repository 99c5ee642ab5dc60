package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/signature"
)

// envTestMain makes the test binary run acsharness itself: the
// multi-process tests start it again as the command.
const envTestMain = "ACSHARNESS_TEST_MAIN"

func TestMain(m *testing.M) {
	// A client process of bench gateway is this binary too, started with
	// load.BenchClientEnv and the arguments bench gateway-client.
	if os.Getenv(envTestMain) == "1" || load.IsBenchClient() {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(&env{ctx: ctx, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// demoEnv is the environment of a command signing with the demo key.
func demoEnv() map[string]string {
	return map[string]string{signature.EnvAccessKeyID: gateway.DemoKeyID, signature.EnvAccessKeySecret: gateway.DemoKeySecret}
}

// gatewayCodes sums the gateway's own request counter by code.
func gatewayCodes(t *testing.T, l *gateway.Local) map[string]float64 {
	t.Helper()
	mfs, err := l.Gateway.Registry().Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "acsharness_gateway_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "code" {
					out[lp.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// readSummary reads a summary.json written by `load` or `report merge`.
func readSummary(t *testing.T, dir string) load.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	var s load.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// childEnv is this process's environment without anything that would
// choose credentials or a shard for the child, plus extra.
func childEnv(t *testing.T, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ALIBABA_CLOUD_") || strings.HasPrefix(k, "ACSHARNESS_") || k == "JOB_COMPLETION_INDEX" || k == "HOME" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, append([]string{envTestMain + "=1", "HOME=" + t.TempDir(),
		signature.EnvAccessKeyID + "=" + gateway.DemoKeyID, signature.EnvAccessKeySecret + "=" + string(gateway.DemoKeySecret)}, extra...)...)
}

// Three shards run as three processes at once against one gateway, start
// together, and merge into one report: nothing lost, no nonce repeated
// across them, and a merge short of a shard refused.
func TestLoadShardsInProcessesAndMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes for 4 s")
	}
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	startAt := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	type child struct {
		cmd            *exec.Cmd
		stdout, stderr bytes.Buffer
	}
	children := make([]*child, 3)
	for i := range children {
		c := &child{}
		c.cmd = exec.CommandContext(ctx, self, "load", "--target", l.URL, "--shard", fmt.Sprintf("%d/3", i), "--start-at", startAt,
			"--duration", "2s", "--rate", "90/s", "--report-dir", filepath.Join(dir, fmt.Sprintf("shard-%d", i)),
			"--slo", "success>=99%", "--quiet", "--color", "never")
		c.cmd.Env = childEnv(t)
		c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
		c.cmd.WaitDelay = 5 * time.Second
		require.NoError(t, c.cmd.Start())
		children[i] = c
	}
	for i, c := range children {
		err := c.cmd.Wait()
		require.NoError(t, err, "shard %d/3 exits 0\nstdout:\n%s\nstderr:\n%s", i, c.stdout.String(), c.stderr.String())
		assert.Contains(t, c.stdout.String(), "✓ success>=99%")
	}

	var shardTotal uint64
	var started []time.Time
	for i := range children {
		d := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		m, err := load.ReadManifest(d)
		require.NoError(t, err)
		assert.Equal(t, i, m.Shard)
		assert.Equal(t, 3, m.Shards)
		assert.InDelta(t, 61, float64(m.Requests), 4, "shard %d sent a third: 30/s for 2 s", i)
		assert.Equal(t, "30/s", m.Summary.Schedule, "each shard runs its share of the rate")
		shardTotal += m.Requests
		started = append(started, m.Summary.Started)
		_, err = os.Stat(filepath.Join(d, "results.bin"))
		assert.NoError(t, err)
	}
	for _, s := range started[1:] {
		assert.WithinDuration(t, started[0], s, 500*time.Millisecond, "the shards start together at --start-at")
	}

	merged := filepath.Join(dir, "merged")
	code, stdout, stderr := runCLI(t, map[string]string{}, "report", "merge",
		filepath.Join(dir, "shard-0"), filepath.Join(dir, "shard-1"), filepath.Join(dir, "shard-2"), "--report-dir", merged, "--color", "never")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "merged 3 shards of run ")
	assert.Contains(t, stdout, "✓ success>=99%", "the shards' SLOs are checked on the merged run")
	sum := readSummary(t, merged)
	assert.Equal(t, 3, sum.Shards)
	assert.Equal(t, shardTotal, sum.Requests, "the merged count is the shards' sum")
	assert.InDelta(t, 183, float64(sum.Requests), 10, "90/s for 2 s, hits due at 0 s and 2 s included")
	assert.Equal(t, sum.Requests, sum.Successes, "codes %v", sum.Codes)
	assert.Zero(t, sum.Codes[gateway.CodeNonceUsed], "disjoint nonce namespaces")
	assert.InDelta(t, 90, sum.RequestedRate, 0.01)
	assert.Equal(t, "3 shards of 30/s", sum.Schedule)
	codes := gatewayCodes(t, l)
	assert.Zero(t, codes[gateway.CodeNonceUsed], "the gateway saw no nonce twice: %v", codes)
	assert.InDelta(t, float64(sum.Requests), codes["OK"], 0, "the gateway accepted every request")

	code, _, stderr = runCLI(t, map[string]string{}, "report", "merge", filepath.Join(dir, "shard-0"), filepath.Join(dir, "shard-2"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "shards missing: 1/3")
}

// countingServer counts the requests it gets on 127.0.0.1.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// An SLO that cannot be checked as written stops the command before
// anything is sent (k6 #1526: never a silent pass).
func TestLoadBadSLOSendsNothing(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	sloFile := filepath.Join(t.TempDir(), "slo.txt")
	require.NoError(t, os.WriteFile(sloFile, []byte("# gate\np99<50ms\nsuccess>=99.9\n"), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no unit", []string{"--slo", "p99<50"}, "is a latency: give a unit"},
		{"unknown metric", []string{"--slo", "latency<50ms"}, `unknown metric "latency"`},
		{"no operator", []string{"--slo", "p99 50ms"}, "write METRIC OP VALUE"},
		{"wrong unit", []string{"--slo", "success>=99.9ms"}, "is a ratio"},
		{"negative", []string{"--slo", "p99>-1ms"}, "must not be negative"},
		{"bad file line", []string{"--slo", "p99<50ms", "--slo-file", sloFile}, sloFile + ":3:"},
		{"missing file", []string{"--slo-file", sloFile + ".missing"}, "--slo-file"},
	} {
		t.Run(tc.name, func(t *testing.T) { // not parallel: the count below waits for them
			args := append([]string{"load", "--target", srv.URL, "--requests", "5", "--quiet"}, tc.args...)
			code, stdout, stderr := runCLI(t, demoEnv(), args...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tc.msg)
			assert.Empty(t, stdout)
		})
	}
	assert.Zero(t, hits.Load(), "nothing was sent, not even a probe")
}

func TestLoadSLOExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		slo  []string
		code int
		want []string
	}{
		{"breached", []string{"--slo", "p99<1ns", "--slo", "success>=99%"}, exitSLO, []string{"✗ p99<1ns", "✓ success>=99%"}},
		{"met", []string{"--slo", "p99<10s", "--slo", "success>=99%", "--slo", "requests==12"}, exitOK, []string{"✓ p99<10s", "✓ requests==12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"load", "--rate", "200/s", "--requests", "12", "--quiet", "--color", "never"}, tc.slo...)
			code, stdout, stderr := runCLI(t, map[string]string{}, args...)
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Contains(t, stdout, "embedded reference gateway")
			assert.Contains(t, stdout, "requests   12 in")
			for _, w := range tc.want {
				assert.Contains(t, stdout, w)
			}
		})
	}
}

func TestLoadUnreachableTarget(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, demoEnv(), "load", "--target", "http://127.0.0.1:1", "--requests", "5", "--quiet", "--report-dir", dir)
	assert.Equal(t, exitUnreachable, code)
	assert.Contains(t, stderr, "the target http://127.0.0.1:1 never answered")
	assert.Empty(t, stdout)
	_, err := os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "no report of a run that never started")
}

// --rate 0 sends as fast as a fixed number of workers go.
func TestLoadRateZeroWithWorkers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, map[string]string{}, "load", "--rate", "0", "--workers", "2", "--requests", "25", "--quiet",
		"--color", "never", "--slo", "success==100%", "--report-dir", dir)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "schedule   max")
	sum := readSummary(t, dir)
	assert.Equal(t, uint64(25), sum.Requests)
	assert.Equal(t, uint64(25), sum.Successes)
	assert.Zero(t, sum.Late)
	_, err := os.Stat(filepath.Join(dir, load.ManifestFile))
	assert.True(t, os.IsNotExist(err), "a run that is not a shard writes no manifest")
}

func TestLoadFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"bad rate", []string{"--rate", "fast"}, "--rate"},
		{"ramp and steps", []string{"--ramp", "1:2", "--steps", "1/s@1s"}, "exclude each other"},
		{"bad shard", []string{"--shard", "3/3"}, "--shard"},
		{"bad start", []string{"--start-at", "tomorrow"}, "RFC 3339"},
		{"unknown scenario", []string{"--scenario", "no/such"}, "matches no scenario"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, map[string]string{}, append([]string{"load", "--requests", "1", "--quiet"}, tc.args...)...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr, tc.msg)
		})
	}
}

func TestReportMergeUsage(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, map[string]string{}, "report")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "usage: acsharness report merge")
	code, _, stderr = runCLI(t, map[string]string{}, "report", "merge", "--report-dir", t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "give the shard directories")
	code, _, stderr = runCLI(t, map[string]string{}, "report", "merge", t.TempDir(), "--slo", "p99<50")
	assert.Equal(t, exitUsage, code, "a malformed SLO after the directories is still a flag")
	assert.Contains(t, stderr, "give a unit")
}

// deployJobArgs reads the args of a Job of deploy/kubernetes.
func deployJobArgs(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", file))
	require.NoError(t, err)
	var job struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	require.NoError(t, yaml.Unmarshal(b, &job))
	require.NotEmpty(t, job.Spec.Template.Spec.Containers)
	return job.Spec.Template.Spec.Containers[0].Args
}

// The Kubernetes example's commands are ones acsharness accepts: the shard
// comes from the Indexed Job's environment, and the merge's flags parse.
func TestDeployJobsMatchTheCommand(t *testing.T) {
	t.Parallel()
	args := deployJobArgs(t, "load-job.yaml")
	require.Equal(t, "load", args[0])
	start := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "START_AT", start)
		args[i] = strings.ReplaceAll(args[i], "$(JOB_COMPLETION_INDEX)", "1")
	}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var l loadFlags
	l.register(fs)
	require.NoError(t, fs.Parse(args[1:]))
	require.Zero(t, fs.NArg())
	environ := map[string]string{"JOB_COMPLETION_INDEX": "1", "ACSHARNESS_SHARDS": "4"}
	p, err := l.plan(&env{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return environ[k] }})
	require.NoError(t, err)
	assert.Equal(t, load.Shard{Index: 1, Of: 4}, p.shard, "the shard comes from JOB_COMPLETION_INDEX and ACSHARNESS_SHARDS")
	assert.Equal(t, "500/s", p.schedule.String(), "each of 4 shards sends a quarter of 2000/s")
	assert.Equal(t, start, p.startAt.Format(time.RFC3339))
	assert.Equal(t, "/out/shard-1", l.reportDir)
	assert.Empty(t, p.slos)

	margs := deployJobArgs(t, "merge-job.yaml")
	code, _, stderr := runCLI(t, map[string]string{}, margs...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "shard /out/shard-0: ", "the flags and SLOs parse; only the shards are missing here")
}
