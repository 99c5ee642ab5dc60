package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

// The differences between the reference gateway and the real one that
// docs/protocol.md §9 records, each made the default where the evidence is clear
// and a setting where the spec keeps it [INF] (issue 9).

// jsonKeys returns the top-level keys of a JSON object in the order sent.
func jsonKeys(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok, "a JSON object: %s", body)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

// TestMalformedEscape: docs/protocol.md §9 F1, 400 RequestParameterMalformed with
// the real gateway's text, in the product's default format (Format cannot
// be read from a query that does not decode).
func TestMalformedEscape(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	junk := func(s *signature.Signed) {
		s.RawQuery = string(signature.AppendQuery(nil, s.Query, true)) + "&Junk=xxxx%xxxx%3D"
	}
	for _, tc := range []struct {
		name string
		req  signature.Request
		root string
	}{
		{"mqtt, XML by default", mqtt("ListGroupId", p("InstanceId", "i")), "Error"},
		{"rabbitmq, JSON by default", rabbit("ListInstances"), ""},
		{"roa", signature.Request{Style: signature.ROA, Path: "/groups", Version: "2020-04-20", Host: "onsmqtt.cn-hangzhou.aliyuncs.com"}, ""},
		{"v3", signature.Request{Style: signature.V3, Action: "ListInstances", Version: "2019-12-12", Host: "amqp-open.cn-hangzhou.aliyuncs.com"}, ""},
	} {
		a, _ := send(t, srv, demo, tc.req, junk)
		assertEnvelope(t, a)
		assert.Equal(t, 400, a.status, "%s: %s", tc.name, a.body)
		assert.Equal(t, CodeParameterMalformed, a.code(), tc.name)
		assert.Equal(t, "Request parameters has malformed encoded characters.", a.env["Message"], tc.name)
		assert.Equal(t, tc.root, a.root, "%s: the format", tc.name)
	}
}

// TestTimestampForms: a zoneless Timestamp or x-acs-date is read as UTC
// by default and refused by the setting (docs/protocol.md §9 F2); a ROA Date with
// AM/PM is parsed as a 12-hour clock (docs/protocol.md §9 F3).
func TestTimestampForms(t *testing.T) {
	t.Parallel()
	rpcAt := func(ts string) func(*signature.Signed) { return resign(setQuery("Timestamp", ts)) }
	v3At := func(ts string) func(*signature.Signed) {
		return resign(func(s *signature.Signed) { s.Header.Set("X-Acs-Date", ts) })
	}
	roaAt := func(date string) func(*signature.Signed) {
		return resign(func(s *signature.Signed) { s.Header.Set("Date", date) })
	}
	v3 := signature.Request{Style: signature.V3, Action: "ListInstances", Version: "2019-12-12"}
	roa := signature.Request{Style: signature.ROA, Path: "/groups", Version: "2020-04-20", Query: signature.Params{p("InstanceId", "i1")}}
	refuse := Config{ZonelessTimestamp: ZonelessRefuse}
	for _, tc := range []struct {
		name   string
		cfg    Config
		req    signature.Request
		mutate func(*signature.Signed)
		code   string
	}{
		{"zoneless with a fraction, as captured", Config{}, rabbit("ListInstances"), rpcAt("2026-11-22T10:00:00.401842"), ""},
		{"zoneless without a fraction", Config{}, rabbit("ListInstances"), rpcAt("2026-11-22T10:00:00"), ""},
		{"zoneless is read as UTC: 16 minutes off", Config{}, rabbit("ListInstances"), rpcAt("2026-11-22T10:16:00"), CodeTimestampExpired},
		{"zoneless x-acs-date", Config{}, v3, v3At("2026-11-22T09:59:00"), ""},
		{"zoneless refused by the setting", refuse, rabbit("ListInstances"), rpcAt("2026-11-22T10:00:00.401842"), CodeTimestampFormat},
		{"zoneless x-acs-date refused by the setting", refuse, v3, v3At("2026-11-22T10:00:00"), CodeTimestampFormat},
		{"still no date alone", Config{}, rabbit("ListInstances"), rpcAt("2026-11-22"), CodeTimestampFormat},
		{"Date with AM", Config{}, roa, roaAt("Sun, 22 Nov 2026 10:00:00 AM GMT"), ""},
		{"Date with PM, twelve hours off", Config{}, roa, roaAt("Sun, 22 Nov 2026 10:00:00 PM GMT"), CodeTimestampExpired},
		{"Date at 12 PM is noon", Config{Now: func() time.Time { return now.Add(2 * time.Hour) }}, roa, roaAt("Sun, 22 Nov 2026 12:00:00 PM GMT"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, srv := testGateway(t, tc.cfg)
			a, _ := send(t, srv, demo, tc.req, tc.mutate)
			assertEnvelope(t, a)
			assert.Equal(t, tc.code, a.code(), "%s", a.body)
		})
	}
}

// TestV3EmptySignature: an empty Signature= is a wrong signature, answered
// SignatureDoesNotMatch with the server string to sign (docs/protocol.md §9 F4),
// wherever the field stands.
func TestV3EmptySignature(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	req := signature.Request{Style: signature.V3, Action: "ListInstances", Version: "2019-12-12", Format: "JSON"}
	for _, tc := range []struct {
		name string
		edit func(auth string) string
		code string
	}{
		{"empty last", func(a string) string { return a[:strings.Index(a, "Signature=")+len("Signature=")] }, CodeSignatureDoesNotMatch},
		{"empty first", func(a string) string {
			auth, err := signature.ParseV3Authorization(a)
			require.NoError(t, err)
			return "ACS3-HMAC-SHA256 Signature=,Credential=" + auth.Credential + ",SignedHeaders=" + strings.Join(auth.SignedHeaders, ";")
		}, CodeSignatureDoesNotMatch},
		{"no Signature field at all is incomplete", func(a string) string { return a[:strings.Index(a, ",Signature=")] }, CodeIncompleteSignature},
	} {
		a, s := send(t, srv, demo, req, func(s *signature.Signed) { s.Header.Set("Authorization", tc.edit(s.Header.Get("Authorization"))) })
		assertEnvelope(t, a)
		assert.Equal(t, 400, a.status, tc.name)
		require.Equal(t, tc.code, a.code(), "%s: %s", tc.name, a.body)
		if tc.code == CodeSignatureDoesNotMatch {
			assert.Equal(t, msgMismatchV3+s.Artifacts.StringToSign+"]", a.env["Message"], "%s: the server string to sign", tc.name)
		}
	}
}

// TestXMLIsWrittenAsTheRealGateway: the success prolog is the error's, with
// single quotes (docs/protocol.md §9 F6), and text escapes no more than XML
// requires: a quote and a newline are written as they are (docs/protocol.md §9 F7).
func TestXMLIsWrittenAsTheRealGateway(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	ok, _ := send(t, srv, demo, rabbit("ListInstances", p("Format", "XML")), nil)
	require.Equal(t, 200, ok.status, "%s", ok.body)
	assert.True(t, bytes.HasPrefix(ok.body, []byte("<?xml version='1.0' encoding='UTF-8'?><ListInstancesResponse>")), "%s", ok.body)

	missing, _ := send(t, srv, demo, mqtt("ListGroupId", p("Format", "XML")), nil)
	require.Equal(t, CodeMissingParameter, missing.code())
	assert.Contains(t, string(missing.body), `<Message>The input parameter "InstanceId" that is mandatory`, "a quote as it is")

	// A ROA string to sign holds newlines and, in its query, '&' and '<'.
	roa := signature.Request{Style: signature.ROA, Path: "/pop/v1/wam/appEnv", Version: "2019-12-11", Format: "XML",
		Query: signature.Params{p("appName", `a"b'c<d>`), p("env", "x&y\tz")}}
	bad, s := send(t, srv, signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: "wrong"}, roa, nil)
	require.Equal(t, CodeSignatureDoesNotMatch, bad.code(), "%s", bad.body)
	assert.Equal(t, msgMismatch+s.Artifacts.StringToSign, bad.env["Message"], "the XML decodes to the exact string to sign")
	body := string(bad.body)
	assert.Contains(t, body, "GET\napplication/xml\n", "a newline as it is")
	assert.Contains(t, body, `appName=a"b'c&lt;d&gt;&amp;env=x&amp;y`+"\tz", "only &, < and > escaped")
	for _, esc := range []string{"&#34;", "&#39;", "&#xA;", "&#x9;"} {
		assert.NotContains(t, body, esc)
	}

	// A literal "&#34;" in the data stays itself.
	lit, _ := send(t, srv, demo, signature.Request{Style: signature.ROA, Path: "/pop/v1/wam/appEnv", Version: "2019-12-11", Format: "XML",
		Query: signature.Params{p("appName", "&#34;\r")}}, nil)
	require.Equal(t, 200, lit.status, "%s", lit.body)
	assert.Equal(t, "&#34;\r", appEnvXML(t, lit.body), "the data round-trips, a carriage return included")
}

// appEnvXML decodes Data/AppName of a GetAppEnv XML answer.
func appEnvXML(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Data struct{ AppName string }
	}
	require.NoError(t, xmlUnmarshal(body, &out), "%s", body)
	return out.Data.AppName
}

// TestErrorFieldOrder: the gateway's own errors and the backend's come in
// their own field orders (docs/protocol.md §5, §9 F10).
func TestErrorFieldOrder(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	gw, _ := send(t, srv, demo, rabbit("ListInstances"), setQuery("Version", "2019-12-11"))
	require.Equal(t, CodeInvalidVersion, gw.code())
	assert.Equal(t, []string{"RequestId", "Message", "Recommend", "HostId", "Code"}, jsonKeys(t, gw.body), "a gateway error")
	for _, req := range []signature.Request{
		mqtt("ListGroupId", p("Format", "JSON")),                                                   // MissingParameter
		rabbit("ListInstances", p("MaxResults", "0")),                                              // InvalidParameter
		mqtt("DeleteGroupId", p("InstanceId", "i"), p("GroupId", "GID_none"), p("Format", "JSON")), // ResourceNotFound
	} {
		a, _ := send(t, srv, demo, req, nil)
		assertEnvelope(t, a)
		assert.Equal(t, []string{"RequestId", "HostId", "Code", "Message", "Recommend"}, jsonKeys(t, a.body), "a business error %s", a.code())
	}
}

// TestCORS: every answer lets a browser read x-acs-request-id, and a
// preflight is answered, not refused (docs/protocol.md §9 F11); an OPTIONS request
// that is signed is still an unsupported method.
func TestCORS(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{})
	for _, req := range []signature.Request{rabbit("ListInstances"), rabbit("ListInstances", p("MaxResults", "0"))} {
		a, _ := send(t, srv, demo, req, nil)
		assert.Equal(t, "*", a.header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "*", a.header.Get("Access-Control-Expose-Headers"), "a browser may read x-acs-request-id")
		assert.Equal(t, "Accept-Encoding", a.header.Get("Vary"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pre, err := http.NewRequestWithContext(ctx, http.MethodOptions, srv.URL+"/instances/amqp-1/vhosts", nil)
	require.NoError(t, err)
	pre.Host = "amqp-open.cn-hangzhou.aliyuncs.com"
	pre.Header.Set("Origin", "https://console.example.com")
	pre.Header.Set("Access-Control-Request-Method", "DELETE")
	pre.Header.Set("Access-Control-Request-Headers", "authorization, x-acs-date, x-acs-signature-nonce, content-type")
	resp, err := srv.Client().Do(pre)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "a preflight is answered: %s", body)
	assert.Empty(t, body)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, PreflightMethods, resp.Header.Get("Access-Control-Allow-Methods"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "DELETE", "the method asked for is allowed")
	assert.Equal(t, "authorization, x-acs-date, x-acs-signature-nonce, content-type", resp.Header.Get("Access-Control-Allow-Headers"))
	assert.Regexp(t, upperUUID, resp.Header.Get("X-Acs-Request-Id"))

	pre.Header.Set("Access-Control-Request-Headers", "x-acs-date\r\nX-Evil: 1")
	resp, err = srv.Client().Do(pre)
	if err == nil { // the client may refuse to send the header at all
		resp.Body.Close()
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Headers"), "a header list that is not one is not echoed")
	}

	signed, _ := send(t, srv, demo, signature.Request{Style: signature.ROA, Path: "/groups", Version: "2020-04-20",
		Host: "onsmqtt.cn-hangzhou.aliyuncs.com", Method: http.MethodOptions}, nil)
	assert.Equal(t, CodeUnsupportedHTTPMethod, signed.code(), "a signed OPTIONS is no preflight")
}

// TestMismatchCodePerProduct: IncompleteSignature versus
// SignatureDoesNotMatch follows the product (docs/protocol.md §9 F13).
func TestMismatchCodePerProduct(t *testing.T) {
	t.Parallel()
	_, srv := testGateway(t, Config{MismatchCodes: map[string]string{"rabbitmq": CodeIncompleteSignature}})
	wrong := signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: "wrong"}
	r, _ := send(t, srv, wrong, rabbit("ListInstances"), nil)
	assert.Equal(t, CodeIncompleteSignature, r.code(), "RabbitMQ, by its alias")
	assert.True(t, strings.HasPrefix(r.env["Message"], msgIncomplete), r.env["Message"])
	m, _ := send(t, srv, wrong, mqtt("ListGroupId", p("InstanceId", "i")), nil)
	assert.Equal(t, CodeSignatureDoesNotMatch, m.code(), "MQTT keeps the default")

	_, err := New(Config{MismatchCodes: map[string]string{"ecs": CodeIncompleteSignature}})
	assert.ErrorContains(t, err, `mismatch_codes: unknown product "ecs"`)
	_, err = New(Config{MismatchCodes: map[string]string{"onsmqtt": "Nope"}})
	assert.ErrorContains(t, err, `mismatch_codes[onsmqtt] "Nope": use SignatureDoesNotMatch or IncompleteSignature`)
}

// TestKeyNotFoundCode: InvalidAccessKeyId.NotFound by default, the short
// InvalidAccessKeyId as a setting (docs/protocol.md §9 F5).
func TestKeyNotFoundCode(t *testing.T) {
	t.Parallel()
	nobody := signature.Credentials{AccessKeyID: "nobody", AccessKeySecret: "x"}
	for _, tc := range []struct {
		cfg     Config
		status  int
		code    string
		message string
	}{
		{Config{}, 404, CodeKeyNotFound, "Specified access key is not found."},
		{Config{KeyNotFoundCode: CodeKeyInvalid}, 400, CodeKeyInvalid, "Specified access key is not found or invalid."},
	} {
		_, srv := testGateway(t, tc.cfg)
		a, _ := send(t, srv, nobody, rabbit("ListInstances"), nil)
		assertEnvelope(t, a)
		assert.Equal(t, tc.status, a.status)
		assert.Equal(t, tc.code, a.code())
		assert.Equal(t, tc.message, a.env["Message"])
	}
	_, err := New(Config{KeyNotFoundCode: "InvalidAccessKeyId.Gone"})
	assert.ErrorContains(t, err, "key_not_found_code")
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }
