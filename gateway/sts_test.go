package gateway

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

// TestSecurityToken: a key of the keys file may be an STS key, with a
// session token and an expiry; its requests must carry that token, signed
// like any parameter (RPC) or x-acs-* header (ROA, V3), and the token is
// checked against its key (docs/protocol.md §9 F15).
func TestSecurityToken(t *testing.T) {
	t.Parallel()
	demoSTS := Demo().STS
	other := signature.Credentials{AccessKeyID: "STS.other", AccessKeySecret: "other-secret", SecurityToken: "CAIS-other-token"}
	expired := signature.Credentials{AccessKeyID: "STS.expired", AccessKeySecret: "expired-secret", SecurityToken: "CAIS-expired-token"}
	later := signature.Credentials{AccessKeyID: "STS.later", AccessKeySecret: "later-secret", SecurityToken: "CAIS-later-token"}
	keys := append(DemoKeys(),
		Key{ID: other.AccessKeyID, Secret: other.AccessKeySecret, Status: KeyActive, SecurityToken: other.SecurityToken},
		Key{ID: expired.AccessKeyID, Secret: expired.AccessKeySecret, Status: KeyActive, SecurityToken: expired.SecurityToken, Expiration: now.Add(-time.Second)},
		Key{ID: later.AccessKeyID, Secret: later.AccessKeySecret, Status: KeyActive, SecurityToken: later.SecurityToken, Expiration: now.Add(time.Hour)},
	)
	withToken := func(c signature.Credentials, token signature.Secret) signature.Credentials {
		c.SecurityToken = token
		return c
	}
	requests := map[signature.Style]signature.Request{
		signature.RPC: rabbit("ListInstances", p("Format", "JSON")),
		signature.ROA: {Style: signature.ROA, Path: "/instances", Version: "2019-12-12", Host: "amqp-open.cn-hangzhou.aliyuncs.com"},
		signature.V3:  {Style: signature.V3, Action: "ListInstances", Version: "2019-12-12", Host: "amqp-open.cn-hangzhou.aliyuncs.com"},
	}
	for _, tc := range []struct {
		name   string
		creds  signature.Credentials
		omit   bool // send no token
		mutate func(*signature.Signed)
		code   string
	}{
		{"the STS key with its token", demoSTS, false, nil, ""},
		{"a permanent key without a token", demo, false, nil, ""},
		{"the STS key without its token", demoSTS, true, nil, CodeMissingSecurityToken},
		{"the STS key with a garbled token", withToken(demoSTS, "garbled"), false, nil, CodeTokenMalformed},
		{"the STS key with another key's token", withToken(demoSTS, other.SecurityToken), false, nil, CodeTokenMismatch},
		{"a permanent key with an STS key's token", withToken(demo, demoSTS.SecurityToken), false, nil, CodeTokenMismatch},
		{"a permanent key with a token of nobody", withToken(demo, "CAIS-nobody"), false, nil, CodeTokenMalformed},
		{"an expired STS key", expired, false, nil, CodeTokenExpired},
		{"an STS key before its expiry", later, false, nil, ""},
		{"the token changed after signing", demoSTS, false, func(s *signature.Signed) {
			if s.Style == signature.RPC {
				s.Query = s.Query.Set(signature.ParamSecurityToken, string(other.SecurityToken))
			} else {
				s.Header.Set(signature.HeaderACSSecurityToken, string(other.SecurityToken))
			}
		}, CodeSignatureDoesNotMatch},
	} {
		for _, style := range signature.Styles {
			t.Run(tc.name+"/"+string(style), func(t *testing.T) {
				t.Parallel()
				var logs bytes.Buffer
				_, srv := testGateway(t, Config{Keys: keys, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
				req := requests[style]
				if tc.omit {
					req.Omit = []string{signature.ParamSecurityToken, signature.HeaderACSSecurityToken}
				}
				a, _ := send(t, srv, tc.creds, req, tc.mutate)
				assertEnvelope(t, a)
				require.Equal(t, tc.code, a.code(), "%s", a.body)
				if tc.code == "" {
					assert.Equal(t, 200, a.status)
				} else {
					assert.Equal(t, 400, a.status)
				}
				if tc.omit {
					assert.Equal(t, "SecurityToken is mandatory for this action.", a.env["Message"])
				}
				for _, tok := range []signature.Secret{tc.creds.SecurityToken, other.SecurityToken, demoSTS.SecurityToken} {
					if tok != "" {
						assert.NotContains(t, logs.String(), string(tok), "the access log never holds a token")
					}
				}
			})
		}
	}
}

func TestKeysFileSTS(t *testing.T) {
	t.Parallel()
	keys, err := ParseKeys("keys.yaml", []byte("keys:\n  - id: STS.a\n    secret: sa\n    security_token: CAIS-a\n    expiration: 2026-12-01T00:00:00Z\n  - id: b\n    secret: sb\n"))
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, signature.Secret("CAIS-a"), keys[0].SecurityToken)
	assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), keys[0].Expiration.UTC())
	assert.Equal(t, signature.Secret(""), keys[1].SecurityToken, "a key without a token is a permanent key")
	for _, tc := range []struct{ yaml, want string }{
		{"keys:\n  - id: a\n    secret: s\n    expiration: 2026-12-01T00:00:00Z\n", `keys.yaml:2: key "a" has an expiration but no security_token`},
		{"keys:\n  - id: a\n    secret: s\n    security_token: tok-shared-secret\n  - id: b\n    secret: t\n    security_token: tok-shared-secret\n",
			`keys.yaml:5: key "b" has the security_token of key "a"`},
		{"keys:\n  - id: a\n    secret: s\n    security_token: tok\n    expiration: tomorrow\n", "keys.yaml"},
	} {
		_, err := ParseKeys("keys.yaml", []byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "tok-shared-secret", "an error never quotes a token")
	}
	assert.NotEmpty(t, Demo().STS.SecurityToken, "the demo keys hold one STS key")
	assert.Contains(t, DemoKeys(), Key{ID: DemoSTSKeyID, Secret: DemoSTSKey, Status: KeyActive, SecurityToken: DemoSTSToken})
}
