package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
)

// teapot writes a scenario file holding local/teapot (one case, rpc
// against amqp-open) that expects status: 200 passes against the reference
// gateway, 418 fails it; with rules, the rules judge it (a should rule
// warns). extra adds a second scenario of another id, failing.
func teapot(t *testing.T, status int, rules string, extra bool) string {
	t.Helper()
	body := "scenarios:\n" + teapotScenario("local/teapot", status, rules)
	if extra {
		body += teapotScenario("local/added", 418, "")
	}
	path := filepath.Join(t.TempDir(), "teapot.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func teapotScenario(id string, status int, rules string) string {
	s := "  - id: " + id + "\n    title: A valid request, answered as expected or not\n    category: envelope\n"
	if rules != "" {
		s += "    rules: [" + rules + "]\n"
	}
	return s + "    styles: [rpc]\n    products: [amqp-open]\n    steps:\n      - expect: {status: " + strconv.Itoa(status) + "}\n"
}

// conformRun runs conform on scenarios alone into a new report directory
// and returns it with the exit code and output.
func conformRun(t *testing.T, scenarios string, extra ...string) (dir string, code int, stdout, stderr string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "report")
	args := append([]string{"conform", "--no-builtin", "--scenarios", scenarios, "--color", "never", "--report-dir", dir}, extra...)
	code, stdout, stderr = runCLI(t, map[string]string{}, args...)
	return dir, code, stdout, stderr
}

// conform --baseline gates on "no new failures": a case that fails now and
// did not (passed, warned, or was not in the baseline) exits 1; the cases
// that fail as in the baseline exit 0 and are listed.
func TestConformBaseline(t *testing.T) {
	t.Parallel()
	passing, failing := teapot(t, 200, "", false), teapot(t, 418, "", false)
	passed, code, _, stderr := conformRun(t, passing)
	require.Equal(t, exitOK, code, stderr)
	failed, code, _, stderr := conformRun(t, failing)
	require.Equal(t, exitFailed, code, stderr)
	warned, code, _, stderr := conformRun(t, teapot(t, 418, "env.trace-id", false))
	require.Equal(t, exitOK, code, "a should finding warns: %s", stderr)

	for _, tc := range []struct {
		name      string
		scenarios string
		baseline  string
		code      int
		says      []string
	}{
		{"pass to fail", failing, passed, exitFailed, []string{
			"newly failing (1):", "✗ local/teapot[rpc/amqp-open]: passed, now fails", "REGRESSED 1 case regressed (1 newly failing)"}},
		{"failing as in the baseline", failing, failed, exitOK, []string{
			"still failing, as in the baseline (1):", "local/teapot[rpc/amqp-open]: fails as in the baseline",
			"NO REGRESSION against the baseline; 1 case still failing as in the baseline"}},
		{"a should warning become a failure", failing, warned, exitFailed, []string{
			"local/teapot[rpc/amqp-open]: warned, now fails", "REGRESSED"}},
		{"fail to pass", passing, failed, exitOK, []string{"✓ local/teapot[rpc/amqp-open]: failed, now passes", "NO REGRESSION"}},
		{"a new failing case, a suite of another version", teapot(t, 200, "", true), passed, exitFailed, []string{
			"NOTE 1 case not in the baseline", "✗ local/added[rpc/amqp-open]: not in the baseline; fails", "1 new and failing"}},
		{"the baseline's report.json", failing, filepath.Join(failed, "report.json"), exitOK, []string{"NO REGRESSION"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, code, stdout, stderr := conformRun(t, tc.scenarios, "--baseline", tc.baseline)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, s := range tc.says {
				assert.Contains(t, stdout, s)
			}
			assert.Contains(t, stdout, "baseline comparison: "+filepath.Join(dir, "baseline-diff.md")+", "+filepath.Join(dir, "baseline-diff.json"))
			md, err := os.ReadFile(filepath.Join(dir, "baseline-diff.md"))
			require.NoError(t, err, "baseline-diff.md written")
			var j struct {
				Verdict string `json:"verdict"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "baseline-diff.json"))
			require.NoError(t, err, "baseline-diff.json written")
			require.NoError(t, json.Unmarshal(b, &j))
			if tc.code == exitFailed {
				assert.Contains(t, string(md), "## ❌ Conformance against the baseline: regressed")
				assert.Equal(t, "regressed", j.Verdict)
			} else {
				assert.Contains(t, string(md), "## ✅ Conformance against the baseline: no regression")
				assert.Equal(t, "no-regression", j.Verdict)
			}
		})
	}

	t.Run("quiet", func(t *testing.T) {
		t.Parallel()
		code, stdout, _ := runCLI(t, map[string]string{}, "conform", "--no-builtin", "--scenarios", failing, "--quiet", "--color", "never", "--baseline", failed)
		assert.Equal(t, exitOK, code)
		assert.Contains(t, stdout, "3 cases: 2 passed, 0 warned, 1 failed, 0 skipped\n\nNO REGRESSION against the baseline; 1 case still failing as in the baseline\n")
		assert.NotContains(t, stdout, "baseline comparison:", "no report directory, no files")
	})
	t.Run("a run of nothing stays exit 2", func(t *testing.T) {
		t.Parallel()
		skipped := filepath.Join(t.TempDir(), "skip.yaml")
		require.NoError(t, os.WriteFile(skipped, []byte("scenarios:\n  - id: local/teapot\n    title: t\n    category: nonce\n    needs: [second-key]\n"+
			"    styles: [rpc]\n    products: [amqp-open]\n    steps: [{expect: {status: 200}}]\n"), 0o600))
		gw, err := gateway.StartLocal(gateway.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = gw.Close() })
		// A target of your own without a second key: the one case is skipped.
		code, stdout, stderr := runCLI(t, demoEnv(), "conform", "--no-builtin", "--scenarios", skipped, "--baseline", failed, "--target", gw.URL)
		assert.Equal(t, exitUsage, code, "a baseline never turns a run that tested nothing green: %s", stderr)
		assert.Contains(t, stdout, "failed, now skipped", "the comparison still says what became of the case")
	})
}

// A baseline that cannot be read stops conform before anything is sent.
func TestConformBaselineErrorsSendNothing(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	loadDir := filepath.Join(dir, "load")
	require.NoError(t, os.MkdirAll(loadDir, 0o755))
	write("load/summary.json", `{}`)
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"missing", []string{"--baseline", filepath.Join(dir, "nope")}, "--baseline: open " + filepath.Join(dir, "nope")},
		{"malformed", []string{"--baseline", write("bad.json", "{\"report_version\": 1,\n \"cases\": [{\"id\": 1}]}")}, `bad.json is not a conformance report.json: line 2, column 19: "cases.id" holds a number`},
		{"not a report", []string{"--baseline", write("other.json", `{"hello": "world"}`)}, "no report_version or cases"},
		{"a load report", []string{"--baseline", loadDir}, "is a load report"},
		{"with --list", []string{"--baseline", dir, "--list"}, "--baseline compares a run with a previous one, and --list runs nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, demoEnv(), append([]string{"conform", "--target", srv.URL}, tc.args...)...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tc.msg)
			assert.Empty(t, stdout)
		})
	}
	assert.Zero(t, hits.Load(), "nothing was sent")
}

// report diff OLD NEW for conformance reports: text, Markdown and JSON,
// exit 1 on a regression, 0 otherwise, 2 for what it cannot compare.
func TestReportDiffConformance(t *testing.T) {
	t.Parallel()
	passed, code, _, _ := conformRun(t, teapot(t, 200, "", false))
	require.Equal(t, exitOK, code)
	failed, code, _, _ := conformRun(t, teapot(t, 418, "", false))
	require.Equal(t, exitFailed, code)

	code, stdout, stderr := runCLI(t, map[string]string{}, "report", "diff", passed, failed, "--color", "never")
	require.Equal(t, exitFailed, code, "a regression exits 1: %s", stderr)
	assert.Contains(t, stdout, "baseline   "+filepath.Join(passed, "report.json")+" · 3 cases: 3 passed", "the case and the two run-wide checks")
	assert.Contains(t, stdout, "this run   "+filepath.Join(failed, "report.json")+" · 3 cases: 2 passed, 0 warned, 1 failed")
	assert.Contains(t, stdout, "✗ local/teapot[rpc/amqp-open]: passed, now fails")
	assert.Contains(t, stdout, "[scenario must] status 200, expected [418]", "the rule and level of the failure")

	code, stdout, _ = runCLI(t, map[string]string{}, "report", "diff", failed, filepath.Join(passed, "report.json"), "--format", "markdown")
	require.Equal(t, exitOK, code, "newly passing is no regression")
	assert.Contains(t, stdout, "## ✅ Conformance against the baseline: no regression")
	assert.Contains(t, stdout, "| newly passing | 1 |")

	code, stdout, _ = runCLI(t, map[string]string{}, "report", "diff", "--format", "json", filepath.Join(passed, "report.json"), failed)
	require.Equal(t, exitFailed, code)
	var d struct {
		Verdict     string `json:"verdict"`
		Regressions int    `json:"regressions"`
		Cases       []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &d), stdout)
	assert.Equal(t, "regressed", d.Verdict)
	assert.Equal(t, 1, d.Regressions)
	require.Len(t, d.Cases, 1)
	assert.Equal(t, "newly-failing", d.Cases[0].Kind)

	code, _, stderr = runCLI(t, map[string]string{}, "report", "diff", passed, failed, "--regression", "p99<=+10%")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--regression thresholds compare load reports")

	bad := filepath.Join(t.TempDir(), "report.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"report_version": 1, "cases": [{"id": "a", "status": "PASS"}]}`), 0o600))
	code, _, stderr = runCLI(t, map[string]string{}, "report", "diff", passed, bad)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `case a has status "PASS": use pass, warn, fail or skip`)
}
