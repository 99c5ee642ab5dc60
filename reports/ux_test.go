package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a gateway team reads first: the diagnosis at the top of every
// format, a failed case's cause on its line (report.md's reason column),
// and each skip reason once with its count and what would run it.
func TestDiagnosisCausesAndSkipsInEveryFormat(t *testing.T) {
	t.Parallel()
	const cause = "answered JSON to a request asking Format=XML, expected XML"
	for _, r := range renderers()[:6] {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			out := string(render(t, r))
			i := strings.Index(out, "the AccessKey secret does not belong to this AccessKeyId")
			require.GreaterOrEqual(t, i, 0, "%s says the secret is wrong", r.name)
			for _, later := range []string{"nonce.atomic", "sig.rpc.sort"} {
				assert.Less(t, i, strings.Index(out, later), "%s says it before any case (%s)", r.name, later)
			}
			assert.Contains(t, out, "2 failed cases were refused with a string to sign that differs from ours", "and the other echo")
			assert.Contains(t, out, cause, "the cause of a failure whose status and code matched")
			if r.name != "report.json" {
				assert.Contains(t, out, "pass --inactive-key-id ID", "what would run the skipped case")
			}
		})
	}

	var b bytes.Buffer
	require.NoError(t, ConformanceText(&b, fixture(), false))
	text := b.String()
	assert.Contains(t, text, "FAIL envelope/format-xml[rpc/ons]: expected 200 success; observed 200 success JSON — "+cause+"\n",
		"the cause on the case's own line")
	assert.Contains(t, text, "FAIL encoding/space[v3/ons]: expected 200 success; observed 400 SignatureDoesNotMatch JSON\n",
		"no cause when the status already says it")
	assert.Contains(t, text, "not run:\n  1  no inactive key to check InvalidAccessKeyId.Inactive: pass --inactive-key-id ID (a disabled key of the target)\n")
	assert.Contains(t, text, "  -  the replay-window check (nonce.retention) did not run: pass --long")
	assert.Contains(t, text, "our canonical request:\n       POST\n       /\n", "a V3 mismatch shows our canonical request")
	assert.Contains(t, text, "x-acs-security-token:[redacted]", "redacted in the canonical request too")
	assert.NotContains(t, text, plantedSecret)

	b.Reset()
	require.NoError(t, ConformanceMarkdown(&b, fixture()))
	md := b.String()
	assert.Contains(t, md, "| Case | Rule | Expected | Observed | Reason |")
	assert.Contains(t, md, "| envelope/format-xml\\[rpc/ons\\] | env.format.rpc must | 200 success | 200 success JSON | "+cause+" |")
	assert.Contains(t, md, "### Not run\n\n| Cases | Reason | To run them |")
	assert.Contains(t, md, "| 1 | no inactive key to check InvalidAccessKeyId.Inactive | pass --inactive-key-id ID (a disabled key of the target) |")

	b.Reset()
	require.NoError(t, ConformanceJUnit(&b, fixture()))
	assert.Contains(t, b.String(), `<skipped message="no inactive key to check InvalidAccessKeyId.Inactive: pass --inactive-key-id ID (a disabled key of the target)">`)
	assert.Contains(t, b.String(), `<failure message="[env.format.rpc must] expected 200 success; observed 200 success JSON — `+cause+`"`)
}

// An interrupted run says so at the top of every format, and the verdict
// of the terminal is INTERRUPTED, whatever the counts.
func TestInterruptedInEveryFormat(t *testing.T) {
	t.Parallel()
	rep := fixture()
	rep.Interrupted = true
	want := map[string]string{
		"report.json": `"interrupted": true`,
		"junit.xml":   `<property name="interrupted" value="the run was stopped before it finished`,
		"report.md":   "## ⏹️ interrupted: acsharness conformance",
		"report.html": "⏹ INTERRUPTED:",
	}
	for _, f := range conformanceFiles {
		var b bytes.Buffer
		require.NoError(t, f.render(&b, rep))
		assert.Contains(t, b.String(), want[f.name], f.name)
	}
	var b bytes.Buffer
	require.NoError(t, ConformanceText(&b, rep, false))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	assert.True(t, strings.HasPrefix(lines[2], "INTERRUPTED the run was stopped before it finished"), "at the top: %s", lines[2])
	assert.True(t, strings.HasPrefix(lines[len(lines)-1], "INTERRUPTED 6 of 12 cases failed"), "and in the verdict: %s", lines[len(lines)-1])
	assert.NotContains(t, b.String(), "replay-window", "an interrupted run is not told about checks it never reached")

	b.Reset()
	require.NoError(t, ConformanceJSON(&b, fixture()))
	assert.Contains(t, b.String(), `"interrupted": false`)
}
