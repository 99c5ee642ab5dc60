package signers_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/internal/nodetest"
	"github.com/acsharness/acsharness/internal/race"
	"github.com/acsharness/acsharness/signature"
	"github.com/acsharness/acsharness/signercheck"
)

// cases is the number of random cases per style each real signer must
// pass, besides every golden vector (issue 12, "Done when").
const cases = 2000

// envEcho makes the test binary the built-in echo signer, for the pipe's
// figure.
const envEcho = "ACSHARNESS_TEST_ECHO_SIGNER"

func TestMain(m *testing.M) {
	if os.Getenv(envEcho) == "1" {
		if err := signercheck.Echo(os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// build compiles the Go signer in dir into a temporary folder.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(dir))
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the example signers")
	out, err := exec.Command(goTool, "build", "-o", bin, "./"+dir).CombinedOutput()
	require.NoError(t, err, "go build ./%s: %s", dir, out)
	return bin
}

// run checks the signer argv on cases random cases per style of styles,
// with its throughput measured beside the echo signer's and the
// reference's, and logs the figures.
func run(t *testing.T, argv []string, styles []signature.Style, n, maxFailures int, bench bool) *signercheck.Result {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	o := signercheck.Options{Command: argv, Styles: styles, Cases: n, Seed: 1, MaxFailures: maxFailures, Timeout: 30 * time.Second}
	if bench {
		o.BenchCalls, o.Warmup, o.BenchTime = 300, 50, 20*time.Second
		o.Echo, o.EchoEnv = []string{exe}, []string{envEcho + "=1"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := signercheck.Check(ctx, o)
	require.NoError(t, err, "the signer keeps the protocol")
	if th := res.Throughput; th != nil {
		for _, f := range []*signercheck.Figure{&th.Signer, th.Echo, &th.Reference} {
			t.Logf("%-30s %8.0f signatures/s  mean %7.1f µs  p50 %7.1f µs  p99 %7.1f µs", f.Name, f.PerSecond, f.MeanUS, f.P50US, f.P99US)
		}
	}
	return res
}

// requirePassed requires every case of every style to pass, at least n
// random ones per style, comparing at least the steps given.
func requirePassed(t *testing.T, res *signercheck.Result, styles []signature.Style, n int, steps map[signature.Style][]string) {
	t.Helper()
	for _, f := range res.Failures {
		t.Errorf("%s failed at %s: ours %q, theirs %q", f.ID, f.Step, f.Ours, f.Theirs)
	}
	require.True(t, res.Passed())
	require.Len(t, res.Styles, len(styles))
	for _, sr := range res.Styles {
		assert.Greater(t, sr.Passed, n, "%s: every golden vector and %d random cases pass", sr.Style, n)
		assert.Equal(t, sr.Cases, sr.Passed)
		assert.Equal(t, steps[sr.Style], sr.Compared, "%s: the steps the signer returns are compared", sr.Style)
	}
}

// The adapter over the official Go openapi-util passes every case.
func TestGoOpenAPIUtil(t *testing.T) {
	race.Skip(t, "the signer is another process; the checker's concurrency is tested under -race in signercheck")
	t.Parallel()
	res := run(t, []string{build(t, "go-openapi-util")}, nil, cases, 5, true)
	requirePassed(t, res, signature.Styles, cases, map[signature.Style][]string{
		signature.RPC: {"signature"},
		signature.ROA: {"string_to_sign", "signature", "authorization"},
		signature.V3:  {"signature", "authorization"},
	})
	for _, sr := range res.Styles {
		assert.Empty(t, sr.Variants, "%s: the Go SDK signs every case in the reference form", sr.Style)
	}
	require.NotNil(t, res.Throughput)
	require.NotNil(t, res.Throughput.Echo)
}

// The adapter over the official @alicloud/openapi-util passes every case,
// ROA empty values in the "k=" variant the TypeScript SDK signs (docs/protocol.md
// §9 F8). It runs when node and npm are present (CI has them).
func TestNodeOpenAPIUtil(t *testing.T) {
	race.Skip(t, "the signer is another process; the checker's concurrency is tested under -race in signercheck")
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipped: node not found")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("skipped: npm not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	modules, err := nodetest.Modules(ctx, npm, "node-openapi-util")
	require.NoError(t, err)
	dir := nodetest.Script(t, modules, "node-openapi-util", "signer.js")

	res := run(t, []string{node, filepath.Join(dir, "signer.js")}, nil, cases, 5, true)
	requirePassed(t, res, signature.Styles, cases, map[signature.Style][]string{
		signature.RPC: {"signature"},
		signature.ROA: {"string_to_sign", "signature", "authorization"},
		signature.V3:  {"signature", "authorization"},
	})
	for _, sr := range res.Styles {
		if sr.Style != signature.ROA {
			assert.Empty(t, sr.Variants, "%s: the TypeScript SDK agrees with the reference form", sr.Style)
			continue
		}
		require.Len(t, sr.Variants, 1, "ROA: the TypeScript SDK signs empty values k=")
		v := sr.Variants[0]
		require.Len(t, v.Forms, 1)
		assert.Equal(t, signature.AspectROAEmptyValue, v.Forms[0].Aspect)
		assert.Equal(t, "k=", v.Forms[0].Variant)
		assert.Contains(t, v.Forms[0].Clients, signature.ClientOpenAPIUtilTS, "the Forms table names the client the adapter wraps")
		assert.Positive(t, v.Cases)
	}
}

// The deliberately broken signer is caught at the step each bug lives in:
// '*' left raw in the canonical form, the key without its '&' in the
// signature after a right canonical form and string to sign.
func TestBrokenSigner(t *testing.T) {
	t.Parallel()
	res := run(t, []string{build(t, "go-broken")}, []signature.Style{signature.RPC}, 300, 100000, false)
	require.False(t, res.Passed())
	require.Len(t, res.Styles, 1)
	sr := res.Styles[0]
	assert.Zero(t, sr.Passed, "every case fails: the key is wrong in all")
	assert.Positive(t, sr.FailedAt[signercheck.StepCanonical], "cases holding '*' fail at the canonical form")
	assert.Positive(t, sr.FailedAt[signercheck.StepSignature], "the others fail at the signature")
	assert.Zero(t, sr.FailedAt[signercheck.StepStringToSign], "no bug lives in the string to sign")
	var star bool
	for _, f := range res.Failures {
		switch f.Step {
		case signercheck.StepCanonical:
			require.NotNil(t, f.Mismatch)
			at := f.Mismatch.At
			assert.Equal(t, "%2A", f.Ours[at:at+3], "%s: ours encodes '*'", f.ID)
			assert.Equal(t, byte('*'), f.Theirs[at], "%s: the broken signer leaves it raw", f.ID)
			star = star || f.ID == "golden/rpc-tricky/row04-star"
		case signercheck.StepSignature:
			assert.Equal(t, []string{signercheck.StepCanonical, signercheck.StepStringToSign}, f.Matched, "%s: right up to the key", f.ID)
		}
	}
	assert.True(t, star, "docs/protocol.md §1.7.3 row 4 (a*b) is caught at the canonical form")
}

// The README's 20-line Python signer is the file tested here, and passes
// every RPC case. It runs where python3 is present.
func TestPythonExample(t *testing.T) {
	race.Skip(t, "the signer is another process; the checker's concurrency is tested under -race in signercheck")
	t.Parallel()
	code, err := os.ReadFile(filepath.Join("python", "signer.py"))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```python\n(.*?)```").FindAllSubmatch(readme, -1)
	var found bool
	for _, b := range blocks {
		found = found || bytes.Equal(b[1], code)
	}
	assert.True(t, found, "the README quotes examples/signers/python/signer.py exactly")
	assert.LessOrEqual(t, strings.Count(string(code), "\n"), 20, "the example stays about 20 lines")

	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("skipped: python3 not found")
	}
	res := run(t, []string{python, filepath.Join("python", "signer.py")}, []signature.Style{signature.RPC}, cases, 5, false)
	requirePassed(t, res, []signature.Style{signature.RPC}, cases, map[signature.Style][]string{
		signature.RPC: {"canonical", "string_to_sign", "signature"},
	})
}
