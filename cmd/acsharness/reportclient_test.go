package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// serveRecording runs `serve --record dir` in-process, sends the requests
// send makes to it, and stops it.
func serveRecording(t *testing.T, dir string, send func(url string)) {
	t.Helper()
	serveInProcess(t, []string{"--record", dir, "--log-format", "text"}, send)
}

// serveInProcess runs `serve --addr 127.0.0.1:0` with args in-process,
// sends the requests send makes to it, stops it, and returns its stderr.
func serveInProcess(t *testing.T, args []string, send func(url string)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	e := &env{ctx: ctx, stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(e, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	}()
	listening := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)|"url":"(http://127\.0\.0\.1:\d+)"`)
	deadline := time.Now().Add(10 * time.Second)
	for !listening.MatchString(stderr.String()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	m := listening.FindStringSubmatch(stderr.String())
	require.NotNil(t, m, "serve must start: %s", stderr.String())
	send(m[1] + m[2])
	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitOK, code, stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	return stderr.String()
}

func signedGet(t *testing.T, url string, style signature.Style, edit func(*signature.Signed)) int {
	t.Helper()
	b := &signature.Builder{Credentials: gateway.Demo().Main}
	s, err := b.Sign(signature.Request{Style: style, Endpoint: url, Action: "ListInstances", Version: "2019-12-12",
		Format: "JSON", Query: signature.Params{{Key: "MaxResults", Value: "1"}}})
	require.NoError(t, err)
	if edit != nil {
		edit(s)
	}
	hr, err := s.HTTPRequest(context.Background())
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(hr)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeRecordAndReportClient(t *testing.T) {
	t.Parallel()
	good := filepath.Join(t.TempDir(), "good")
	serveRecording(t, good, func(url string) {
		assert.Equal(t, http.StatusOK, signedGet(t, url, signature.RPC, nil))
		assert.Equal(t, http.StatusOK, signedGet(t, url, signature.V3, nil))
	})
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, map[string]string{}, "report", "client", good, "--report-dir", out, "--color", "never")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "client report of "+good+": 2 requests")
	assert.Contains(t, stdout, "PASS no departure from the spec in 2 requests")
	assert.Contains(t, stdout, "Signature verified (signature, docs/protocol.md §1.6, §2.5, §3.4)")
	for _, f := range []string{"client.json", "client.md", "client.html"} {
		assert.FileExists(t, filepath.Join(out, f), "every report listed is written")
		assert.Contains(t, stderr, filepath.Join(out, f))
	}
	code, stdout, _ = runCLI(t, map[string]string{}, "report", "client", "--json", good)
	require.Equal(t, exitOK, code)
	var rep struct{ Requests, Departures int }
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	assert.Equal(t, 2, rep.Requests)

	// A client that reuses its nonce departs from the spec: exit 1.
	bad := filepath.Join(t.TempDir(), "bad")
	serveRecording(t, bad, func(url string) {
		fixed := func(s *signature.Signed) {
			s.Query = s.Query.Set(signature.ParamSignatureNonce, "n-0001")
			s.Resign(gateway.Demo().Main)
		}
		assert.Equal(t, http.StatusOK, signedGet(t, url, signature.RPC, fixed))
		assert.Equal(t, http.StatusBadRequest, signedGet(t, url, signature.RPC, fixed), "the gateway refuses the replay")
	})
	code, stdout, _ = runCLI(t, map[string]string{}, "report", "client", bad, "--color", "never")
	assert.Equal(t, exitFailed, code, stdout)
	assert.Contains(t, stdout, "FAIL 1 rule departed from: nonce.unique")
	raw, err := os.ReadFile(filepath.Join(bad, "requests.jsonl"))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "n-0001", "nonces are redacted")
	assert.NotContains(t, string(raw), gateway.DemoKeySecret)
}

func TestReportClientBadInput(t *testing.T) {
	t.Parallel()
	existing := filepath.Join(t.TempDir(), "rec")
	serveRecording(t, existing, func(string) {})
	notRecording := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "client"}, "give one recording folder"},
		{[]string{"report", "client", notRecording}, "has no recording.json"},
		{[]string{"report", "client", "a", "b"}, "give one recording folder"},
		{[]string{"report", "client", "--colour", "x", existing}, "flag provided but not defined"},
		{[]string{"report"}, "acsharness report client"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--record", existing}, "already holds a recording"},
	} {
		code, _, errOut := runCLI(t, map[string]string{}, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.want, "%v", tc.args)
	}
	require.NoError(t, os.WriteFile(filepath.Join(existing, "requests.jsonl"), []byte("{broken\n"), 0o644))
	code, _, errOut := runCLI(t, map[string]string{}, "report", "client", existing)
	assert.Equal(t, exitUsage, code)
	assert.True(t, strings.Contains(errOut, "requests.jsonl:1: not a record"), errOut)
}
