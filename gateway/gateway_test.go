package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

var (
	now       = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	upperUUID = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)
	demo      = signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: DemoKeySecret}
)

// testGateway starts a gateway with a fixed clock on a loopback server.
func testGateway(t *testing.T, cfg Config) (*Gateway, *httptest.Server) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return now }
	}
	g, err := New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return g, srv
}

// answer is a response as a client sees it, with its envelope parsed.
type answer struct {
	status int
	header http.Header
	body   []byte
	env    map[string]string // the top-level scalar fields of the body
	root   string            // the XML root, or "" for JSON
}

func (a answer) code() string { return a.env["Code"] }

// send signs req with creds at the fixed clock, lets mutate deviate from
// the signed request, and sends it over loopback.
func send(t *testing.T, srv *httptest.Server, creds signature.Credentials, req signature.Request, mutate func(*signature.Signed)) (answer, *signature.Signed) {
	t.Helper()
	b := &signature.Builder{Credentials: creds, Now: func() time.Time { return now }}
	if req.Endpoint == "" {
		req.Endpoint = srv.URL
	}
	s, err := b.Sign(req)
	require.NoError(t, err)
	if mutate != nil {
		mutate(s)
	}
	return sendSigned(t, srv, s), s
}

func sendSigned(t *testing.T, srv *httptest.Server, s *signature.Signed) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.HTTPRequest(ctx)
	require.NoError(t, err)
	resp, err := srv.Client().Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return parseAnswer(t, resp.StatusCode, resp.Header, body)
}

func parseAnswer(t *testing.T, status int, h http.Header, body []byte) answer {
	t.Helper()
	a := answer{status: status, header: h, body: body, env: map[string]string{}}
	switch h.Get("Content-Type") {
	case ContentTypeJSON:
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m), "a JSON body: %s", body)
		for k, v := range m {
			if s, ok := v.(string); ok {
				a.env[k] = s
			}
		}
	case ContentTypeXML:
		dec := xml.NewDecoder(bytes.NewReader(body))
		var path []string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "an XML body: %s", body)
			switch tok := tok.(type) {
			case xml.StartElement:
				if a.root == "" {
					a.root = tok.Name.Local
				}
				path = append(path, tok.Name.Local)
			case xml.EndElement:
				path = path[:len(path)-1]
			case xml.CharData:
				if len(path) == 2 {
					a.env[path[1]] += string(tok)
				}
			}
		}
	default:
		t.Fatalf("Content-Type %q is neither %q nor %q; body %s", h.Get("Content-Type"), ContentTypeJSON, ContentTypeXML, body)
	}
	return a
}

// assertEnvelope checks what every response carries (docs/protocol.md §5).
func assertEnvelope(t *testing.T, a answer) {
	t.Helper()
	id := a.env["RequestId"]
	assert.Regexp(t, upperUUID, id, "RequestId is an uppercase UUID")
	assert.Equal(t, id, a.header.Get("X-Acs-Request-Id"), "x-acs-request-id equals the body's RequestId")
	assert.Regexp(t, `^[0-9a-f]{32}$`, a.header.Get("X-Acs-Trace-Id"))
	if a.status >= 400 {
		for _, f := range []string{"Code", "Message", "HostId", "Recommend"} {
			assert.NotEmpty(t, a.env[f], "an error body carries %s: %s", f, a.body)
		}
		assert.Contains(t, a.env["Recommend"], "q="+a.env["Code"])
		if a.root != "" {
			assert.Equal(t, "Error", a.root, "the XML error root")
			assert.True(t, bytes.HasPrefix(a.body, []byte("<?xml version='1.0' encoding='UTF-8'?>")), "the gateway's XML prolog")
		}
	}
}

func mqtt(action string, params ...signature.Param) signature.Request {
	return signature.Request{Style: signature.RPC, Action: action, Version: "2020-04-20", Host: "onsmqtt.cn-hangzhou.aliyuncs.com", Query: params}
}

func rabbit(action string, params ...signature.Param) signature.Request {
	return signature.Request{Style: signature.RPC, Action: action, Version: "2019-12-12", Host: "amqp-open.cn-hangzhou.aliyuncs.com", Query: params}
}

func p(k, v string) signature.Param { return signature.Param{Key: k, Value: v} }

func setQuery(k, v string) func(*signature.Signed) {
	return func(s *signature.Signed) { s.Query = s.Query.Set(k, v) }
}

func dropQuery(k string) func(*signature.Signed) {
	return func(s *signature.Signed) { s.Query = s.Query.Without(k) }
}

// resign applies f to the signed request and signs it again, so that the
// deviation is signed and only the deviation is wrong.
func resign(f func(*signature.Signed)) func(*signature.Signed) {
	return func(s *signature.Signed) {
		f(s)
		s.Resign(demo)
	}
}

func TestRPCValidation(t *testing.T) {
	t.Parallel()
	inst := p("InstanceId", "mqtt-cn-1")
	for _, tc := range []struct {
		name   string
		cfg    Config
		req    signature.Request
		mutate func(*signature.Signed)
		status int
		code   string
		root   string // expected XML root, or "" for JSON
	}{
		{"mqtt default format is XML", Config{}, mqtt("ListGroupId", inst), nil, 200, "", "ListGroupIdResponse"},
		{"rabbitmq default format is JSON", Config{}, rabbit("ListInstances"), nil, 200, "", ""},
		{"default format is a setting", Config{DefaultFormats: map[string]string{"onsmqtt": "JSON"}}, mqtt("ListGroupId", inst), nil, 200, "", ""},
		{"Format=json lowercase", Config{}, mqtt("ListGroupId", inst, p("Format", "json")), nil, 200, "", ""},
		{"Format=xml lowercase", Config{}, rabbit("ListInstances", p("Format", "xml")), nil, 200, "", "ListInstancesResponse"},
		{"Format=yaml", Config{}, rabbit("ListInstances", p("Format", "yaml")), nil, 400, CodeInvalidFormat, ""},
		{"POST with form body", Config{}, signature.Request{Style: signature.RPC, Method: "POST", Action: "SendMessage", Version: "2020-04-20",
			Form: signature.Params{inst, p("MqttTopic", "t/a"), p("Payload", "hello 世界 a+b*c~d%")}, Format: "JSON"}, nil, 200, "", ""},
		{"IP routes by version", Config{}, signature.Request{Style: signature.RPC, Action: "ListInstances", Version: "2019-12-12"}, nil, 200, "", ""},
		{"unknown version", Config{}, signature.Request{Style: signature.RPC, Action: "ListInstances", Version: "2019-12-11"}, nil, 400, CodeInvalidVersion, ""},
		{"the other product's version", Config{}, rabbit("ListInstances"), setQuery("Version", "2020-04-20"), 400, CodeInvalidVersion, ""},
		{"unknown action", Config{}, rabbit("ListQueuesEverywhere"), nil, 404, CodeInvalidAction, ""},
		{"action names are case-sensitive", Config{}, rabbit("listinstances"), nil, 404, CodeInvalidAction, ""},
		{"unknown domain", Config{}, signature.Request{Style: signature.RPC, Action: "ListInstances", Version: "2019-12-12", Host: "ecs.aliyuncs.com"}, nil, 404, CodeInvalidProduct, ""},
		{"ons is RocketMQ, not MQTT", Config{}, signature.Request{Style: signature.RPC, Action: "ListGroupId", Version: "2020-04-20", Host: "ons.cn-hangzhou.aliyuncs.com"}, nil, 404, CodeInvalidProduct, ""},
		{"pinned product ignores Host", Config{Product: "rabbitmq"}, signature.Request{Style: signature.RPC, Action: "ListInstances", Version: "2019-12-12", Host: "ecs.aliyuncs.com"}, nil, 200, "", ""},
		{"PUT", Config{}, rabbit("ListInstances", p("Format", "JSON")), func(s *signature.Signed) { s.Method = "PUT" }, 400, CodeUnsupportedHTTPMethod, ""},
		{"misspelt TimeStamp", Config{}, signature.Request{Style: signature.RPC, Action: "ListInstances", Version: "2019-12-12",
			Query: signature.Params{p("TimeStamp", "2026-11-22T10:00:00Z")}, Omit: []string{"Timestamp"}}, nil, 400, "MissingTimestamp", ""},
		{"Hmac-SHA1, strict", Config{}, rabbit("ListInstances"), resign(setQuery("SignatureMethod", "Hmac-SHA1")), 400, CodeInvalidSignatureMethod, ""},
		{"Hmac-SHA1, insensitive", Config{SignatureMethodCase: MethodInsensitive}, rabbit("ListInstances"), resign(setQuery("SignatureMethod", "Hmac-SHA1")), 200, "", ""},
		{"SignatureVersion 2.0", Config{}, rabbit("ListInstances"), resign(setQuery("SignatureVersion", "2.0")), 400, CodeInvalidSignatureMethod, ""},
		{"Timestamp garbage", Config{}, rabbit("ListInstances"), resign(setQuery("Timestamp", "yesterday")), 400, CodeTimestampFormat, ""},
		{"Timestamp with an offset", Config{}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T18:00:00+08:00")), 400, CodeTimestampFormat, ""},
		{"Timestamp with an offset, accepted", Config{TimestampOffsets: true}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T18:00:00+08:00")), 200, "", ""},
		{"Timestamp with a fraction", Config{}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T10:00:00.973Z")), 200, "", ""},
		{"Timestamp exactly 15 minutes old", Config{}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T09:45:00Z")), 200, "", ""},
		{"Timestamp 15m01s old", Config{}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T09:44:59Z")), 400, CodeTimestampExpired, ""},
		{"Timestamp 15m01s ahead", Config{}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T10:15:01Z")), 400, CodeTimestampExpired, ""},
		{"Timestamp 14m59s ahead", Config{}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T10:14:59Z")), 200, "", ""},
		{"skew window is a setting", Config{Skew: time.Minute}, rabbit("ListInstances"), resign(setQuery("Timestamp", "2026-11-22T09:58:00Z")), 400, CodeTimestampExpired, ""},
		{"empty nonce is used", Config{}, rabbit("ListInstances"), resign(setQuery("SignatureNonce", "")), 400, CodeNonceUsed, ""},
		{"empty nonce and key: nonce first", Config{}, rabbit("ListInstances"), func(s *signature.Signed) {
			s.Query = s.Query.Set("SignatureNonce", "").Set("AccessKeyId", "")
		}, 400, CodeNonceUsed, ""},
		{"empty nonce and key: key first", Config{NonceCheck: NonceAfterKey}, rabbit("ListInstances"), func(s *signature.Signed) {
			s.Query = s.Query.Set("SignatureNonce", "").Set("AccessKeyId", "")
		}, 404, CodeKeyNotFound, ""},
		{"unknown key", Config{}, rabbit("ListInstances"), func(s *signature.Signed) {
			s.Resign(signature.Credentials{AccessKeyID: "nobody", AccessKeySecret: "x"})
		}, 404, CodeKeyNotFound, ""},
		{"inactive key", Config{}, rabbit("ListInstances"), func(s *signature.Signed) {
			s.Resign(signature.Credentials{AccessKeyID: DemoInactiveKeyID, AccessKeySecret: DemoInactiveKey})
		}, 400, CodeKeyInactive, ""},
		{"parameter changed after signing", Config{}, rabbit("ListInstances", p("MaxResults", "10")), setQuery("MaxResults", "11"), 400, CodeSignatureDoesNotMatch, ""},
		{"IncompleteSignature is a setting", Config{MismatchCode: CodeIncompleteSignature}, rabbit("ListInstances", p("MaxResults", "10")), setQuery("MaxResults", "11"), 400, CodeIncompleteSignature, ""},
		{"duplicate added after signing: first wins", Config{}, rabbit("ListInstances", p("MaxResults", "1")), func(s *signature.Signed) {
			s.Query = append(s.Query, p("MaxResults", "100"))
		}, 200, "", ""},
		{"malformed escape", Config{}, rabbit("ListInstances"), func(s *signature.Signed) {
			s.RawQuery = strings.Replace(string(signature.AppendQuery(nil, s.Query, true)), "Signature=", "Signature=xxxx%xx", 1)
		}, 400, CodeParameterMalformed, ""},
		{"business parameter missing", Config{}, mqtt("ListGroupId"), nil, 400, CodeMissingParameter, "Error"},
		{"business parameter missing, dotted", Config{MissingParameterStyle: MissingDotted}, mqtt("ListGroupId", p("Format", "JSON")), nil, 400, "MissingParameter.InstanceId", ""},
		{"business parameter missing, named", Config{MissingParameterStyle: MissingNamed}, mqtt("ListGroupId", p("Format", "JSON")), nil, 400, "MissingInstanceId", ""},
		{"business parameter invalid", Config{}, rabbit("ListInstances", p("MaxResults", "0")), nil, 400, CodeInvalidParameter, ""},
		{"unknown parameters are ignored", Config{}, rabbit("ListInstances", p("RegionId", "cn-hangzhou"), p("SignatureType", "")), nil, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, srv := testGateway(t, tc.cfg)
			a, _ := send(t, srv, demo, tc.req, tc.mutate)
			assertEnvelope(t, a)
			assert.Equal(t, tc.status, a.status, "status; body %s", a.body)
			assert.Equal(t, tc.code, a.code(), "code; body %s", a.body)
			if tc.root != "" && tc.root != "Error" {
				assert.Equal(t, tc.root, a.root)
			}
		})
	}
}

func TestRPCMissingCommonParameters(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	for _, name := range rpcRequired {
		a, _ := send(t, srv, demo, rabbit("ListInstances"), dropQuery(name))
		assert.Equal(t, 400, a.status, name)
		assert.Equal(t, "Missing"+name, a.code(), "names are exact: %s", a.body)
		assert.Equal(t, name+" is mandatory for this action.", a.env["Message"])
	}
	// An empty value is present, not missing (docs/protocol.md §4.1).
	a, _ := send(t, srv, demo, rabbit("ListInstances"), setQuery("Version", ""))
	assert.Equal(t, CodeInvalidVersion, a.code())
}

func TestSignatureMismatchEchoesStringToSign(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		req    signature.Request
		marker string
	}{
		{"rpc", rabbit("ListInstances", p("Payload", "a b+c")), StringToSignMarker},
		{"roa", signature.Request{Style: signature.ROA, Path: "/groups", Version: "2020-04-20", Query: signature.Params{p("InstanceId", "i 1")}}, StringToSignMarker},
		{"v3", signature.Request{Style: signature.V3, Action: "ListInstances", Version: "2019-12-12", Query: signature.Params{p("MaxResults", "5")}}, "server StringToSign is ["},
	} {
		for _, format := range []string{"JSON", "XML"} {
			t.Run(tc.name+" "+format, func(t *testing.T) {
				t.Parallel()
				_, srv := testGateway(t, Config{})
				req := tc.req
				req.Format = format
				a, s := send(t, srv, signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: "wrong"}, req, nil)
				assertEnvelope(t, a)
				require.Equal(t, 400, a.status, "%s", a.body)
				assert.Equal(t, CodeSignatureDoesNotMatch, a.code())
				msg := a.env["Message"]
				i := strings.Index(msg, tc.marker)
				require.GreaterOrEqual(t, i, 0, "the message carries %q: %s", tc.marker, msg)
				echoed := strings.TrimSuffix(msg[i+len(tc.marker):], "]")
				assert.Equal(t, s.Artifacts.StringToSign, echoed, "the echoed server string to sign equals the client's")
				wantRoot := ""
				if format == "XML" {
					wantRoot = "Error"
				}
				assert.Equal(t, wantRoot, a.root)
			})
		}
	}
}

// validationCase is a request, a deviation from it, and the answer due.
type validationCase struct {
	name   string
	req    signature.Request
	mutate func(*signature.Signed)
	status int
	code   string
}

// runValidation sends each case to a gateway of its own with the default
// settings and checks the status, the code and the envelope.
func runValidation(t *testing.T, cases []validationCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, srv := testGateway(t, Config{})
			a, _ := send(t, srv, demo, tc.req, tc.mutate)
			assertEnvelope(t, a)
			assert.Equal(t, tc.status, a.status, "%s", a.body)
			assert.Equal(t, tc.code, a.code(), "%s", a.body)
		})
	}
}

func TestROAValidation(t *testing.T) {
	t.Parallel()
	groups := signature.Request{Style: signature.ROA, Path: "/groups", Version: "2020-04-20", Query: signature.Params{p("InstanceId", "i1")}}
	runValidation(t, []validationCase{
		{"valid, version-routed", groups, nil, 200, ""},
		{"valid, host-routed", func() signature.Request { r := groups; r.Host = "onsmqtt.cn-hangzhou.aliyuncs.com"; return r }(), nil, 200, ""},
		{"generic route, any version", signature.Request{Style: signature.ROA, Path: "/pop/v1/wam/appEnv", Version: "2019-12-11",
			Query: signature.Params{p("appName", "my app"), p("env", ""), p("tag", "中文/a+b")}}, nil, 200, ""},
		{"no Date", groups, resign(func(s *signature.Signed) { s.Header.Del("Date") }), 400, "MissingDate"},
		{"no x-acs-version", groups, resign(func(s *signature.Signed) { s.Header.Del("X-Acs-Version") }), 400, "MissingVersion"},
		{"Date garbage", groups, resign(func(s *signature.Signed) { s.Header.Set("Date", "yesterday") }), 400, CodeTimestampFormat},
		{"Date 16 minutes old", groups, resign(func(s *signature.Signed) { s.Header.Set("Date", "Sun, 22 Nov 2026 09:44:00 GMT") }), 400, CodeTimestampExpired},
		{"no nonce is fine", groups, resign(func(s *signature.Signed) { s.Header.Del("X-Acs-Signature-Nonce") }), 200, ""},
		{"no Content-MD5 is fine", groups, resign(func(s *signature.Signed) { s.Header.Del("Content-Md5") }), 200, ""},
		{"garbage Authorization", groups, func(s *signature.Signed) { s.Header.Set("Authorization", "acs garbage") }, 400, CodeIncompleteSignature},
		{"header changed after signing", groups, func(s *signature.Signed) { s.Header.Set("X-Acs-Region-Id", "cn-beijing") }, 400, CodeSignatureDoesNotMatch},
		{"unknown route", signature.Request{Style: signature.ROA, Path: "/nowhere", Version: "2020-04-20"}, nil, 404, CodeInvalidAction},
		{"wrong method for route", func() signature.Request { r := groups; r.Method = "PUT"; return r }(), nil, 404, CodeInvalidAction},
		{"wrong version for route", func() signature.Request {
			r := groups
			r.Host = "onsmqtt.cn-hangzhou.aliyuncs.com"
			r.Version = "2019-12-12"
			return r
		}(), nil, 400, CodeInvalidVersion},
		{"x-acs-signature-method bad", groups, resign(func(s *signature.Signed) { s.Header.Set("X-Acs-Signature-Method", "HMAC-SHA256") }), 400, CodeInvalidSignatureMethod},
		{"TRACE", groups, func(s *signature.Signed) { s.Method = "TRACE" }, 400, CodeUnsupportedHTTPMethod},
	})
}

func TestV3Validation(t *testing.T) {
	t.Parallel()
	list := signature.Request{Style: signature.V3, Action: "ListInstances", Version: "2019-12-12", Query: signature.Params{p("MaxResults", "5")}}
	send3 := signature.Request{Style: signature.V3, Method: "POST", Action: "SendMessage", Version: "2020-04-20",
		Form: signature.Params{p("InstanceId", "i"), p("MqttTopic", "t"), p("Payload", "a b")}}
	vhosts := signature.Request{Style: signature.V3, Path: "/instances/amqp-1/vhosts", Action: "ListVirtualHosts", Version: "2019-12-12"}
	runValidation(t, []validationCase{
		{"rpc style, query", list, nil, 200, ""},
		{"rpc style, form body", send3, nil, 200, ""},
		{"roa style", vhosts, nil, 200, ""},
		{"roa style, action differs from route", func() signature.Request { r := vhosts; r.Action = "ListInstances"; return r }(), nil, 404, CodeInvalidAction},
		{"no x-acs-date", list, resign(func(s *signature.Signed) { s.Header.Del("X-Acs-Date") }), 400, "MissingDate"},
		{"no x-acs-signature-nonce", list, resign(func(s *signature.Signed) { s.Header.Del("X-Acs-Signature-Nonce") }), 400, "MissingSignatureNonce"},
		{"no x-acs-content-sha256", list, resign(func(s *signature.Signed) { s.Header.Del("X-Acs-Content-Sha256") }), 400, "MissingContentSha256"},
		{"no x-acs-action", list, resign(func(s *signature.Signed) { s.Header.Del("X-Acs-Action") }), 400, "MissingAction"},
		{"unsigned x-acs header", list, func(s *signature.Signed) { s.Header.Set("X-Acs-Extra", "1") }, 400, CodeIncompleteSignature},
		{"body tampered after signing", send3, func(s *signature.Signed) { s.Form = s.Form.Set("Payload", "evil") }, 400, CodeSignatureDoesNotMatch},
		{"ACS3-HMAC-SM3", list, func(s *signature.Signed) {
			s.Header.Set("Authorization", strings.Replace(s.Header.Get("Authorization"), "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1))
		}, 400, CodeInvalidSignatureMethod},
		{"empty Credential", list, func(s *signature.Signed) {
			s.Header.Set("Authorization", strings.Replace(s.Header.Get("Authorization"), "Credential="+DemoKeyID, "Credential=", 1))
		}, 400, "MissingAccessKeyId"},
		{"garbage Authorization", list, func(s *signature.Signed) { s.Header.Set("Authorization", "ACS3-HMAC-SHA256 nonsense") }, 400, CodeIncompleteSignature},
		{"x-acs-date 16 minutes ahead", list, resign(func(s *signature.Signed) { s.Header.Set("X-Acs-Date", "2026-11-22T10:16:00Z") }), 400, CodeTimestampExpired},
		{"query changed after signing", list, setQuery("MaxResults", "6"), 400, CodeSignatureDoesNotMatch},
	})
}

func TestNonceReplayAndThrottling(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	a, s := send(t, srv, demo, rabbit("ListInstances"), nil)
	require.Equal(t, 200, a.status)
	again := sendSigned(t, srv, s)
	assert.Equal(t, 400, again.status)
	assert.Equal(t, CodeNonceUsed, again.code())
	assert.Equal(t, msgNonceUsed, again.env["Message"])

	// A forged request must not burn the nonce it carries (recorded after
	// the signature), unless recording on arrival is chosen.
	for _, tc := range []struct {
		record NonceRecord
		want   int
	}{{RecordAfterSignature, 200}, {RecordOnArrival, 400}} {
		_, srv := testGateway(t, Config{NonceRecord: tc.record})
		forged, s := send(t, srv, signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: "wrong"}, rabbit("ListInstances"), nil)
		require.Equal(t, CodeSignatureDoesNotMatch, forged.code())
		s.Resign(demo)
		assert.Equal(t, tc.want, sendSigned(t, srv, s).status, "nonce recorded %s", tc.record)
	}

	_, srv = testGateway(t, Config{RateLimit: 1, RateBurst: 1})
	first, _ := send(t, srv, demo, rabbit("ListInstances"), nil)
	second, _ := send(t, srv, demo, rabbit("ListInstances"), nil)
	assert.Equal(t, 200, first.status)
	assert.Equal(t, 400, second.status)
	assert.Equal(t, CodeThrottlingUser, second.code())
}

func TestBackendStateAcrossRequests(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	inst := p("InstanceId", "mqtt-cn-state")
	json := p("Format", "JSON")
	ok := func(req signature.Request) answer {
		a, _ := send(t, srv, demo, req, nil)
		require.Equal(t, 200, a.status, "%s", a.body)
		return a
	}
	ok(mqtt("CreateGroupId", inst, p("GroupId", "GID_one"), json))
	assert.Contains(t, string(ok(mqtt("ListGroupId", inst, json)).body), `"GroupId":"GID_one"`)
	dup, _ := send(t, srv, demo, mqtt("CreateGroupId", inst, p("GroupId", "GID_one"), json), nil)
	assert.Equal(t, CodeResourceExists, dup.code())
	bad, _ := send(t, srv, demo, mqtt("CreateGroupId", inst, p("GroupId", "nogid"), json), nil)
	assert.Equal(t, CodeInvalidParameter, bad.code())
	ok(mqtt("DeleteGroupId", inst, p("GroupId", "GID_one"), json))
	assert.NotContains(t, string(ok(mqtt("ListGroupId", inst, json)).body), "GID_one")
	gone, _ := send(t, srv, demo, mqtt("DeleteGroupId", inst, p("GroupId", "GID_one"), json), nil)
	assert.Equal(t, 404, gone.status)
	assert.Equal(t, CodeResourceNotFound, gone.code())

	vh := p("VirtualHost", "vh 1")
	ok(signature.Request{Style: signature.RPC, Method: "POST", Action: "CreateVirtualHost", Version: "2019-12-12",
		Form: signature.Params{p("InstanceId", "amqp-1"), vh}})
	assert.Contains(t, string(ok(rabbit("ListVirtualHosts", p("InstanceId", "amqp-1"))).body), `"Name":"vh 1"`)
	page := ok(rabbit("ListInstances", p("MaxResults", "1")))
	assert.Contains(t, string(page.body), `"NextToken":"1"`)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	resp, err := srv.Client().Get(srv.URL + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "ok\n", string(b))
}

func TestRequestIDsAreUnique(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	seen := map[string]bool{}
	for range 50 {
		a, _ := send(t, srv, demo, rabbit("ListInstances"), nil)
		id := a.env["RequestId"]
		assert.False(t, seen[id], "RequestId %s repeated", id)
		seen[id] = true
	}
}

func TestAccessLogHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"slog", AccessLogJSON, AccessLogText} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			cfg := Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			if format != "slog" {
				al, err := NewAccessLog(&logs, AccessLogOptions{Format: format})
				require.NoError(t, err)
				cfg = Config{AccessLog: al}
			}
			_, srv := testGateway(t, cfg)
			a, s := send(t, srv, demo, rabbit("ListInstances"), nil)
			require.Equal(t, 200, a.status)
			bad, _ := send(t, srv, signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: "wrong"}, rabbit("ListInstances"), nil)
			require.Equal(t, 400, bad.status)
			if cfg.AccessLog != nil {
				require.NoError(t, cfg.AccessLog.Close(), "the access log writes what it holds on Close")
			}
			out := logs.String()
			assert.Contains(t, out, a.env["RequestId"])
			result := `"result":"SignatureDoesNotMatch"`
			if format == AccessLogText {
				result = "result=SignatureDoesNotMatch"
			}
			assert.Contains(t, out, result)
			for _, secret := range []string{DemoKeySecret, s.Artifacts.Signature, s.Nonce, "Signature="} {
				assert.NotContains(t, out, secret, "the access log must not carry %q", secret)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{NonceCheck: "sometimes"}, "nonce_check \"sometimes\": use before-key or after-key"},
		{Config{MismatchCode: "Nope"}, "use SignatureDoesNotMatch or IncompleteSignature"},
		{Config{SignatureMethodCase: "loose"}, "use strict or insensitive"},
		{Config{DefaultFormats: map[string]string{"onsmqtt": "YAML"}}, "use JSON or XML"},
		{Config{DefaultFormats: map[string]string{"ecs": "JSON"}}, "unknown product \"ecs\""},
		{Config{Product: "ecs"}, "unknown product"},
		{Config{Skew: -time.Second}, "skew"},
		{Config{Faults: []Fault{"nonsense"}}, "unknown fault"},
		{Config{ROADefaultFormat: "yaml"}, "use JSON, XML or product"},
		{Config{MissingParameterStyle: "shouty"}, "use plain, dotted or named"},
	} {
		_, err := New(tc.cfg)
		require.Error(t, err, tc.want)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestKeysFile(t *testing.T) {
	t.Parallel()
	keys, err := ParseKeys("keys.yaml", []byte("keys:\n  - id: a\n    secret: sa\n  - id: b\n    secret: sb\n    status: inactive\n"))
	require.NoError(t, err)
	assert.Equal(t, []Key{{ID: "a", Secret: "sa", Status: KeyActive}, {ID: "b", Secret: "sb", Status: KeyInactive}}, keys)
	for _, tc := range []struct{ yaml, want string }{
		{"keys:\n  - id: a\n    secret: s\n  - id: a\n    secret: t\n", "keys.yaml:4: key \"a\" is listed twice"},
		{"keys:\n  - id: a\n", "keys.yaml:2: key \"a\" has no secret"},
		{"keys:\n  - id: a\n    secret: topsecret\n    status: paused\n", "use active or inactive"},
		{"keys:\n  - id: a\n    secret: s\n    colour: red\n", "field colour not found"},
		{"keys: []\n", "no keys"},
		{"keys: [\n", "not valid YAML"},
	} {
		_, err := ParseKeys("keys.yaml", []byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "topsecret", "errors never quote a secret")
	}
}

// TestROAEscapedPathAsDarabonbaSigns: darabonba's ROA signer signs its
// Pathname escaped, alibaba-cloud-sdk-go and the spec the decoded path; the
// gateway accepts both forms of a path holding an escaped character.
func TestROAEscapedPathAsDarabonbaSigns(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	req := signature.Request{Style: signature.ROA, Path: "/instances/amqp 1/vhosts", Version: "2019-12-12"}
	decoded, _ := send(t, srv, demo, req, nil)
	assert.Equal(t, 200, decoded.status, "the decoded form (the spec's): %s", decoded.body)
	escaped, _ := send(t, srv, demo, req, func(s *signature.Signed) {
		m := s.Message()
		m.Path = "/instances/amqp%201/vhosts"
		a := signature.SignROA(&m, demo.AccessKeySecret)
		s.Header.Set("Authorization", signature.ROAAuthorization(demo.AccessKeyID, a.Signature))
	})
	assert.Equal(t, 200, escaped.status, "the escaped form (darabonba's): %s", escaped.body)
	wrong, _ := send(t, srv, demo, req, func(s *signature.Signed) {
		m := s.Message()
		m.Path = "/instances/amqp%202/vhosts"
		a := signature.SignROA(&m, demo.AccessKeySecret)
		s.Header.Set("Authorization", signature.ROAAuthorization(demo.AccessKeyID, a.Signature))
	})
	assert.Equal(t, CodeSignatureDoesNotMatch, wrong.code(), "another path still fails")
}
