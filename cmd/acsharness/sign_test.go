package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "testsecret"

// runCLI runs acsharness in-process with the given environment.
func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if _, ok := environ["HOME"]; !ok {
		environ["HOME"] = t.TempDir() // never read the developer's own aliyun config
	}
	e := &env{ctx: context.Background(), stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }}
	code = run(e, args)
	return code, out.String(), errb.String()
}

var officialVector = []string{"sign", "--style", "rpc", "--method", "GET", "--endpoint", "http://ecs.aliyuncs.com",
	"--access-key-id", "testid", "--action", "DescribeDedicatedHosts", "--version", "2014-05-26",
	"--param", "Format=JSON", "--param", "RegionId=cn-beijing",
	"--timestamp", "2023-03-13T08:34:30Z", "--nonce", "edb2b34af0af9a6d14deaf7c1a5315eb"}

func TestSignOfficialVector(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": testSecret}, officialVector...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "signature:       9NaGiOspFP5UPcwX8Iwt2YJXXuk=")
	assert.Contains(t, out, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDedicatedHosts")
	assert.Contains(t, out, "curl -sS -X GET 'http://ecs.aliyuncs.com/?AccessKeyId=testid&")
	assert.NotContains(t, out+errOut, testSecret, "the secret never appears in output")
}

func TestSignJSON(t *testing.T) {
	t.Parallel()
	for _, style := range []string{"rpc", "roa", "v3"} {
		t.Run(style, func(t *testing.T) {
			t.Parallel()
			args := []string{"sign", "--json", "--style", style, "--product", "mqtt", "--region", "cn-shanghai",
				"--action", "SendMessage", "--method", "POST", "--path", "/v1/messages",
				"--param", "Payload=hello 世界", "--header", "x-acs-region-id: cn-shanghai",
				"--timestamp", "2020-05-19T10:33:56Z", "--nonce", "n1"}
			code, out, errOut := runCLI(t, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "testid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": testSecret}, args...)
			require.Equal(t, exitOK, code, errOut)
			var d map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &d), out)
			for _, k := range []string{"style", "canonical", "string_to_sign", "signature", "url", "headers", "curl"} {
				assert.NotEmpty(t, d[k], "--json carries %q", k)
			}
			assert.Equal(t, style, d["style"])
			assert.Contains(t, d["url"], "https://onsmqtt.cn-shanghai.aliyuncs.com/")
			if style != "rpc" {
				h := d["headers"].(map[string]any)
				assert.NotEmpty(t, h["Authorization"], "the Authorization header is printed for %s", style)
			}
			assert.NotContains(t, out, testSecret)
		})
	}
}

func TestSignSecretFromProfileAndFile(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".aliyun"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".aliyun", "config.json"),
		[]byte(`{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"testid","access_key_secret":"testsecret"}]}`), 0o600))
	args := append([]string(nil), officialVector...)
	code, out, errOut := runCLI(t, map[string]string{"HOME": home}, args...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "9NaGiOspFP5UPcwX8Iwt2YJXXuk=", "the secret comes from the aliyun CLI profile")

	secretFile := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte("testsecret\n"), 0o600))
	code, out, errOut = runCLI(t, map[string]string{}, append(args, "--secret-file", secretFile)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "9NaGiOspFP5UPcwX8Iwt2YJXXuk=", "the secret comes from --secret-file")
}

func TestSignBadInput(t *testing.T) {
	t.Parallel()
	withSecret := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": testSecret}
	for _, tc := range []struct {
		name    string
		environ map[string]string
		args    []string
		want    string
	}{
		{"unknown style", withSecret, []string{"sign", "--style", "soap", "--endpoint", "http://h"}, "--style"},
		{"malformed param", withSecret, []string{"sign", "--endpoint", "http://h", "--param", "novalue"}, "--param \"novalue\": write NAME=VALUE"},
		{"malformed header", withSecret, []string{"sign", "--endpoint", "http://h", "--header", "x-acs-a b: c"}, "--header"},
		{"missing secret", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id"}, []string{"sign", "--endpoint", "http://h"}, "no credentials"},
		{"bad timestamp", withSecret, []string{"sign", "--endpoint", "http://h", "--timestamp", "yesterday"}, "--timestamp"},
		{"no endpoint", withSecret, []string{"sign"}, "--endpoint URL, or --product and --region"},
		{"bad region", withSecret, []string{"sign", "--product", "mqtt", "--region", "mars"}, "--region: unknown region \"mars\""},
		{"bad product", withSecret, []string{"sign", "--product", "ecs"}, `--product "ecs": use one of onsmqtt, amqp-open, mqtt`},
		{"unknown flag", withSecret, []string{"sign", "--secret", "x"}, "unknown flag --secret"},
		{"body twice", withSecret, []string{"sign", "--endpoint", "http://h", "--body", "a", "--body-file", "b"}, "--body and --body-file"},
		{"stray argument", withSecret, []string{"sign", "--endpoint", "http://h", "extra"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, tc.environ, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tc.want)
			assert.NotContains(t, out+errOut, testSecret)
		})
	}
}
