package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/internal/race"
)

// assertDirClean checks every file of dir for the secret and the token.
func assertDirClean(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		assertNoSecrets(t, string(b), e.Name())
		names = append(names, e.Name())
	}
	for _, w := range want {
		assert.Contains(t, names, w, "%s was written", w)
	}
}

// A run signed with an STS token: the token goes out with every request
// (and the gateway echoes it in the strings to sign of its errors), and
// appears in no output of conform, load or report merge, in no report
// format and no result file, in any encoding.
func TestSecretsNeverLeak(t *testing.T) {
	race.Skip(t, "end-to-end redaction, pure logic; the runners' concurrency is tested under -race in conformance and load")
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{Keys: stsKeys()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })

	t.Run("conform", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		code, out, errOut := runCLI(t, stsEnv(), "conform", "--target", l.URL, "--category", "signature", "--report-dir", dir, "--color", "never")
		require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
		assertNoSecrets(t, out+errOut, "conform's terminal output")
		assertDirClean(t, dir, "report.json", "junit.xml", "report.md", "report.html")
		b, err := os.ReadFile(filepath.Join(dir, "report.json"))
		require.NoError(t, err)
		assert.Contains(t, string(b), "SecurityToken%3D[redacted]", "the token was sent, and echoed in a string to sign")
		assert.Contains(t, string(b), "x-acs-security-token:[redacted]", "in the ROA form too")
	})

	t.Run("conform with a wrong secret", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		env := stsEnv()
		env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = testSecret + "-wrong"
		code, out, errOut := runCLI(t, env, "conform", "--target", l.URL, "--scenario", "signature/valid", "--report-dir", dir, "--color", "never")
		require.Equal(t, exitFailed, code, "%s\n%s", out, errOut)
		assertNoSecrets(t, out+errOut, "conform's terminal output")
		assert.Contains(t, out, "string to sign", "the failures show the echoed string to sign, redacted")
		assertDirClean(t, dir, "report.json", "junit.xml", "report.md", "report.html")
	})

	t.Run("load and report merge", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		var shards []string
		for _, shard := range []string{"0/2", "1/2"} {
			dir := filepath.Join(root, "shard-"+shard[:1])
			shards = append(shards, dir)
			code, out, errOut := runCLI(t, stsEnv(), "load", "--target", l.URL, "--style", "rpc,roa,v3",
				"--scenario", "signature/valid=2", "--scenario", "signature/wrong-secret=1", "--requests", "12", "--rate", "200/s",
				"--shard", shard, "--report-dir", dir, "--color", "never")
			require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
			assertNoSecrets(t, out+errOut, "load's terminal output")
			assertDirClean(t, dir, "summary.json", "latency.hgrm", "load.html", "results.bin", "manifest.json")
		}
		merged := filepath.Join(root, "merged")
		code, out, errOut := runCLI(t, stsEnv(), append(append([]string{"report", "merge"}, shards...), "--report-dir", merged, "--color", "never")...)
		require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
		assertNoSecrets(t, out+errOut, "report merge's terminal output")
		assertDirClean(t, merged, "summary.json", "load.html")
	})

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{
			{"conform", "--target", "http://127.0.0.1:1", "--timeout", "2s"},
			{"load", "--target", "http://127.0.0.1:1", "--requests", "1"},
			{"sign", "--action", "X", "--endpoint", "ftp://h"},
		} {
			code, out, errOut := runCLI(t, stsEnv(), args...)
			assert.NotEqual(t, exitOK, code)
			assertNoSecrets(t, out+errOut, strings.Join(args, " "))
		}
	})
}
