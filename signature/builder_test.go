package signature

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fixedTime = time.Date(2020, 5, 19, 10, 33, 56, 0, time.UTC)

func testBuilder() *Builder {
	return &Builder{
		Credentials: Credentials{AccessKeyID: "testid", AccessKeySecret: "testsecret"},
		Now:         func() time.Time { return fixedTime },
		Nonce:       func() string { return "15215528852396" },
	}
}

// received is what a loopback server saw of one request.
type received struct {
	method string
	path   string
	query  string
	header http.Header
	host   string
	body   []byte
}

// sendLoopback sends s to a real HTTP server on 127.0.0.1 and returns what
// arrived, so that tests verify what crossed the wire, not what was meant.
func sendLoopback(t *testing.T, s *Signed) received {
	t.Helper()
	ch := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- received{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), r.Host, b}
	}))
	defer srv.Close()
	c := s.Clone()
	c.Scheme, c.Addr = "http", strings.TrimPrefix(srv.URL, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := c.HTTPRequest(ctx)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return <-ch
}

// verifyReceived checks the request as a gateway would, from the wire.
func verifyReceived(t *testing.T, style Style, got received, secret Secret) Artifacts {
	t.Helper()
	q, err := ParseQuery(nil, got.query)
	require.NoError(t, err)
	m := Message{Method: got.method, Host: got.host, Path: got.path, Query: q, Header: got.header}
	var a Artifacts
	var ok bool
	switch style {
	case RPC:
		if strings.HasPrefix(got.header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			q, err = ParseQuery(q, string(got.body))
			require.NoError(t, err)
		}
		a, ok = VerifyRPC(got.method, q, secret)
	case ROA:
		a, ok = VerifyROA(&m, secret)
	case V3:
		assert.Equal(t, ContentSHA256(got.body), got.header.Get(HeaderACSContentSHA256), "x-acs-content-sha256 must match the body")
		assert.Empty(t, UnsignedV3Headers(&m, mustV3(t, got.header).SignedHeaders), "every x-acs-*, host and content-type header is signed")
		a, ok = VerifyV3(&m, secret)
	}
	assert.True(t, ok, "the server must accept the request\nserver string to sign: %q", a.StringToSign)
	return a
}

func mustV3(t *testing.T, h http.Header) V3Auth {
	t.Helper()
	a, err := ParseV3Authorization(h.Get(HeaderAuthorization))
	require.NoError(t, err)
	return a
}

func TestBuilderRoundTripsOverLoopback(t *testing.T) {
	t.Parallel()
	payload := Params{{"InstanceId", "mqtt-cn-test"}, {"MqttTopic", "t/a"}, {"Payload", "hello 世界 a+b*c~d%e&f=g 😀"}, {"Empty", ""}}
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"rpc GET", Request{Style: RPC, Action: "SendMessage", Version: "2020-04-20", Format: "JSON", Query: payload}},
		{"rpc POST query", Request{Style: RPC, Method: "POST", Action: "SendMessage", Version: "2020-04-20", Query: payload}},
		{"rpc POST form", Request{Style: RPC, Method: "POST", Action: "SendMessage", Version: "2020-04-20", Form: payload}},
		{"roa GET", Request{Style: ROA, Path: "/pop/v1/wam/appEnv", Version: "2019-12-11", Query: Params{{"appName", "my app"}, {"env", ""}, {"tag", "中文/a+b"}}}},
		{"roa POST json", Request{Style: ROA, Method: "POST", Path: "/v1/groups/g 1", Version: "2020-04-20", Action: "CreateGroupId",
			Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Acs-Region-Id": {"cn-hangzhou"}}, Body: []byte(`{"a":"b c"}`)}},
		{"roa form", Request{Style: ROA, Method: "POST", Path: "/x", Version: "1", Form: payload}},
		{"v3 rpc query", Request{Style: V3, Method: "POST", Action: "SendMessage", Version: "2020-04-20", Query: payload}},
		{"v3 rpc form", Request{Style: V3, Method: "POST", Action: "SendMessage", Version: "2020-04-20", Form: payload}},
		{"v3 roa json", Request{Style: V3, Method: "PUT", Path: "/a b/c*", Action: "X", Version: "1", Format: "XML",
			Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}},
	} {
		for _, percent := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := testBuilder()
				b.SpacePercent = percent
				req := tc.req
				req.Endpoint = "https://onsmqtt.cn-hangzhou.aliyuncs.com"
				s, err := b.Sign(req)
				require.NoError(t, err)
				got := sendLoopback(t, s)
				assert.Equal(t, "onsmqtt.cn-hangzhou.aliyuncs.com", got.host, "the Host header names the endpoint, not the loopback address")
				a := verifyReceived(t, req.Style, got, "testsecret")
				assert.Equal(t, s.Artifacts.StringToSign, a.StringToSign, "client and server strings to sign")
				assert.Equal(t, s.Artifacts.Canonical, a.Canonical, "client and server canonical forms")
				assert.Equal(t, s.Artifacts.Signature, a.Signature)
				if percent {
					assert.NotContains(t, got.query+string(got.body), "+", "--space-percent sends no + for a space")
				}
			})
		}
	}
}

func TestBuilderCommonParameters(t *testing.T) {
	t.Parallel()
	b := testBuilder()
	b.Credentials.SecurityToken = "sts-token"
	s, err := b.Sign(Request{Style: RPC, Endpoint: "http://h", Action: "ListGroupId", Version: "2020-04-20", Format: "XML"})
	require.NoError(t, err)
	for k, want := range map[string]string{
		"Action": "ListGroupId", "Version": "2020-04-20", "Format": "XML", "AccessKeyId": "testid",
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": "15215528852396",
		"Timestamp": "2020-05-19T10:33:56Z", "SecurityToken": "sts-token",
	} {
		got, ok := s.Query.Get(k)
		assert.True(t, ok, "RPC requests carry %s", k)
		assert.Equal(t, want, got, k)
	}
	assert.True(t, s.Query.Has("Signature"))
	assert.Equal(t, "15215528852396", s.Nonce)
	assert.Equal(t, "2020-05-19T10:33:56Z", s.Timestamp)
	assert.True(t, s.Query.Sorted()[0] == s.Query[0] && s.Query.Sorted()[len(s.Query)-1] == s.Query[len(s.Query)-1], "the wire query is in canonical order, as the SDKs send it")

	roa, err := b.Sign(Request{Style: ROA, Endpoint: "http://h", Path: "/r", Version: "v"})
	require.NoError(t, err)
	assert.Equal(t, "Tue, 19 May 2020 10:33:56 GMT", roa.Header.Get("Date"))
	assert.Equal(t, EmptyMD5, roa.Header.Get("Content-MD5"))
	assert.Equal(t, "sts-token", roa.Header.Get(HeaderACSSecurityToken))
	assert.True(t, strings.HasPrefix(roa.Header.Get("Authorization"), "acs testid:"))

	v3, err := b.Sign(Request{Style: V3, Endpoint: "http://h", Action: "A", Version: "v"})
	require.NoError(t, err)
	assert.Equal(t, EmptySHA256, v3.Header.Get(HeaderACSContentSHA256))
	assert.Equal(t, "testid", v3.Header.Get(HeaderACSAccessKeyID), "darabonba sends x-acs-accesskey-id with STS")
	auth := mustV3(t, v3.Header)
	assert.Contains(t, auth.SignedHeaders, "x-acs-security-token")
}

func TestBuilderUserValuesWinAndOmit(t *testing.T) {
	t.Parallel()
	// The seeds' misspelt TimeStamp: omit the builder's Timestamp, send ours.
	s, err := testBuilder().Sign(Request{Style: RPC, Endpoint: "http://h", Action: "ListGroupId", Version: "2020-04-20",
		Query: Params{{"TimeStamp", "2020-05-19T10:33:56Z"}, {"SignatureNonce", "literal"}}, Omit: []string{"Timestamp"}})
	require.NoError(t, err)
	assert.False(t, s.Query.Has("Timestamp"))
	assert.True(t, s.Query.Has("TimeStamp"))
	n, _ := s.Query.Get("SignatureNonce")
	assert.Equal(t, "literal", n, "a parameter the request carries is not replaced")
	assert.Equal(t, 1, s.Query.Count("SignatureNonce"))

	h, err := testBuilder().Sign(Request{Style: V3, Endpoint: "http://h", Action: "A", Version: "v",
		Header: http.Header{"X-Acs-Date": {"2020-01-01T00:00:00Z"}}, Omit: []string{"X-ACS-SIGNATURE-NONCE"}})
	require.NoError(t, err)
	assert.Equal(t, "2020-01-01T00:00:00Z", h.Header.Get(HeaderACSDate))
	assert.Empty(t, h.Header.Get(HeaderACSNonce), "Omit matches header names in any case")
}

func TestResignSignsWhatChanged(t *testing.T) {
	t.Parallel()
	for _, style := range Styles {
		t.Run(string(style), func(t *testing.T) {
			t.Parallel()
			b := testBuilder()
			s, err := b.Sign(Request{Style: style, Endpoint: "http://h", Action: "A", Version: "v", Query: Params{{"k", "v"}}})
			require.NoError(t, err)
			before := s.Artifacts.Signature

			tampered := s.Clone()
			tampered.Query = tampered.Query.Set("k", "changed")
			got := sendLoopback(t, tampered)
			q, _ := ParseQuery(nil, got.query)
			m := Message{Method: got.method, Host: got.host, Path: got.path, Query: q, Header: got.header}
			var ok bool
			switch style {
			case RPC:
				_, ok = VerifyRPC(got.method, q, "testsecret")
			case ROA:
				_, ok = VerifyROA(&m, "testsecret")
			case V3:
				_, ok = VerifyV3(&m, "testsecret")
			}
			assert.False(t, ok, "a parameter changed after signing must fail verification")
			v, _ := s.Query.Get("k")
			assert.Equal(t, "v", v, "Clone leaves the original alone")

			tampered.Resign(b.Credentials)
			assert.NotEqual(t, before, tampered.Artifacts.Signature)
			verifyReceived(t, style, sendLoopback(t, tampered), "testsecret")
		})
	}
}

func TestBuilderErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    *Builder
		req  Request
		want string
	}{
		{"no scheme", testBuilder(), Request{Style: RPC, Endpoint: "onsmqtt.cn-hangzhou.aliyuncs.com"}, "scheme must be http or https"},
		{"path in endpoint", testBuilder(), Request{Style: RPC, Endpoint: "http://h/x"}, "scheme and host only"},
		{"bad style", testBuilder(), Request{Style: "soap", Endpoint: "http://h"}, "use rpc, roa or v3"},
		{"form and body", testBuilder(), Request{Style: ROA, Endpoint: "http://h", Form: Params{{"a", "b"}}, Body: []byte("x")}, "not both"},
		{"no secret", &Builder{Credentials: Credentials{AccessKeyID: "id"}}, Request{Style: RPC, Endpoint: "http://h"}, "never a flag"},
		{"no id", &Builder{Credentials: Credentials{AccessKeySecret: "s"}}, Request{Style: RPC, Endpoint: "http://h"}, "no AccessKey ID"},
	} {
		_, err := tc.b.Sign(tc.req)
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
	}
}

func TestFreshNonceAndTime(t *testing.T) {
	t.Parallel()
	b := &Builder{Credentials: Credentials{AccessKeyID: "id", AccessKeySecret: "s"}}
	seen := map[string]bool{}
	for range 100 {
		s, err := b.Sign(Request{Style: RPC, Endpoint: "http://h", Action: "A", Version: "v"})
		require.NoError(t, err)
		assert.Len(t, s.Nonce, NonceSize)
		assert.False(t, seen[s.Nonce], "nonce %s repeated", s.Nonce)
		seen[s.Nonce] = true
		ts, err := time.Parse(TimestampLayout, s.Timestamp)
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now(), ts, time.Minute)
	}
}

func TestDescribeRedactsToken(t *testing.T) {
	t.Parallel()
	b := testBuilder()
	b.Credentials.SecurityToken = "TOKEN-VALUE"
	for _, style := range Styles {
		s, err := b.Sign(Request{Style: style, Endpoint: "http://h", Action: "A", Version: "v", Host: "other"})
		require.NoError(t, err)
		d := s.Describe()
		all := d.URL + d.Curl + d.Canonical + d.Body
		for _, v := range d.Headers {
			all += v
		}
		assert.NotContains(t, d.URL+d.Curl+headersText(d.Headers), "TOKEN-VALUE", "%s: the STS token is redacted from what is shown", style)
		assert.NotContains(t, all, "testsecret")
		assert.Contains(t, d.Curl, "-H 'Host: other'")
		assert.Equal(t, s.Artifacts.Signature, d.Signature)
	}
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
}

func headersText(h map[string]string) string {
	var b strings.Builder
	for k, v := range h {
		b.WriteString(k + v)
	}
	return b.String()
}
