package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for a server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeStartsAndStopsCleanly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	e := &env{ctx: ctx, stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
	keys := filepath.Join(t.TempDir(), "keys.yaml")
	require.NoError(t, os.WriteFile(keys, []byte("keys:\n  - id: k1\n    secret: verysecret\n"), 0o600))
	done := make(chan int, 1)
	go func() {
		done <- run(e, []string{"serve", "--addr", "127.0.0.1:0", "--keys", keys, "--log-format", "text"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "gateway listening") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.Contains(t, stderr.String(), "gateway listening")
	cancel() // SIGINT/SIGTERM cancel this context in main
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, stderr.String(), "shutting down")
	assert.NotContains(t, stderr.String(), "verysecret", "a secret is never logged")
}

func TestServeBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "serve.yaml")
	require.NoError(t, os.WriteFile(badConfig, []byte("addr: 127.0.0.1:0\nnonce_chek: after-key\n"), 0o600))
	badKeys := filepath.Join(dir, "keys.yaml")
	require.NoError(t, os.WriteFile(badKeys, []byte("keys:\n  - id: a\n    secret: hush-hush\n    status: paused\n"), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--nonce-check", "sometimes"}, "nonce_check \"sometimes\": use before-key or after-key"},
		{[]string{"serve", "--config", badConfig}, "line 2: field nonce_chek not found"},
		{[]string{"serve", "--keys", badKeys}, "use active or inactive"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"serve", "--default-format", "onsmqtt"}, "PRODUCT=JSON"},
		{[]string{"serve", "--log-format", "xml"}, "use json or text"},
		{[]string{"serve", "--product", "ecs"}, "unknown product"},
	} {
		code, _, errOut := runCLI(t, map[string]string{}, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.want, "%v", tc.args)
		assert.NotContains(t, errOut, "hush-hush")
	}
}
