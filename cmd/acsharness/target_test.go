package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProductCode(t *testing.T) {
	t.Parallel()
	builtin := []string{"onsmqtt", "amqp-open"}
	for _, tc := range []struct {
		name, in string
		codes    []string
		want     string
		err      string
	}{
		{"code", "onsmqtt", builtin, "onsmqtt", ""},
		{"alias", "mqtt", builtin, "onsmqtt", ""},
		{"alias, any case", "RabbitMQ", builtin, "amqp-open", ""},
		{"the SDK's name", "OnsMqtt", builtin, "onsmqtt", ""},
		{"a profile's own product", "ecs", []string{"ecs"}, "ecs", ""},
		{"a built-in alias with profiles that lack it", "mqtt", []string{"ecs"}, "", `--product "mqtt": use one of ecs`},
		{"typo", "rabitmq", builtin, "", `--product "rabitmq" (did you mean "rabbitmq"?): use one of onsmqtt, amqp-open, mqtt, OnsMqtt, rabbitmq, amqp`},
		{"unknown", "ecs", builtin, "", `--product "ecs": use one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := productCode(tc.in, tc.codes)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// conform, load and sign accept the names sign and serve accept.
func TestProductNamesEverywhere(t *testing.T) {
	t.Parallel()
	t.Run("conform", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{}, "conform", "--product", "rabbitmq", "--scenario", "signature/valid", "--style", "rpc", "--color", "never")
		require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
		assert.Contains(t, out, "PASS all 2 cases", "one case of RabbitMQ and the run-wide check")
		code, out, _ = runCLI(t, map[string]string{}, "conform", "--list", "--product", "MQTT", "--scenario", "signature/valid")
		require.Equal(t, exitOK, code)
		assert.Contains(t, out, "signature/valid")
		assert.Contains(t, out, "1 scenarios, 3 cases", "three styles of MQTT only")
		code, _, errOut = runCLI(t, map[string]string{}, "conform", "--product", "rabitmq")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, `(did you mean "rabbitmq"?)`)
	})
	t.Run("load", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		code, out, errOut := runCLI(t, map[string]string{}, "load", "--product", "rabbitmq", "--requests", "3", "--rate", "100/s", "--quiet", "--color", "never", "--report-dir", dir)
		require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
		assert.Equal(t, "rpc ListInstances", readSummary(t, dir).Workload, "RabbitMQ's probe action")
	})
	t.Run("sign", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "testid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": testSecret},
			"sign", "--product", "RabbitMQ", "--action", "ListInstances")
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, "https://amqp-open.cn-hangzhou.aliyuncs.com/")
	})
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// testToken is an STS token with each kind of character a token holds, so
// that every encoding of it differs.
const testToken = "CAIS8gF1q6Ft5B2yfSjIr5bSEsn/2+dQ0pqcWR8=="

// tokenForms are the encodings a token takes in a request, a string to
// sign, or an echo of one.
func tokenForms(tok string) []string {
	once := signature.PercentEncode(tok)
	return []string{tok, once, signature.PercentEncode(once), url.QueryEscape(tok), strings.ToLower(once)}
}

// assertNoSecrets checks that text holds neither the secret nor any form
// of the token.
func assertNoSecrets(t *testing.T, text, where string) {
	t.Helper()
	assert.NotContains(t, text, testSecret, "%s carries the secret", where)
	for _, f := range tokenForms(testToken) {
		assert.NotContains(t, text, f, "%s carries the STS token as %q", where, f)
	}
}

// stsEnv is the environment of a command signing with a key and an STS
// token.
func stsEnv() map[string]string {
	return map[string]string{signature.EnvAccessKeyID: gateway.DemoKeyID, signature.EnvAccessKeySecret: testSecret, signature.EnvSecurityToken: testToken}
}
