package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func init() {
	// The signer and the echo signer are this test binary, which runs
	// acsharness when told so (TestMain).
	signerEnv = []string{envTestMain + "=1"}
}

// selfCommand is an --exec value that runs this test binary as acsharness.
func selfCommand(t *testing.T, args ...string) string {
	exe, err := os.Executable()
	require.NoError(t, err)
	return strings.Join(append([]string{"'" + exe + "'"}, args...), " ")
}

func TestSignerCheckExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"the reference signer passes", []string{"--exec", selfCommand(t, "signer", "reference"), "--cases", "30", "--bench-calls", "50", "--bench-warmup", "5"}, exitOK,
			[]string{"PASS", "steps compared: canonical, string_to_sign, signature, authorization", "your signer (over the pipe)", "echo signer (the pipe alone)", "reference signer (in-process)", "the pipe takes"}, nil},
		{"the echo signer signs nothing", []string{"--exec", selfCommand(t, "signer", "echo"), "--cases", "5", "--max-failures", "2", "--style", "roa"}, exitFailed,
			[]string{"FAIL golden/roa", "step signature differs at byte 0", "stopped after --max-failures 2", "the case: acsharness vectors export DIR --seed 1 --random 5"}, nil},
		{"a protocol error", []string{"--exec", selfCommand(t, "version"), "--cases", "1"}, exitUsage,
			[]string{"ERROR the signer broke the protocol after 0 cases", `the signer wrote: "acsharness dev"`}, []string{"not a JSON object"}},
		{"a signer that cannot start", []string{"--exec", "/nonexistent/signer --flag", "--cases", "1"}, exitUnreachable,
			nil, []string{"the signer /nonexistent/signer --flag cannot start"}},
		{"no --exec", []string{"--cases", "1"}, exitUsage, nil, []string{"give the signer's command: --exec"}},
		{"bad quoting", []string{"--exec", "node 'x"}, exitUsage, nil, []string{"unterminated ' quote"}},
		{"bad style", []string{"--exec", "x", "--style", "soap"}, exitUsage, nil, []string{"--style: unknown signing style"}},
		{"bad count", []string{"--exec", "x", "--cases", "-2"}, exitUsage, nil, []string{"--cases -2"}},
		{"bad max failures", []string{"--exec", "x", "--max-failures", "0"}, exitUsage, nil, []string{"--max-failures 0"}},
		{"bad bench", []string{"--exec", "x", "--bench-calls", "0"}, exitUsage, nil, []string{"--no-bench"}},
		{"bad timeout", []string{"--exec", "x", "--timeout", "0s"}, exitUsage, nil, []string{"must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, map[string]string{}, append([]string{"signer", "check", "--color", "never"}, tc.args...)...)
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			for _, s := range tc.stdout {
				assert.Contains(t, out, s)
			}
			for _, s := range tc.stderr {
				assert.Contains(t, errOut, s)
			}
		})
	}
}

func TestSignerCheckJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, map[string]string{}, "signer", "check", "--exec", selfCommand(t, "signer", "reference"), "--cases", "3", "--no-bench", "--json", "--style", "v3")
	require.Equal(t, exitOK, code, errOut)
	var res struct {
		Styles []struct {
			Style  string `json:"style"`
			Passed int    `json:"passed"`
		} `json:"styles"`
		Throughput any `json:"throughput"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Len(t, res.Styles, 1)
	assert.Equal(t, "v3", res.Styles[0].Style)
	assert.Greater(t, res.Styles[0].Passed, 3)
	assert.Nil(t, res.Throughput, "--no-bench measures nothing")
}

func TestSignerCheckInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut syncBuffer
	e := &env{ctx: ctx, stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(e, []string{"signer", "check", "--exec", selfCommand(t, "signer", "reference"), "--cases", "1"})
	assert.Equal(t, exitInterrupted, code, errOut.String())
}

// The built-in signers answer on stdout what they read on stdin.
func TestSignerBuiltins(t *testing.T) {
	line := `{"id":"golden/x","style":"rpc","method":"GET","host":"h","path":"/","query":[["Action","A"]],"headers":[],"body":"","access_key_id":"testid","secret":"testsecret","timestamp":"","nonce":""}` + "\n"
	stdin = strings.NewReader(line + "not json\n")
	t.Cleanup(func() { stdin = os.Stdin })
	code, out, errOut := runCLI(t, map[string]string{}, "signer", "reference")
	require.Equal(t, exitOK, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, "one reply per request line")
	assert.Contains(t, lines[0], `"id":"golden/x"`)
	assert.Contains(t, lines[0], `"canonical":"AccessKeyId`[:13], "the reference gives every step")
	assert.Contains(t, lines[0], `"string_to_sign":"GET&%2F&Action%3DA"`)
	assert.Contains(t, lines[1], `"error":"not a request line`)

	stdin = strings.NewReader(line)
	code, out, _ = runCLI(t, map[string]string{}, "signer", "echo")
	require.Equal(t, exitOK, code)
	assert.Equal(t, `{"id":"golden/x","signature":""}`+"\n", out)

	code, _, errOut = runCLI(t, map[string]string{}, "signer", "sign")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `unknown verb "sign"`)
}
