package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/load"
)

// loadRun runs a short load against the embedded gateway into a report
// directory and returns it.
func loadRun(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"load", "--rate", "400/s", "--requests", "400", "--quiet", "--color", "never", "--report-dir", dir}, extra...)
	code, stdout, stderr := runCLI(t, map[string]string{}, args...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	return dir
}

// A run against a baseline shows each figure next to the baseline's, and
// gates on thresholds relative to it: a significant breach exits 3, noise
// does not.
func TestLoadBaselineRegression(t *testing.T) {
	t.Parallel()
	base := loadRun(t)

	code, stdout, stderr := runCLI(t, map[string]string{}, "load", "--rate", "400/s", "--requests", "400", "--quiet", "--color", "never",
		"--baseline", base, "--regression", "success>=-0.1%", "--regression", "requests>=+0%")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "baseline   "+base)
	assert.Contains(t, stdout, "p99")
	assert.Contains(t, stdout, "✓ success>=-0.1%")

	// Halving the requests is a change no spread can hide: counts are
	// compared as they are.
	code, stdout, _ = runCLI(t, map[string]string{}, "load", "--rate", "400/s", "--requests", "200", "--quiet", "--color", "never",
		"--baseline", filepath.Join(base, "summary.json"), "--regression", "requests>=-10%")
	assert.Equal(t, exitSLO, code, stdout)
	assert.Contains(t, stdout, "✗ requests>=-10%")
	assert.Contains(t, stdout, "change -50.0%")
}

func TestLoadBaselineErrorsSendNothing(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	notLoad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notLoad, "summary.json"), []byte(`{"cases": []}`), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"regression without baseline", []string{"--regression", "p99<=+10%"}, "give the previous run's report directory with --baseline"},
		{"malformed regression", []string{"--baseline", notLoad, "--regression", "p99<=10%"}, "SIGNED-CHANGE"},
		{"missing baseline", []string{"--baseline", filepath.Join(notLoad, "nope")}, "--baseline"},
		{"not a load summary", []string{"--baseline", notLoad}, "is not a load summary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, demoEnv(), append([]string{"load", "--target", srv.URL, "--requests", "5", "--quiet"}, tc.args...)...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tc.msg)
			assert.Empty(t, stdout)
		})
	}
	assert.Zero(t, hits.Load(), "nothing was sent")
}

// report diff compares two report directories, merged runs included, in
// text, Markdown and JSON; and tells the kinds of report apart.
func TestReportDiff(t *testing.T) {
	t.Parallel()
	a, b := loadRun(t), loadRun(t, "--shard", "0/1")
	// A one-shard run merged is a merged report directory.
	merged := filepath.Join(t.TempDir(), "merged")
	code, _, stderr := runCLI(t, map[string]string{}, "report", "merge", b, "--report-dir", merged)
	require.Equal(t, exitOK, code, stderr)

	code, stdout, stderr := runCLI(t, map[string]string{}, "report", "diff", a, merged, "--color", "never", "--regression", "success>=-1%")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "baseline   "+a)
	for _, f := range []string{"p50", "p99", "service_p99", "success", "throughput"} {
		assert.Contains(t, stdout, "  "+f+" ")
	}
	assert.Contains(t, stdout, "✓ success>=-1%")

	code, stdout, _ = runCLI(t, map[string]string{}, "report", "diff", "--format", "markdown", a, merged)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "| figure | baseline | this run | change | 95% interval | |")

	code, stdout, _ = runCLI(t, map[string]string{}, "report", "diff", "--format", "json", a, filepath.Join(merged, "summary.json"))
	require.Equal(t, exitOK, code)
	var d load.Diff
	require.NoError(t, json.Unmarshal([]byte(stdout), &d), stdout)
	assert.NotEmpty(t, d.Figures)
	assert.Equal(t, a, d.Baseline)

	conf := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(conf, "report.json"), []byte(`{}`), 0o600))
	empty := t.TempDir()
	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, "summary.json"), []byte(`{"schedule":"constant 1/s","status":{},"requests":1,"no_answer":2}`), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"one directory", []string{a}, "give two report directories"},
		{"neither kind", []string{a, empty}, "is neither a load report"},
		{"two kinds", []string{a, conf}, "reports of different kinds"},
		{"a corrupted summary", []string{a, bad}, "summary.json is not a load summary acsharness wrote: the run: 1 requests, 0 successes and 2 without an answer do not add up"},
		{"conformance", []string{conf, conf}, "is not a conformance report.json"},
		{"bad format", []string{"--format", "html", a, a}, `--format "html"`},
		{"bad regression", []string{"--regression", "p99<+10", a, a}, "give a unit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, map[string]string{}, append([]string{"report", "diff"}, tc.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tc.msg)
		})
	}
}
