package signature

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const leak = "s3cr3t-VALUE"

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

const aliyunConfigJSON = `{
  "current": "dev",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "default-id", "access_key_secret": "` + leak + `-default"},
    {"name": "dev", "mode": "AK", "access_key_id": "dev-id", "access_key_secret": "` + leak + `"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "` + leak + `", "sts_token": "tok"},
    {"name": "ram", "mode": "RamRoleArn", "access_key_id": "x", "access_key_secret": "y"}
  ]
}`

func TestLoadCredentials(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, aliyunConfigJSON)
	secretFile := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(leak+"-file\n"), 0o600))

	for _, tc := range []struct {
		name string
		src  Source
		want Credentials
		err  string
	}{
		{"environment", Source{Getenv: envOf(map[string]string{EnvAccessKeyID: "env-id", EnvAccessKeySecret: leak})},
			Credentials{AccessKeyID: "env-id", AccessKeySecret: leak}, ""},
		{"environment with STS", Source{Getenv: envOf(map[string]string{EnvAccessKeyID: "id", EnvAccessKeySecret: leak, EnvSecurityToken: "t"})},
			Credentials{AccessKeyID: "id", AccessKeySecret: leak, SecurityToken: "t"}, ""},
		{"id from flag, secret from env", Source{AccessKeyID: "flag-id", Getenv: envOf(map[string]string{EnvAccessKeySecret: leak})},
			Credentials{AccessKeyID: "flag-id", AccessKeySecret: leak}, ""},
		{"secret file", Source{AccessKeyID: "id", SecretFile: secretFile, Getenv: envOf(nil)},
			Credentials{AccessKeyID: "id", AccessKeySecret: leak + "-file"}, ""},
		{"current profile", Source{ConfigPath: cfg, Getenv: envOf(nil)},
			Credentials{AccessKeyID: "dev-id", AccessKeySecret: leak}, ""},
		{"named profile", Source{ConfigPath: cfg, Profile: "default", Getenv: envOf(nil)},
			Credentials{AccessKeyID: "default-id", AccessKeySecret: leak + "-default"}, ""},
		{"profile from env", Source{ConfigPath: cfg, Getenv: envOf(map[string]string{EnvProfile: "sts"})},
			Credentials{AccessKeyID: "STS.id", AccessKeySecret: leak, SecurityToken: "tok"}, ""},
		{"home from env", Source{Getenv: envOf(map[string]string{"HOME": filepath.Dir(filepath.Dir(homeConfig(t)))})},
			Credentials{AccessKeyID: "home-id", AccessKeySecret: leak}, ""},
		{"unsupported mode", Source{ConfigPath: cfg, Profile: "ram", Getenv: envOf(nil)}, Credentials{}, "only AK and StsToken"},
		{"unknown profile lists the others", Source{ConfigPath: cfg, Profile: "prod", Getenv: envOf(nil)}, Credentials{}, "profiles: default, dev, sts, ram"},
		{"nothing anywhere", Source{Getenv: envOf(map[string]string{"HOME": t.TempDir()})}, Credentials{}, "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"secret without id", Source{Getenv: envOf(map[string]string{"HOME": t.TempDir(), EnvAccessKeySecret: leak})}, Credentials{}, "--access-key-id"},
		{"missing secret file", Source{SecretFile: filepath.Join(t.TempDir(), "none"), Getenv: envOf(nil)}, Credentials{}, "read secret file"},
		{"broken config", Source{ConfigPath: writeConfig(t, `{"profiles": [`), Getenv: envOf(nil)}, Credentials{}, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadCredentials(tc.src)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.NotContains(t, err.Error(), leak, "an error never carries a secret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// homeConfig writes $HOME/.aliyun/config.json in a temp home and returns its path.
func homeConfig(t *testing.T) string {
	home := t.TempDir()
	p := filepath.Join(home, ".aliyun", "config.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
	require.NoError(t, os.WriteFile(p, []byte(`{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"home-id","access_key_secret":"`+leak+`"}]}`), 0o600))
	return p
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	c := Credentials{AccessKeyID: "id", AccessKeySecret: leak, SecurityToken: leak + "-token"}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		fmt.Fprintf(&out, verb+"\n", c)
		fmt.Fprintf(&out, verb+"\n", c.AccessKeySecret)
		fmt.Fprintf(&out, verb+"\n", &c)
	}
	j, err := json.Marshal(c)
	require.NoError(t, err)
	out.Write(j)
	x, err := xml.Marshal(secretHolder{c.AccessKeySecret})
	require.NoError(t, err)
	out.Write(x)
	slog.New(slog.NewTextHandler(&out, nil)).Info("creds", "secret", c.AccessKeySecret, "creds", c)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("creds", "secret", c.AccessKeySecret)
	out.WriteString(fmt.Sprint(c, c.AccessKeySecret))
	assert.NotContains(t, out.String(), leak, "a secret must never be formatted:\n%s", out.String())
	assert.Contains(t, out.String(), "[redacted]")
	assert.Contains(t, out.String(), "id", "the key ID is not secret")

	var back Credentials
	require.NoError(t, json.Unmarshal([]byte(`{"access_key_id":"a","access_key_secret":"b"}`), &back))
	assert.Equal(t, Secret("b"), back.AccessKeySecret, "a secret can still be read")
}

type secretHolder struct{ S Secret }

// stsToken has every kind of character an STS token has (base64: letters,
// digits, '+', '/', '=') so each encoding differs from the others.
const stsToken = "CAIS8gF1q6Ft5B2yfSjIr5bSEsn/2+dQ0pqcWR8=="

// Every style signs the token in; every artefact a person or a report sees
// (the canonical form, the string to sign, a gateway's echo of it in a JSON
// or XML body) is free of it after RedactSecrets, in every encoding.
func TestRedactSecretsInEveryEncoding(t *testing.T) {
	t.Parallel()
	creds := Credentials{AccessKeyID: "STS.id", AccessKeySecret: leak, SecurityToken: stsToken}
	forms := []string{stsToken, PercentEncode(stsToken), PercentEncode(PercentEncode(stsToken)), "CAIS8gF1q6Ft5B2yfSjIr5bSEsn%2f2%2bdQ0pqcWR8%3d%3d"}
	for _, style := range Styles {
		t.Run(string(style), func(t *testing.T) {
			t.Parallel()
			b := &Builder{Credentials: creds}
			s, err := b.Sign(Request{Style: style, Endpoint: "https://onsmqtt.cn-hangzhou.aliyuncs.com", Path: "/groups", Action: "ListGroupId", Version: "2020-04-20"})
			require.NoError(t, err)
			art := s.Artifacts.Canonical + "\n" + s.Artifacts.StringToSign
			if style == RPC {
				require.Contains(t, art, "SecurityToken%3D"+forms[2], "the RPC string to sign carries the token encoded twice (docs/protocol.md §1.3)")
			} else {
				require.Contains(t, art, "x-acs-security-token:"+stsToken, "the ROA and V3 canonical headers carry it as is")
			}
			// V3's string to sign holds a hash; a gateway echoes the
			// canonical request, which holds the token.
			echo := "server string to sign is:" + s.Artifacts.StringToSign + "\ncanonical request:" + s.Artifacts.Canonical
			jsonEcho, err := json.Marshal(map[string]string{"Message": echo})
			require.NoError(t, err)
			xmlEcho, err := xml.Marshal(struct {
				XMLName xml.Name `xml:"Error"`
				Message string
			}{Message: echo})
			require.NoError(t, err)
			for name, text := range map[string]string{"artefacts": art, "JSON echo": string(jsonEcho), "XML echo": string(xmlEcho), "lower-case hex": forms[3]} {
				out := creds.Redact(text)
				for _, f := range forms {
					assert.NotContains(t, out, f, "%s: the token survives as %q", name, f)
				}
				assert.Contains(t, out, "[redacted]", name)
			}
			assert.Equal(t, strings.ReplaceAll(art, stsToken, "x"), RedactSecrets(strings.ReplaceAll(art, stsToken, "x"), "", ""), "nothing to redact changes nothing")
		})
	}
}

// FuzzRedactSecrets: whatever the secret, none of its encodings survives,
// and text without it is left alone.
func FuzzRedactSecrets(f *testing.F) {
	for _, s := range []string{stsToken, "a b", "é/+=", "%", "x"} {
		f.Add(s, "before ")
	}
	f.Fuzz(func(t *testing.T, secret, around string) {
		once := PercentEncode(secret)
		forms := []string{secret, once, PercentEncode(once), url.QueryEscape(secret)}
		for _, form := range forms {
			// A form that "[redacted]" itself holds, or that the text
			// around already holds, proves nothing.
			if secret == "" || strings.ContainsAny(secret, "[]\x00") || strings.Contains(redacted, form) || strings.Contains(around, form) {
				t.Skip()
			}
		}
		if got := RedactSecrets(around, Secret(secret)); got != around {
			t.Fatalf("text without the secret %q changed: %q -> %q", secret, around, got)
		}
		out := RedactSecrets(around+strings.Join(forms, "\x00"), Secret(secret))
		for _, form := range forms {
			if strings.Contains(out, form) {
				t.Fatalf("%q survives redaction of %q: %q", form, secret, out)
			}
		}
	})
}
