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
		assert.Contains(t, out, "PASS all 3 cases", "one case of RabbitMQ and the two run-wide checks")
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
	return map[string]string{signature.EnvAccessKeyID: testSTSKeyID, signature.EnvAccessKeySecret: testSecret, signature.EnvSecurityToken: testToken}
}

// testSTSKeyID is the STS key of stsKeys, whose session token is testToken.
const testSTSKeyID = "STS.leaktest"

// stsKeys are the demo keys and an STS key holding testToken, so that a
// gateway accepts the requests stsEnv signs (it checks a token against its
// key).
func stsKeys() []gateway.Key {
	return append(gateway.DemoKeys(), gateway.Key{ID: testSTSKeyID, Secret: testSecret, Status: gateway.KeyActive, SecurityToken: testToken})
}

// The flags of a target of your own are an error without --target, naming
// both: silently ignored, they would leave a user believing their key was
// tested.
func TestTargetFlagsNeedTarget(t *testing.T) {
	t.Parallel()
	for _, flagArgs := range [][]string{
		{"--access-key-id", "LTAI5t"}, {"--secret-file", "secret.txt"}, {"--aliyun-profile", "prod"},
		{"--inactive-key-id", "LTAIold"}, {"--ca-cert", "ca.pem"}, {"--insecure"},
	} {
		for _, cmd := range []string{"conform", "load"} {
			t.Run(cmd+" "+flagArgs[0], func(t *testing.T) {
				t.Parallel()
				code, out, errOut := runCLI(t, map[string]string{}, append([]string{cmd, "--quiet"}, flagArgs...)...)
				assert.Equal(t, exitUsage, code)
				assert.Contains(t, errOut, flagArgs[0]+" applies to --target, and there is none")
				assert.Contains(t, errOut, "add --target URL or drop "+flagArgs[0])
				assert.Empty(t, out)
			})
		}
	}
}

// An unwritable --report-dir stops conform before anything is sent.
func TestConformReportDirCheckedFirst(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	file := writeFile(t, "not-a-dir", "x")
	code, out, errOut := runCLI(t, demoEnv(), "conform", "--target", srv.URL, "--report-dir", filepath.Join(file, "reports"))
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, "--report-dir")
	assert.Empty(t, out)
	assert.Zero(t, hits.Load(), "nothing was sent, not even the probe")
}

// A selection of no case, or a run whose every case was skipped, tested
// nothing: it exits 2 and says what matched nothing, never "PASS".
func TestConformRunsNothing(t *testing.T) {
	t.Parallel()
	empty := writeFile(t, "empty.yaml", "scenarios: []\n")
	mqttOnly := writeFile(t, "mqtt.yaml", "scenarios:\n  - id: local/one\n    title: t\n    category: nonce\n    products: [onsmqtt]\n    steps: [{expect: {status: 200}}]\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"empty scenario file", []string{"--scenarios", empty, "--no-builtin"}, "no case to run: --scenarios " + empty + " holds no scenario, and --no-builtin leaves out the built-in suite"},
		{"a glob of nothing", []string{"--scenario", "nothing/*"}, `--scenario "nothing/*" matches no scenario`},
		{"a product no scenario names", []string{"--scenarios", mqttOnly, "--no-builtin", "--product", "rabbitmq"}, "no case to run: --product rabbitmq matches no case of the 1 scenarios loaded"},
		{"filters that exclude each other", []string{"--scenario", "nonce/*", "--category", "signature"}, "no case to run: --category signature and --scenario nonce/* match no case together"},
		{"--list too", []string{"--list", "--scenario", "nonce/*", "--category", "signature"}, "match no case together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, map[string]string{}, append([]string{"conform"}, tc.args...)...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tc.want)
			assert.NotContains(t, out, "PASS")
		})
	}
	t.Run("every case skipped", func(t *testing.T) {
		t.Parallel()
		l, err := gateway.StartLocal(gateway.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		noROA := writeFile(t, "profile.yaml", "product: onsmqtt\nversion: \"2020-04-20\"\ndefault_format: XML\nprobe:\n  action: ListGroupId\n  params: {InstanceId: mqtt-cn-acsharness}\n")
		dir := t.TempDir()
		code, out, errOut := runCLI(t, demoEnv(), "conform", "--target", l.URL, "--profile", noROA, "--style", "roa",
			"--scenario", "signature/valid", "--report-dir", dir, "--color", "never")
		assert.Equal(t, exitUsage, code, "%s\n%s", out, errOut)
		assert.Contains(t, errOut, "no case ran: all 3 selected cases were skipped")
		_, err = os.Stat(filepath.Join(dir, "report.json"))
		assert.NoError(t, err, "the reports still say why each case was skipped")
	})
}
