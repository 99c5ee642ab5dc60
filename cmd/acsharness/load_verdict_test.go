package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/signature"
)

// probeOnlyTarget answers the start-up probe and nothing else: the port is
// closed after the first answer, so every request of the run is refused.
func probeOnlyTarget(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() {
		c, err := ln.Accept()
		// Closed before answering, so that no later connection can land in
		// the backlog and be reset rather than refused.
		_ = ln.Close()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = http.ReadRequest(bufio.NewReader(c))
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nDate: " + time.Now().UTC().Format(http.TimeFormat) +
			"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return "http://" + ln.Addr().String()
}

// A run in which nothing answered meets no latency SLO: the requests
// without an answer count as slower than any threshold.
func TestLoadNoAnswersBreachLatencySLO(t *testing.T) {
	t.Parallel()
	target := probeOnlyTarget(t)
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, demoEnv(), "load", "--target", target, "--rate", "100/s", "--requests", "30", "--timeout", "2s",
		"--slo", "p99<50ms", "--quiet", "--color", "never", "--report-dir", dir)
	require.Equal(t, exitSLO, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "✗ p99<50ms")
	assert.Contains(t, stdout, "observed no answer (+Inf)")
	assert.Contains(t, stdout, "FAIL: no request got an answer: connection refused (30 of 30)", "why, once, at the top")
	assert.True(t, strings.HasPrefix(stdout, "FAIL: "), "the reason is the first line")
	assert.Contains(t, stdout, "errors     connection refused:30", "one cause, one entry")
	sum := readSummary(t, dir)
	assert.Equal(t, uint64(30), sum.NoAnswer)
	require.Len(t, sum.SLOs, 1)
	assert.False(t, sum.SLOs[0].Met)
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"p99": "+Inf"`, "JSON carries the infinite percentile")
}

// With a wrong secret every request fails its expectation: the run does
// not pass even without an SLO, and says why once, at the top.
func TestLoadWrongSecretFails(t *testing.T) {
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	environ := map[string]string{signature.EnvAccessKeyID: gateway.DemoKeyID, signature.EnvAccessKeySecret: "not-the-secret"}
	code, stdout, stderr := runCLI(t, environ, "load", "--target", l.URL, "--rate", "200/s", "--requests", "20", "--quiet", "--color", "never")
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.True(t, strings.HasPrefix(stdout, "FAIL: "+load.WrongSecret), stdout)
	assert.Equal(t, 1, strings.Count(stdout, "does not belong"), "said once")
	assert.NotContains(t, stdout+stderr, "not-the-secret")

	// The same run against a gateway that answers another code says that
	// code instead.
	code, stdout, _ = runCLI(t, map[string]string{signature.EnvAccessKeyID: "nosuchkey", signature.EnvAccessKeySecret: "x"},
		"load", "--target", l.URL, "--rate", "200/s", "--requests", "10", "--quiet", "--color", "never")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stdout, "FAIL: no request met its expectation: the target answered InvalidAccessKeyId.NotFound to 10 of 10")
}

// 10 s at 50/s sends 500 requests, not 501.
func TestLoadTenSecondsAtFiftyIsFiveHundred(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10-second run")
	}
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, map[string]string{}, "load", "--rate", "50/s", "--duration", "10s", "--quiet", "--color", "never",
		"--report-dir", dir)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	sum := readSummary(t, dir)
	assert.Equal(t, uint64(500), sum.Requests)
	assert.Len(t, sum.Series, 10, "ten one-second buckets, no lone last one")
	for _, b := range sum.Series {
		assert.InDelta(t, 50, float64(b.Requests), 2, "bucket at %gs", b.Start)
	}
}

// A results.bin that cannot be written (here /dev/full, as a full disk)
// fails the run with exit 5, leaves no truncated file, and lists only the
// reports that were written.
func TestLoadFullDiskExitsInternal(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("skipped: /dev/full not found")
	}
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/dev/full", filepath.Join(dir, "results.bin.partial")))
	code, stdout, stderr := runCLI(t, map[string]string{}, "load", "--rate", "500/s", "--requests", "300", "--quiet", "--color", "never",
		"--report-dir", dir)
	require.Equal(t, exitInternal, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr, "no space left on device")
	assert.Contains(t, stdout, "reports: "+filepath.Join(dir, "summary.json"))
	assert.NotContains(t, stdout, "results.bin")
	_, err := os.Stat(filepath.Join(dir, "results.bin"))
	assert.True(t, os.IsNotExist(err), "no truncated results.bin")
	for _, f := range []string{"summary.json", "latency.hgrm", "load.html"} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NoError(t, err, "%s is written and listed", f)
	}
}

// A failed --pushgateway push is a failed run (exit 5), not a silent one.
func TestLoadPushgatewayFailureExitsInternal(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, map[string]string{}, "load", "--rate", "200/s", "--requests", "5", "--quiet",
		"--pushgateway", "http://127.0.0.1:1")
	assert.Equal(t, exitInternal, code)
	assert.Contains(t, stderr, "--pushgateway")
}

// Ctrl-C (SIGINT) stops the run: exit 105, and every report written and
// marked interrupted.
func TestLoadInterruptedExitCode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	t.Parallel()
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "load", "--rate", "100/s", "--duration", "30s", "--report-dir", dir, "--color", "never",
		"--progress-every", "100ms")
	cmd.Env = childEnv(t)
	var stdout bytes.Buffer
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	// Wait for the run to be under way: the first progress line.
	for i := 0; i < 200 && !strings.Contains(stderr.String(), "sent "); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "exits non-zero: %v\nstderr:\n%s", err, stderr.String())
	assert.Equal(t, exitInterrupted, exit.ExitCode(), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), "interrupted: the figures cover what was gathered")
	sum := readSummary(t, dir)
	assert.True(t, sum.Interrupted)
	assert.Positive(t, sum.Requests)
	hgrm, err := os.ReadFile(filepath.Join(dir, "latency.hgrm"))
	require.NoError(t, err)
	assert.Contains(t, string(hgrm), "#[Interrupted")
	page, err := os.ReadFile(filepath.Join(dir, "load.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "Interrupted")
	_, err = os.Stat(filepath.Join(dir, "results.bin"))
	assert.NoError(t, err, "results.bin holds what was gathered")
}

// Flags that exclude each other, or that the others would silently
// ignore, are an error naming both, before anything is sent.
func TestLoadConflictingFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"rate and ramp", []string{"--rate", "10/s", "--ramp", "1/s:2/s"}, "--rate and --ramp exclude each other"},
		{"rate and steps", []string{"--rate", "10/s", "--steps", "1/s@1s"}, "--rate and --steps exclude each other"},
		{"scenario and param", []string{"--scenario", "signature/valid", "--param", "A=1"}, "--scenario and --param exclude each other"},
		{"scenario and method", []string{"--scenario", "signature/valid", "--method", "POST"}, "--scenario and --method exclude each other"},
		{"scenario and path", []string{"--scenario", "signature/valid", "--path", "/x"}, "--scenario and --path exclude each other"},
		{"scenario and format", []string{"--scenario", "signature/valid", "--format", "XML"}, "--scenario and --format exclude each other"},
		{"scenario and action", []string{"--scenario", "signature/valid", "--action", "X"}, "--scenario and --action exclude each other"},
		{"start-at in the past", []string{"--start-at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}, "in the past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, map[string]string{}, append([]string{"load", "--requests", "1", "--quiet"}, tc.args...)...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tc.msg)
			assert.Empty(t, stdout)
		})
	}
}

// The live line shows the current rate, the total and an ETA, as k6 does.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    load.Progress
		want string
	}{
		{"known total", load.Progress{Elapsed: 4 * time.Second, Sent: 200, Total: 500, Rate: 49.6, Success: 1, P99: 3 * time.Millisecond, ETA: 6 * time.Second},
			"    4s  ETA 6s  now 49.6/s  sent 200/500 (40%)  success 100.00%  p99 3ms  late 0"},
		{"unknown total, no answers", load.Progress{Elapsed: time.Second, Sent: 7, Rate: 7, P99: -1, ETA: -1, Late: 2},
			"    1s  ETA ?  now 7.0/s  sent 7  success 0.00%  p99 no answer  late 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, progressLine(tc.p))
		})
	}
}

// When the generator falls behind it says which limit bound it.
func TestLateAdvice(t *testing.T) {
	t.Parallel()
	assert.Contains(t, lateAdvice(load.GeneratorCost{Limit: "workers", MaxWorkers: 8, PeakInFlight: 8}), "all 8 workers were busy (--max-workers)")
	assert.Contains(t, lateAdvice(load.GeneratorCost{Limit: "cpu", CPUBusy: 0.97}), "the CPU was the limit (97% of the cores busy)")
	assert.Contains(t, lateAdvice(load.GeneratorCost{MaxWorkers: 4096, PeakInFlight: 3, CPUBusy: 0.1}), "neither the workers (3 of 4096 busy at most) nor the CPU (10% busy)")
}

// A generator held to two workers against a slow target falls behind,
// and names the workers as the limit.
func TestLoadLateNamesTheWorkers(t *testing.T) {
	t.Parallel()
	srv := httptestSlow(t, 50*time.Millisecond)
	code, stdout, stderr := runCLI(t, demoEnv(), "load", "--target", srv, "--rate", "100/s", "--requests", "30", "--workers", "2",
		"--max-workers", "2", "--quiet", "--color", "never")
	assert.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr, "the generator could not keep the schedule")
	assert.Contains(t, stderr, "all 2 workers were busy (--max-workers)")
}

// httptestSlow answers 200 after a delay, on 127.0.0.1.
func httptestSlow(t *testing.T, d time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" { // the probe has none
			time.Sleep(d)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"RequestId":"x"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
