package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/signature"
	"github.com/acsharness/acsharness/signercheck"
)

// signerFixture is a check with a failure at each kind of step, a case
// passed in a variant, and the three throughput figures.
func signerFixture() *signercheck.Result {
	ours := "AccessKeyId=testid&Action=SendMessage&Format=JSON&Payload=a%2Ab&SignatureMethod=HMAC-SHA1"
	theirs := "AccessKeyId=testid&Action=SendMessage&Format=JSON&Payload=a*b&SignatureMethod=HMAC-SHA1"
	form := signature.FormsOf(signature.AspectROAEmptyValue)[1]
	echo := signercheck.Figure{Name: signercheck.FigureEcho, Calls: 2000, Seconds: 0.1, PerSecond: 20000, MeanUS: 50, P50US: 45, P90US: 60, P99US: 120, MaxUS: 900}
	return &signercheck.Result{
		Command: "node signer.js", Seed: 1, RandomPerStyle: 2000,
		Styles: []signercheck.StyleResult{
			{Style: signature.RPC, Cases: 3, Passed: 1, Failed: 2, FailedAt: map[string]int{"canonical": 1, "error": 1}, Compared: []string{"canonical", "string_to_sign", "signature"}},
			{Style: signature.ROA, Cases: 2004, Passed: 2004, Compared: []string{"string_to_sign", "signature", "authorization"},
				Variants: []signercheck.VariantCount{{Forms: []signature.Form{form}, Cases: 668}}},
		},
		Failures: []signercheck.Failure{
			{ID: "golden/rpc-tricky/row04-star", Style: signature.RPC, Source: "docs/protocol.md §1.7.3 row 4", Request: "POST /?Payload=a%2Ab",
				Step: "canonical", Ours: ours, Theirs: theirs, Mismatch: conformance.NewMismatch(ours, theirs)},
			{ID: "random/rpc/0001", Style: signature.RPC, Source: "random rpc case 1 of seed 1", Request: "GET /?a=b", Step: "error", Error: "RPC is not implemented\x1b[31m"},
		},
		Throughput: &signercheck.Throughput{
			Signer:    signercheck.Figure{Name: signercheck.FigureSigner, Calls: 2000, Seconds: 0.2, PerSecond: 10000, MeanUS: 100, P50US: 90, P90US: 130, P99US: 250, MaxUS: 1500},
			Echo:      &echo,
			Reference: signercheck.Figure{Name: signercheck.FigureReference, Calls: 2000, Seconds: 0.01, PerSecond: 200000, MeanUS: 5, P50US: 4.5, P90US: 6, P99US: 9, MaxUS: 40},
		},
	}
}

func TestSignerGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"signer.txt", func(b *bytes.Buffer) error { return SignerText(b, signerFixture(), false) }},
		{"signer.color.txt", func(b *bytes.Buffer) error { return SignerText(b, signerFixture(), true) }},
		{"signer.json", func(b *bytes.Buffer) error { return SignerJSON(b, signerFixture()) }},
	} {
		t.Run(tc.name, func(t *testing.T) { checkGolden(t, tc.name, tc.render) })
	}
}

// checkGolden compares what render writes with testdata/<name>.golden,
// rewriting it with -update.
func checkGolden(t *testing.T, name string, render func(*bytes.Buffer) error) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, render(&b))
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./reports -update")
	assert.Equal(t, string(want), b.String(), "output differs from %s (run with -update to accept)", path)
}

func TestSignerText(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, SignerText(&b, signerFixture(), false))
	out := b.String()
	for _, want := range []string{
		"step canonical differs at byte 59 (line 1, column 60); steps before it that matched: none",
		`ours    …"endMessage&Format=JSON&Payload=a%2Ab`, `theirs  …"endMessage&Format=JSON&Payload=a*b`,
		"the signer could not sign it: RPC is not implemented",
		"failed: 1 at canonical, 1 at error",
		`668 in an accepted variant: roa.empty-query-value "k=" (as @alicloud/openapi-util (TypeScript)`,
		"FAIL 2 of 2007 cases",
		"the pipe takes 50.0 µs (50%) and signing about 50.0 µs, 10.0× the reference signer's 5.00 µs",
		"acsharness vectors export DIR --seed 1 --random 2000, then DIR/golden/rpc-tricky/row04-star/input.json",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "\x1b", "no escape code without colour, not even one a signer sent")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.Contains(l, `ours    …"`) {
			caret := strings.IndexByte(lines[i+2], '^')
			assert.Equal(t, "%", string([]rune(l)[caret]), "the caret points at the first differing byte")
		}
	}

	ok := &signercheck.Result{Command: "x", Styles: []signercheck.StyleResult{{Style: signature.V3, Cases: 5, Passed: 5}}}
	b.Reset()
	require.NoError(t, SignerText(&b, ok, false))
	assert.Contains(t, b.String(), "PASS 5 cases: every step the signer returned is byte-identical")
	ok.ProtocolError = `protocol error on case random/v3/0002: not a JSON object`
	b.Reset()
	require.NoError(t, SignerText(&b, ok, false))
	assert.Contains(t, b.String(), "ERROR the signer broke the protocol after 5 cases (0 failed):\nprotocol error on case random/v3/0002")

	b.Reset()
	require.NoError(t, SignerJSON(&b, signerFixture()))
	var back signercheck.Result
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *signerFixture(), back, "the JSON report reads back whole")
	assert.Error(t, SignerText(&b, nil, false))
	assert.Error(t, SignerJSON(&b, nil))
}
