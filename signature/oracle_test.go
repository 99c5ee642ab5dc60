package signature_test

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acsharness/acsharness/internal/race"

	darautil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// Property tests: our signer against the official Go SDKs' signers on random
// requests drawn from an alphabet heavy in the hard cases of docs/protocol.md §1.3
// and §7. Each style runs oracleN requests from a fixed seed; a failure
// prints the seed, the request number and the whole input. Reproduce with
//
//	go test -run 'TestOracle/roa' -oracle.seed=<seed> ./signature/

var oracleSeed = flag.Uint64("oracle.seed", 0x9e3779b97f4a7c15, "seed of the random requests of TestOracle")

// oracleN is the number of random requests per style.
const oracleN = 2000

// The random requests are drawn from the hard cases of the corpus package
// (corpus.Atoms, corpus.Names, …), which `acsharness vectors export` and
// `acsharness signer check` draw from too.

// TestOracle signs oracleN random requests per style with the official SDKs
// and with our code, and expects byte-identical strings to sign and
// signatures, and our verifier to accept the SDK's request off the wire.
func TestOracle(t *testing.T) {
	race.Skip(t, "8,000 signatures compared with three SDKs, one goroutine each")
	t.Parallel()
	for i, style := range []struct {
		name string
		run  func(t *testing.T, r corpus.Rand, input *func() string)
	}{
		{"rpc-get", func(t *testing.T, r corpus.Rand, input *func() string) { oracleRPC(t, r, http.MethodGet, input) }},
		{"rpc-post", func(t *testing.T, r corpus.Rand, input *func() string) { oracleRPC(t, r, http.MethodPost, input) }},
		{"roa", oracleROA},
		{"v3", oracleV3},
	} {
		t.Run(style.name, func(t *testing.T) {
			t.Parallel()
			r := corpus.NewRand(*oracleSeed, uint64(i))
			start := time.Now()
			for n := range oracleN {
				func() {
					var input func() string
					// Runs on a failed assert and on a require's FailNow alike.
					defer func() {
						if t.Failed() {
							desc := "(failed before the request was drawn)"
							if input != nil {
								desc = input()
							}
							t.Errorf("request #%d of %s with -oracle.seed=%#x failed; its input:\n%s", n, style.name, *oracleSeed, desc)
						}
					}()
					style.run(t, r, &input)
				}()
				if t.Failed() {
					t.FailNow()
				}
			}
			t.Logf("%d random %s requests agree with the SDKs (%v)", oracleN, style.name, time.Since(start).Round(time.Millisecond))
		})
	}
}

// oracleMap renders a map sorted by key, for failure messages.
func oracleMap[V any](m map[string]V, val func(V) string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "\n    %q: %q", k, val(m[k]))
	}
	return b.String()
}

func oracleID(s string) string   { return s }
func oracleTea(s *string) string { return tea.StringValue(s) }

// ---- RPC ----

// oracleRPC signs a random RPC request with aliyun-sdk (auth.Sign on a
// CommonRequest, as client.ProcessCommonRequest does), feeds the Timestamp
// and SignatureNonce it generated to our signer and template, checks
// openapi-util and darabonba on the same parameters, then sends the SDK's
// request through HTTP/1.1 (client.go buildHttpRequest: BuildUrl, form
// body) and verifies it server-side.
func oracleRPC(t *testing.T, r corpus.Rand, method string, input *func() string) {
	req := requests.NewCommonRequest()
	req.Method = method
	req.Scheme = "https"
	req.Domain = r.Pick([]string{"onsmqtt.cn-hangzhou.aliyuncs.com", "amqp-open.cn-shanghai.aliyuncs.com", "127.0.0.1:8080"})
	req.Product = "OnsMqtt"
	req.ApiName = r.Pick([]string{"SendMessage", "ListInstances", "", "Send Message*~"})
	req.Version = r.Pick([]string{"2020-04-20", "2019-12-12", ""})
	req.AcceptFormat = r.Pick([]string{"JSON", "XML", "json"})
	for range r.IntN(12) {
		k := r.Name(true)
		if _, dup := req.QueryParams[k]; dup {
			continue
		}
		if _, dup := req.FormParams[k]; dup {
			continue
		}
		// aliyun-sdk sends FormParams in the body; a gateway reads a form
		// body on POST only (docs/protocol.md §1.6), so GET carries a query only.
		if method == http.MethodPost && r.IntN(2) == 0 {
			req.FormParams[k] = r.Value()
		} else {
			req.QueryParams[k] = r.Value()
		}
	}
	if r.IntN(4) == 0 {
		req.QueryParams["RegionId"] = r.Value()
	}
	region := r.Pick([]string{"cn-hangzhou", "ap-southeast-5", "regionId"})
	keyID, secret := r.Pick(corpus.KeyIDs), r.Secret()
	var provider credentials.CredentialsProvider = credentials.NewStaticAKCredentialsProvider(keyID, secret)
	if r.IntN(8) == 0 {
		provider = credentials.NewStaticSTSCredentialsProvider(keyID, secret, "token/"+r.Value())
	}
	*input = func() string {
		return fmt.Sprintf("  aliyun-sdk RPC %s, region %q, AccessKey %q, secret %q\n  QueryParams (after signing):%s\n  FormParams:%s",
			method, region, keyID, secret, oracleMap(req.QueryParams, oracleID), oracleMap(req.FormParams, oracleID))
	}

	req.TransToAcsRequest()
	require.NoError(t, auth.Sign(req, nil, region, provider), "aliyun-sdk auth.Sign")
	sdkSTS := req.GetStringToSign()
	sdkSig := req.GetQueryParams()["Signature"]
	require.NotEmpty(t, sdkSig, "aliyun-sdk must set the Signature query parameter")

	var params signature.Params
	tm, dm := map[string]*string{}, map[string]*string{}
	for _, m := range []map[string]string{req.GetQueryParams(), req.GetFormParams()} {
		for k, v := range m {
			if k != signature.ParamSignature {
				params = append(params, signature.Param{Key: k, Value: v})
				tm[k], dm[k] = tea.String(v), dara.String(v)
			}
		}
	}
	params = r.Shuffle(params)
	sec := signature.Secret(secret)

	ours := signature.SignRPC(method, params, sec)
	assert.Equal(t, sdkSTS, ours.StringToSign, "SignRPC string to sign must equal aliyun-sdk's GetStringToSign()")
	assert.Equal(t, sdkSig, ours.Signature, "SignRPC signature must equal aliyun-sdk's Signature parameter")
	assert.Equal(t, sdkSig, tea.StringValue(openapiutil.GetRPCSignature(tm, tea.String(method), tea.String(secret))), "openapi-util GetRPCSignature must agree with aliyun-sdk")
	assert.Equal(t, sdkSig, dara.StringValue(darautil.GetRPCSignature(dm, dara.String(method), dara.String(secret))), "darabonba GetRPCSignature must agree with aliyun-sdk")

	nonce := []byte(req.GetQueryParams()[signature.ParamSignatureNonce])
	ts := []byte(req.GetQueryParams()[signature.ParamTimestamp])
	tpl, err := signature.NewRPCTemplate(method, params, sec)
	require.NoError(t, err)
	assert.Equal(t, sdkSTS, string(tpl.AppendStringToSign(nil, nonce, ts)), "RPCTemplate string to sign")
	assert.Equal(t, sdkSig, string(tpl.AppendSignature(nil, nonce, ts)), "RPCTemplate signature")
	if len(req.GetFormParams()) == 0 {
		assert.Equal(t, strings.TrimPrefix(req.BuildQueries(), "/?"), string(tpl.AppendQuery(nil, []byte(sdkSig), nonce, ts)),
			"RPCTemplate wire query must be aliyun-sdk's BuildQueries")
	}

	hr, err := http.NewRequest(req.GetMethod(), req.BuildUrl(), req.GetBodyReader())
	require.NoError(t, err, "the aliyun-sdk URL must parse: %s", req.BuildUrl())
	for k, v := range req.GetHeaders() {
		hr.Header[k] = []string{v}
	}
	srv, body := wireRoundTrip(t, hr)
	got, err := signature.ParseQuery(nil, srv.URL.RawQuery)
	require.NoError(t, err, "ParseQuery(%q)", srv.URL.RawQuery)
	if method == http.MethodPost && strings.HasPrefix(srv.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got, err = signature.ParseQuery(got, string(body))
		require.NoError(t, err, "ParseQuery(body %q)", body)
	}
	art, ok := signature.VerifyRPC(method, got, sec)
	assert.True(t, ok, "VerifyRPC must accept aliyun-sdk's request off the wire:\n  %s %s\n  body %s", method, srv.URL.RawQuery, body)
	assert.Equal(t, sdkSTS, art.StringToSign, "server-side string to sign must equal aliyun-sdk's")
}

// ---- ROA ----

// oracleROA signs a random ROA request with aliyun-sdk (a CommonRequest
// with a PathPattern), checks our signer, template, openapi-util and
// darabonba against it, and verifies the SDK's request off the wire.
//
// Requests stay inside what the three SDKs agree on (docs/protocol.md §2.2):
//   - the four standard headers are always set, as aliyun-sdk always sets
//     them: its appendIfContain drops the line of an absent or empty one
//     (sdk/auth/roa_signature_composer.go:126);
//   - extra x-acs-* headers are lowercase: aliyun-sdk signs only keys with
//     the lowercase prefix "x-acs-" (roa_signature_composer.go:109), while
//     the wire and a gateway fold case;
//   - header values have no surrounding white space: aliyun-sdk
//     (roa_signature_composer.go:115), openapi-util (service.go:145) and
//     darabonba (utils/client.go:234) sign them untrimmed, while HTTP trims
//     them in transit, so such a request would fail at any gateway;
//   - the path holds no '%', '?', '#', '[' or ']': aliyun-sdk writes it
//     into the URL unescaped (sdk/requests/roa_request.go:110).
func oracleROA(t *testing.T, r corpus.Rand, input *func() string) {
	req := requests.NewCommonRequest()
	req.Method = r.Pick([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete})
	req.Scheme = "https"
	req.Domain = r.Pick([]string{"cs.cn-hangzhou.aliyuncs.com", "ros.aliyuncs.com", "127.0.0.1"})
	req.Version = r.Pick([]string{"2015-12-15", "2019-12-11", ""})
	if r.IntN(2) == 0 {
		req.ApiName = r.Pick([]string{"DescribeClusters", "ListStacks", "Send Message"})
	}
	req.AcceptFormat = r.Pick([]string{"JSON", "XML", "RAW"})
	path := r.Path(corpus.PathAtoms)
	req.PathPattern = path
	if r.IntN(3) == 0 {
		v := r.Join(corpus.PathAtoms, 1+r.IntN(3))
		req.PathPattern = path + "/[Id]"
		req.PathParams["Id"] = v
		path += "/" + v
	}
	for range r.IntN(8) {
		req.QueryParams[r.Name(true)] = r.Value()
	}
	for range r.IntN(4) {
		req.Headers["x-acs-"+r.Pick([]string{"region-id", "foo", "custom-header", "a.b", "z", "meta-x"})] = r.HeaderValue(false)
	}
	hasNonce := r.IntN(2) == 0
	if hasNonce {
		req.Headers[signature.HeaderACSNonce] = r.Hex(32)
	}
	if req.Method == http.MethodPost || req.Method == http.MethodPut {
		switch r.IntN(3) {
		case 0:
			for range 1 + r.IntN(4) {
				req.FormParams[r.Name(true)] = r.Value()
			}
		case 1:
			req.SetContent([]byte(r.Value() + "x"))
			if r.IntN(2) == 0 {
				req.SetContentType(r.Pick([]string{"application/json", "application/json; charset=utf-8", "text/plain"}))
			}
		}
	}
	keyID, secret := r.Pick(corpus.KeyIDs), r.Secret()
	var provider credentials.CredentialsProvider = credentials.NewStaticAKCredentialsProvider(keyID, secret)
	if r.IntN(8) == 0 {
		provider = credentials.NewStaticSTSCredentialsProvider(keyID, secret, "token/"+r.HeaderValue(false))
	}
	*input = func() string {
		return fmt.Sprintf("  aliyun-sdk ROA %s %q (pattern %q, path params %q), AccessKey %q, secret %q\n  QueryParams:%s\n  FormParams:%s\n  Content: %q\n  Headers (after signing):%s",
			req.Method, path, req.PathPattern, req.PathParams, keyID, secret, oracleMap(req.QueryParams, oracleID),
			oracleMap(req.FormParams, oracleID), req.Content, oracleMap(req.Headers, oracleID))
	}

	req.TransToAcsRequest()
	require.NoError(t, auth.Sign(req, nil, "cn-hangzhou", provider), "aliyun-sdk auth.Sign")
	sdkSTS := req.GetStringToSign()
	headers := req.GetHeaders()
	sdkAuth := headers[signature.HeaderAuthorization]
	for _, h := range []string{"Accept", "Content-MD5", "Content-Type", "Date"} {
		require.NotEmpty(t, headers[h], "aliyun-sdk always sets %s; the test relies on it", h)
	}

	m := signature.Message{Method: req.Method, Host: req.Domain, Path: path, Header: http.Header{}}
	for k, v := range req.GetQueryParams() {
		m.Query = append(m.Query, signature.Param{Key: k, Value: v})
	}
	m.Query = r.Shuffle(m.Query)
	th, dh := map[string]*string{}, map[string]*string{}
	for k, v := range headers {
		if k != signature.HeaderAuthorization {
			m.Header[k] = []string{v} // as aliyun-sdk's buildHttpRequest sets them
		}
		th[strings.ToLower(k)], dh[strings.ToLower(k)] = tea.String(v), dara.String(v)
	}
	sec := signature.Secret(secret)

	ours := signature.SignROA(&m, sec)
	assert.Equal(t, sdkSTS, ours.StringToSign, "SignROA string to sign must equal aliyun-sdk's GetStringToSign()")
	assert.Equal(t, sdkAuth, signature.ROAAuthorization(keyID, ours.Signature), "ROA Authorization must equal aliyun-sdk's")
	assert.Equal(t, headers["Content-MD5"], signature.ContentMD5(req.GetContent()), "ContentMD5 must equal aliyun-sdk's Content-MD5")

	tq, dq := map[string]*string{}, map[string]*string{}
	for k, v := range req.GetQueryParams() {
		tq[k], dq[k] = tea.String(v), dara.String(v)
	}
	teaSTS := openapiutil.GetStringToSign(&tea.Request{Method: tea.String(req.Method), Pathname: tea.String(path), Headers: th, Query: tq})
	assert.Equal(t, sdkSTS, tea.StringValue(teaSTS), "openapi-util GetStringToSign must agree with aliyun-sdk")
	assert.Equal(t, ours.Signature, tea.StringValue(openapiutil.GetROASignature(teaSTS, tea.String(secret))), "openapi-util GetROASignature")
	daraSTS := darautil.GetStringToSign(&dara.Request{Method: dara.String(req.Method), Pathname: dara.String(path), Headers: dh, Query: dq})
	assert.Equal(t, sdkSTS, dara.StringValue(daraSTS), "darabonba GetStringToSign must agree with aliyun-sdk")
	assert.Equal(t, ours.Signature, dara.StringValue(darautil.GetROASignature(daraSTS, dara.String(secret))), "darabonba GetROASignature")

	if hasNonce {
		tpl, err := signature.NewROATemplate(&m, sec)
		require.NoError(t, err)
		date, nonce := []byte(headers[signature.HeaderDate]), []byte(headers[signature.HeaderACSNonce])
		assert.Equal(t, sdkSTS, string(tpl.AppendStringToSign(nil, date, nonce)), "ROATemplate string to sign")
		assert.Equal(t, ours.Signature, string(tpl.AppendSignature(nil, date, nonce)), "ROATemplate signature")
	}

	hr, err := http.NewRequest(req.Method, req.BuildUrl(), req.GetBodyReader())
	require.NoError(t, err, "the aliyun-sdk URL must parse: %s", req.BuildUrl())
	for k, v := range headers {
		hr.Header[k] = []string{v}
	}
	srv, body := wireRoundTrip(t, hr)
	wm, err := signature.NewMessage(srv)
	require.NoError(t, err)
	art, ok := signature.VerifyROA(&wm, sec)
	assert.True(t, ok, "VerifyROA must accept aliyun-sdk's request off the wire: %s %s", srv.Method, srv.URL)
	assert.Equal(t, sdkSTS, art.StringToSign, "server-side string to sign must equal aliyun-sdk's")
	assert.Equal(t, headers["Content-MD5"], signature.ContentMD5(body), "the body received must match Content-MD5")
}

// ---- V3 ----

// oracleV3 builds a random V3 request the way darabonba's DoRequest does
// (lowercase header map, encoded Pathname, x-acs-content-sha256 of the
// body), signs it with openapi-util GetAuthorization and darabonba
// utils.GetAuthorization, checks our signer and template, and verifies the
// request off the wire (dara DoRequest's URL and header handling).
//
// Query names come from corpus.Names, which need no percent-encoding: both
// SDKs write names into the canonical query unencoded (openapi-util
// service.go:359-361, darabonba utils/client.go:710-712), unlike the spec's
// pe(k) (docs/protocol.md §3.2) and our signer; a name like "a b*" signs differently.
func oracleV3(t *testing.T, r corpus.Rand, input *func() string) {
	method := r.Pick([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete})
	host := r.Pick([]string{"ecs.cn-shanghai.aliyuncs.com", "onsmqtt.cn-hangzhou.aliyuncs.com", "127.0.0.1:8080"})
	path := "/"
	if r.IntN(2) == 0 {
		path = r.Path(corpus.Atoms) // ROA-in-V3: every byte but '/' is encoded
	}
	date := time.Unix(1_500_000_000+r.Int64N(400_000_000), 0).UTC().Format(signature.TimestampLayout)
	nonce := r.Hex(32)
	headers := map[string]*string{
		"host":                  tea.String(host),
		"x-acs-action":          tea.String(r.Pick([]string{"RunInstances", "SendMessage", "Send Message*"})),
		"x-acs-version":         tea.String(r.Pick([]string{"2014-05-26", "2020-04-20", ""})),
		"x-acs-date":            tea.String(date),
		"x-acs-signature-nonce": tea.String(nonce),
		"accept":                tea.String("application/json"),
		"user-agent":            tea.String("AlibabaCloud (linux; amd64) Go/1.26 Core/0.01 TeaDSL/1"),
	}
	if r.IntN(2) == 0 {
		headers["x-acs-credentials-provider"] = tea.String("static_ak")
	}
	for range r.IntN(4) {
		name := r.Pick([]string{"x-acs-region-id", "x-acs-foo", "X-Acs-Mixed", "x-acs-a.b", "x-acs-meta-x"})
		headers[name] = tea.String(r.HeaderValue(true))
	}
	if r.IntN(16) == 0 {
		// Two spellings of one name: the SDKs sort and join their values.
		headers["x-acs-dup"], headers["X-Acs-Dup"] = tea.String(r.HeaderValue(true)), tea.String(r.HeaderValue(true))
	}
	query := map[string]*string{}
	for range r.IntN(8) {
		query[r.Name(false)] = tea.String(r.Value())
	}
	var body []byte
	switch r.IntN(3) {
	case 0:
		form := map[string]any{}
		for range 1 + r.IntN(4) {
			form[r.Name(true)] = r.Value()
		}
		body = []byte(tea.StringValue(openapiutil.ToForm(form)))
		headers["content-type"] = tea.String("application/x-www-form-urlencoded")
	case 1:
		body = []byte(r.Value())
		headers["content-type"] = tea.String(r.Pick([]string{"application/octet-stream", "application/json; charset=utf-8"}))
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	headers["x-acs-content-sha256"] = tea.String(payload)
	keyID, secret := r.Pick(corpus.KeyIDs), r.Secret()
	pathname := openapiutil.GetEncodePath(tea.String(path))
	*input = func() string {
		return fmt.Sprintf("  V3 %s %q (Pathname %q), AccessKey %q, secret %q\n  query:%s\n  headers:%s\n  body: %q",
			method, path, tea.StringValue(pathname), keyID, secret, oracleMap(query, oracleTea), oracleMap(headers, oracleTea), body)
	}

	sdkAuth := tea.StringValue(openapiutil.GetAuthorization(&tea.Request{Method: tea.String(method), Pathname: pathname, Headers: headers, Query: query},
		tea.String(signature.V3Algorithm), tea.String(payload), tea.String(keyID), tea.String(secret)))
	dh, dq := map[string]*string{}, map[string]*string{}
	for k, v := range headers {
		dh[k] = dara.String(*v)
	}
	for k, v := range query {
		dq[k] = dara.String(*v)
	}
	daraAuth := dara.StringValue(darautil.GetAuthorization(&dara.Request{Method: dara.String(method), Pathname: dara.String(*pathname), Headers: dh, Query: dq},
		dara.String(signature.V3Algorithm), dara.String(payload), dara.String(keyID), dara.String(secret)))
	assert.Equal(t, sdkAuth, daraAuth, "darabonba GetAuthorization must agree with openapi-util")

	m := signature.Message{Method: method, Host: host, Path: path, Header: http.Header{}}
	for k, v := range query {
		m.Query = append(m.Query, signature.Param{Key: k, Value: *v})
	}
	m.Query = r.Shuffle(m.Query)
	for k, v := range headers {
		if k != "host" {
			m.Header[k] = []string{*v}
		}
	}
	sec := signature.Secret(secret)
	ours := signature.SignV3(&m, nil, sec)
	signed := signature.V3SignedHeaders(&m)
	oursAuth := signature.V3Auth{Algorithm: signature.V3Algorithm, Credential: keyID, SignedHeaders: signed, Signature: ours.Signature}.String()
	assert.Equal(t, sdkAuth, oursAuth, "SignV3 Authorization must equal openapi-util GetAuthorization")
	assert.Equal(t, payload, signature.ContentSHA256(body), "ContentSHA256")

	tpl, err := signature.NewV3Template(&m, sec)
	require.NoError(t, err)
	assert.Equal(t, sdkAuth, string(tpl.AppendAuthorization(nil, keyID, []byte(date), []byte(nonce))), "V3Template Authorization")
	assert.Equal(t, ours.Canonical, string(tpl.AppendCanonicalRequest(nil, []byte(date), []byte(nonce))), "V3Template canonical request")

	// On the wire as dara DoRequest sends it (tea/dara/core.go).
	u := "https://" + host + tea.StringValue(pathname)
	qv := url.Values{}
	for k, v := range query {
		qv.Add(k, *v)
	}
	if q := qv.Encode(); q != "" {
		u += "?" + q
	}
	hr, err := http.NewRequest(method, u, strings.NewReader(string(body)))
	require.NoError(t, err, "the darabonba URL must parse: %s", u)
	hr.Host = host
	for k, v := range headers {
		switch k {
		case "host":
			hr.Header["Host"] = []string{*v}
		case "user-agent":
			hr.Header["User-Agent"] = []string{*v}
		default:
			hr.Header[k] = []string{*v}
		}
	}
	hr.Header[signature.HeaderAuthorization] = []string{sdkAuth}
	srv, got := wireRoundTrip(t, hr)
	assert.Equal(t, payload, signature.ContentSHA256(got), "the body received must hash to x-acs-content-sha256")
	wm, err := signature.NewMessage(srv)
	require.NoError(t, err)
	art, ok := signature.VerifyV3(&wm, sec)
	assert.True(t, ok, "VerifyV3 must accept the SDK's request off the wire: %s %s", srv.Method, srv.URL)
	assert.Equal(t, ours.Canonical, art.Canonical, "server-side canonical request")
	auth, err := signature.ParseV3Authorization(sdkAuth)
	require.NoError(t, err)
	assert.Empty(t, signature.UnsignedV3Headers(&wm, auth.SignedHeaders), "the SDK signs every header V3 requires")
}

// TestOracleV3EscapedPathSegment: a path parameter holding "/" is escaped
// by the generated SDKs (openapiutil.GetEncodeParam) and signed as sent,
// %2F within its segment (docs/protocol.md §3.2, §9 F9). Off the wire, our verifier
// canonicalizes the escaped path it received (Message.RawPath) and agrees
// with openapi-util and darabonba; the decoded path alone cannot, since it
// no longer tells the slash from a separator.
func TestOracleV3EscapedPathSegment(t *testing.T) {
	t.Parallel()
	for _, vhost := range []string{"a/b", "/", "team/x y*~+", "中文/é"} {
		path := "/instances/amqp-1/vhosts/" + tea.StringValue(openapiutil.GetEncodeParam(tea.String(vhost)))
		h := map[string]*string{
			"host": tea.String("amqp-open.cn-hangzhou.aliyuncs.com"), "x-acs-action": tea.String("DeleteVirtualHost"),
			"x-acs-version": tea.String("2019-12-12"), "x-acs-date": tea.String("2020-02-10T08:43:05Z"),
			"x-acs-signature-nonce": tea.String("e7b1f31150be45594905ce6d28561286"),
			"x-acs-content-sha256":  tea.String(signature.ContentSHA256(nil)),
		}
		dh := map[string]*string{}
		for k, v := range h {
			dh[k] = dara.String(tea.StringValue(v))
		}
		auth := tea.StringValue(openapiutil.GetAuthorization(&tea.Request{Method: tea.String("DELETE"), Pathname: tea.String(path), Headers: h, Query: map[string]*string{}},
			tea.String(signature.V3Algorithm), h["x-acs-content-sha256"], tea.String("testid"), tea.String("testsecret")))
		require.Equal(t, auth, dara.StringValue(darautil.GetAuthorization(&dara.Request{Method: dara.String("DELETE"), Pathname: dara.String(path), Headers: dh, Query: map[string]*string{}},
			dara.String(signature.V3Algorithm), dh["x-acs-content-sha256"], dara.String("testid"), dara.String("testsecret"))), "the two SDKs agree")

		r, err := http.NewRequest(http.MethodDelete, "https://amqp-open.cn-hangzhou.aliyuncs.com"+path, nil)
		require.NoError(t, err)
		for k, v := range h {
			if k != "host" {
				r.Header.Set(k, tea.StringValue(v))
			}
		}
		r.Header.Set(signature.HeaderAuthorization, auth)
		srv, _ := wireRoundTrip(t, r)
		m, err := signature.NewMessage(srv)
		require.NoError(t, err)
		assert.Equal(t, path, m.RawPath, "the escaped path as received")
		_, ok := signature.VerifyV3(&m, "testsecret")
		assert.True(t, ok, "V3 over the escaped path of %q verifies as the SDKs sign it", vhost)
		m.RawPath = ""
		_, ok = signature.VerifyV3(&m, "testsecret")
		assert.False(t, ok, "the decoded path of %q alone does not", vhost)
	}
}
