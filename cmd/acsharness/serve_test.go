package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
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
		{[]string{"serve", "--config", badConfig}, badConfig + `:2:1: unknown key "nonce_chek" (did you mean "nonce_check"?)`},
		{[]string{"serve", "--mismatch-code", "onsmqtt=Nope"}, `mismatch_codes[onsmqtt] "Nope": use SignatureDoesNotMatch or IncompleteSignature`},
		{[]string{"serve", "--body-timeout", "40s"}, "body_timeout 40s must be positive and shorter than write_timeout 30s"},
		{[]string{"serve", "--endpoint-suffix", "com"}, `endpoint_suffix "com"`},
		{[]string{"serve", "--zoneless-timestamp", "local"}, `zoneless_timestamp "local": use utc or refuse`},
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

// writeConfig writes a serve config file and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

// configSettings parses a config file and then args over it, as serve does.
func configSettings(t *testing.T, body string, args ...string) (*serveSettings, error) {
	t.Helper()
	fs, s := newServeFlags()
	fs.SetOutput(io.Discard)
	if err := applyConfigFile(fs, writeConfig(t, body)); err != nil {
		return nil, err
	}
	require.NoError(t, fs.Parse(args))
	require.NoError(t, s.settle())
	return s, nil
}

// TestServeConfigKeysAreTheFlags: every flag of serve is a key of the
// config file, spelt with '-' or '_' (issue 11), and sets what the flag
// sets; flags on the command line win over the file.
func TestServeConfigKeysAreTheFlags(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"default-format": "[onsmqtt=JSON]", "mismatch-code": "{amqp-open: IncompleteSignature}",
		"endpoint-suffix": "[cloud.example.com]", "region": "[cn-private-1, cn-private-2]",
	}
	fs, _ := newServeFlags()
	var lines []string
	i := 0
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		v, ok := values[f.Name]
		if !ok {
			v = strconv.Quote(f.DefValue)
		}
		key := f.Name
		if i%2 == 0 {
			key = strings.ReplaceAll(key, "-", "_") // both spellings
		}
		i++
		lines = append(lines, key+": "+v)
	})
	s, err := configSettings(t, strings.Join(lines, "\n")+"\n")
	require.NoError(t, err, "every flag's name is a key:\n%s", strings.Join(lines, "\n"))
	assert.Equal(t, map[string]string{"onsmqtt": "JSON"}, s.cfg.DefaultFormats)
	assert.Equal(t, map[string]string{"amqp-open": gateway.CodeIncompleteSignature}, s.cfg.MismatchCodes)
	assert.Equal(t, []string{"cloud.example.com"}, s.cfg.EndpointSuffixes)
	assert.Equal(t, []string{"cn-private-1", "cn-private-2"}, s.cfg.Regions)

	s, err = configSettings(t, "skew: 5m\nnonce_check: after-key\nno-access-log: true\nmax_conns: 100\n"+
		"default_format: {onsmqtt: JSON}\nmismatch_code: IncompleteSignature\nkey_not_found_code: InvalidAccessKeyId\n"+
		"zoneless_timestamp: refuse\nbody_timeout: 5s\nkeys: keys.yaml\nlog_format: text\nquiet: true\n",
		"--skew", "7m", "--default-format", "amqp-open=XML")
	require.NoError(t, err)
	assert.Equal(t, 7*time.Minute, s.cfg.Skew, "the command line wins")
	assert.Equal(t, gateway.NonceAfterKey, s.cfg.NonceCheck)
	assert.True(t, s.noAccessLog)
	assert.True(t, s.quiet)
	assert.Equal(t, "text", s.logFormat)
	assert.Equal(t, 100, s.opts.MaxConns)
	assert.Equal(t, "keys.yaml", s.opts.KeysFile)
	assert.Equal(t, map[string]string{"onsmqtt": "JSON", "amqp-open": "XML"}, s.cfg.DefaultFormats, "a repeatable flag adds to the file")
	assert.Equal(t, gateway.CodeIncompleteSignature, s.cfg.MismatchCode)
	assert.Equal(t, gateway.CodeKeyInvalid, s.cfg.KeyNotFoundCode)
	assert.Equal(t, gateway.ZonelessRefuse, s.cfg.ZonelessTimestamp)
	assert.Equal(t, 5*time.Second, s.cfg.BodyTimeout)

	s, err = configSettings(t, "")
	require.NoError(t, err, "an empty file sets nothing")
	assert.Equal(t, gateway.DefaultAddr, s.opts.Addr)
}

// TestServeConfigErrors: a config file is checked strictly, each mistake
// named with file:line:column and the fix, every one at once, and never in
// the words of a Go type.
func TestServeConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"typo", "addr: x\nskeww: 5m\n", []string{`:2:1: unknown key "skeww" (did you mean "skew"?); the keys are serve's flags, with - or _: addr, `}},
		{"the old plural", "default_formats: {onsmqtt: JSON}\n", []string{`:1:1: unknown key "default_formats" (did you mean "default_format"?)`}},
		{"given twice", "nonce_check: after-key\nnonce-check: before-key\n", []string{`:2:1: key "nonce-check" is given twice: keep one`}},
		{"a list for one value", "skew: [5m, 6m]\n", []string{`:1:7: skew takes one value, not a list or a mapping`}},
		{"a bad duration", "skew: soon\n", []string{`:1:7: skew: "soon" is not a valid value (parse error); clock-skew window, both directions`}},
		{"a bad bool", "quiet: maybe\n", []string{`:1:8: quiet: "maybe" is not a valid value`}},
		{"a bad number", "max_conns: many\n", []string{`:1:12: max_conns: "many" is not a valid value`}},
		{"no value", "addr:\n", []string{`:1:6: addr has no value: give one, or drop the key`}},
		{"another config", "config: other.yaml\n", []string{`:1:1: a config file cannot name another`}},
		{"not a mapping", "- addr: x\n", []string{`:1:1: the file must be a mapping of settings`}},
		{"not YAML", "addr: [\n", []string{"not valid YAML"}},
		{"every mistake at once", "skeww: 1m\nquiet: maybe\n", []string{`:1:1: unknown key "skeww"`, `:2:8: quiet: "maybe"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.body)
			fs, _ := newServeFlags()
			err := applyConfigFile(fs, path)
			require.Error(t, err)
			for _, w := range tc.want {
				if strings.HasPrefix(w, ":") {
					w = path + w
				}
				assert.Contains(t, err.Error(), w)
			}
			for _, goType := range []string{"gateway.", "time.Duration", "*string", "yaml: unmarshal", "!!", "ServeFile", "struct"} {
				assert.NotContains(t, err.Error(), goType, "an error never names an internal Go type")
			}
			code, _, errOut := runCLI(t, map[string]string{}, "serve", "--config", path)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, "acsharness serve: --config: ")
		})
	}
}
