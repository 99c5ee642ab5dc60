package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "testsecret"

// runCLI runs acsharness in-process with the given environment.
func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	// A copy: parallel subtests share their table's map.
	environ = maps.Clone(environ)
	if environ == nil {
		environ = map[string]string{}
	}
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
		{"no action", withSecret, []string{"sign", "--endpoint", "http://h"}, "--action is required"},
		{"malformed param", withSecret, []string{"sign", "--action", "X", "--endpoint", "http://h", "--param", "novalue"}, "--param \"novalue\": write NAME=VALUE"},
		{"malformed header", withSecret, []string{"sign", "--action", "X", "--endpoint", "http://h", "--header", "x-acs-a b: c"}, "--header"},
		{"missing secret", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id"}, []string{"sign", "--action", "X", "--endpoint", "http://h"}, "no credentials"},
		{"bad timestamp", withSecret, []string{"sign", "--action", "X", "--endpoint", "http://h", "--timestamp", "yesterday"}, "--timestamp"},
		{"ROA timestamp with a fraction", withSecret, []string{"sign", "--action", "X", "--style", "roa", "--endpoint", "http://h", "--timestamp", "2023-03-13T08:34:30.5Z"}, "ROA's Date header (RFC 1123) has whole seconds"},
		{"no endpoint", withSecret, []string{"sign", "--action", "X"}, "--endpoint URL, or --product and --region"},
		{"bad region", withSecret, []string{"sign", "--action", "X", "--product", "mqtt", "--region", "mars"}, "--region: unknown region \"mars\""},
		{"region with endpoint", withSecret, []string{"sign", "--action", "X", "--product", "mqtt", "--endpoint", "http://h", "--region", "cn-shanghai"}, "--region with --endpoint: the endpoint is given, so --region would be ignored"},
		{"network with endpoint", withSecret, []string{"sign", "--action", "X", "--endpoint", "http://h", "--network", "vpc"}, "--network with --endpoint"},
		{"region without product", withSecret, []string{"sign", "--action", "X", "--region", "cn-shanghai"}, "--region needs --product"},
		{"bad product", withSecret, []string{"sign", "--action", "X", "--product", "ecs"}, `--product "ecs": use one of onsmqtt, amqp-open, mqtt`},
		{"unknown flag", withSecret, []string{"sign", "--secret", "x"}, "unknown flag --secret"},
		{"body twice", withSecret, []string{"sign", "--action", "X", "--endpoint", "http://h", "--body", "a", "--body-file", "b"}, "--body and --body-file"},
		{"stray argument", withSecret, []string{"sign", "--action", "X", "--endpoint", "http://h", "extra"}, "unexpected argument"},
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

// A --timestamp with fractional seconds is signed and sent with them, and
// the reference gateway accepts what sign printed (docs/protocol.md §9 F2).
func TestSignFractionalTimestamp(t *testing.T) {
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	now := time.Now().UTC().Truncate(time.Second)
	stamp := now.Format("2006-01-02T15:04:05") + ".250Z"
	for _, tc := range []struct{ style, want string }{
		{"rpc", "Timestamp%3D" + strings.ReplaceAll(url.QueryEscape(stamp), "%", "%25")},
		{"v3", "x-acs-date:" + stamp},
	} {
		t.Run(tc.style, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, demoEnv(), "sign", "--json", "--style", tc.style, "--product", "mqtt", "--endpoint", l.URL,
				"--action", "ListGroupId", "--param", "InstanceId=mqtt-cn-acsharness", "--timestamp", stamp)
			require.Equal(t, exitOK, code, errOut)
			var d signature.Description
			require.NoError(t, json.Unmarshal([]byte(out), &d))
			assert.Contains(t, d.Canonical+d.StringToSign, tc.want, "the fraction is signed")
			req, err := http.NewRequest(d.Method, d.URL, nil)
			require.NoError(t, err)
			for k, v := range d.Headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, "the gateway accepts what sign printed: %s", body)
		})
	}
}

// The STS token is signed in, and printed nowhere: not in the canonical
// form, the string to sign, the URL, the headers or the curl line, as text
// or JSON.
func TestSignRedactsSecurityToken(t *testing.T) {
	t.Parallel()
	for _, style := range []string{"rpc", "roa", "v3"} {
		for _, format := range []string{"text", "json"} {
			t.Run(style+"/"+format, func(t *testing.T) {
				t.Parallel()
				args := []string{"sign", "--style", style, "--product", "mqtt", "--action", "SendMessage", "--method", "POST",
					"--form", "Payload=hello", "--path", "/messages"}
				if format == "json" {
					args = append(args, "--json")
				}
				code, out, errOut := runCLI(t, stsEnv(), args...)
				require.Equal(t, exitOK, code, errOut)
				assertNoSecrets(t, out+errOut, "sign's output")
				if style == "rpc" {
					assert.Contains(t, out, "SecurityToken%3D[redacted]", "the string to sign names the token")
				} else {
					assert.Contains(t, out, "x-acs-security-token:[redacted]", "the canonical headers name the token")
				}
			})
		}
	}
}
