package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
	"time"

	darautils "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
)

// The benchmarks sign one realistic request per style with every signer:
// ours (the load generator's templates), the floor (the bare hash and HMAC
// over the same string to sign), and the official SDKs through their public
// APIs. Every signer gets a fresh nonce and a fresh timestamp per request
// (formatted once per second, as a load generator does), and each SDK's
// output is checked against ours before the timing starts. Measure with
//
//	go test -run '^$' -bench . -benchmem -count 10 ./signature/ > /tmp/bench.txt
//	go tool benchstat /tmp/bench.txt

const (
	benchAccessKeyID = "LTAI5tQbenchmarkKeyId0"
	benchSecret      = Secret("bEnChMaRkSeCrEt0123456789abcd") // 30 bytes, like a real AccessKey secret
	benchRegion      = "cn-hangzhou"
	benchMQTTHost    = "onsmqtt.cn-hangzhou.aliyuncs.com"
)

// benchMQTTAPI are the API parameters of an MQTT SendMessage call
// (docs/protocol.md §1.7.3): a topic with slashes, a payload with a space and a CJK
// character.
var benchMQTTAPI = Params{
	{"InstanceId", "mqtt-cn-0pp1ldu4f0a"},
	{"MqttTopic", "devices/sensor-42/telemetry"},
	{"Payload", "hello 世"},
	{"Qos", "1"},
	{"RegionId", benchRegion},
}

// benchRPCParams returns the request the aliyun-sdk sends for SendMessage,
// less SignatureNonce and Timestamp: twelve parameters, SignatureType=
// included, since that SDK always adds it (docs/protocol.md §1.1).
func benchRPCParams() Params {
	p := Params{
		{ParamAction, "SendMessage"},
		{ParamVersion, "2020-04-20"},
		{ParamFormat, "JSON"},
		{ParamAccessKeyID, benchAccessKeyID},
		{ParamSignatureMethod, SignatureMethodHMACSHA1},
		{ParamSignatureVersion, SignatureVersion10},
		{"SignatureType", ""},
	}
	return append(p, benchMQTTAPI...)
}

// benchClock formats the current time once per second: the value is fresh
// for every request, but formatting costs only when the second changes.
type benchClock struct {
	format func([]byte, time.Time) []byte
	sec    int64
	b      []byte
	s      string // b as a string, for the SDKs' string APIs
}

func newBenchClock(format func([]byte, time.Time) []byte) *benchClock {
	return &benchClock{format: format, sec: -1}
}

func (c *benchClock) now() []byte {
	t := time.Now()
	if s := t.Unix(); s != c.sec {
		c.sec = s
		c.b = c.format(c.b[:0], t)
		c.s = string(c.b)
	}
	return c.b
}

func (c *benchClock) string() string { c.now(); return c.s }

// Fixed per-request values for the checks run before timing.
var (
	benchNonce = []byte("0123456789abcdef0123456789abcdef")
	benchTime  = []byte("2020-05-19T10:33:56Z")
	benchDate  = []byte("Tue, 19 May 2020 10:33:56 GMT")
)

func BenchmarkRPCSign(b *testing.B) {
	const method = http.MethodPost
	params := benchRPCParams()
	tpl, err := NewRPCTemplate(method, params, benchSecret)
	if err != nil {
		b.Fatal(err)
	}
	withPerRequest := func(nonce, ts string) Params {
		return append(params.Clone(), Param{ParamSignatureNonce, nonce}, Param{ParamTimestamp, ts})
	}
	want := string(tpl.AppendSignature(nil, benchNonce, benchTime))
	if ref := SignRPC(method, withPerRequest(string(benchNonce), string(benchTime)), benchSecret); ref.Signature != want {
		b.Fatalf("template signs %s, SignRPC %s", want, ref.Signature)
	}
	sdkMap := func() map[string]*string {
		m := map[string]*string{}
		for _, p := range params {
			m[p.Key] = tea.String(p.Value)
		}
		return m
	}

	b.Run("acsharness-template", func(b *testing.B) {
		nonces, clock := NewNonceSource(), newBenchClock(AppendTimestamp)
		var nonce, sig []byte
		b.ReportAllocs()
		for b.Loop() {
			nonce = nonces.Append(nonce[:0])
			sig = tpl.AppendSignature(sig[:0], nonce, clock.now())
		}
	})

	b.Run("bare-hmac-sha1", func(b *testing.B) {
		sts := tpl.AppendStringToSign(nil, benchNonce, benchTime)
		mac := hmac.New(sha1.New, []byte(benchSecret+"&"))
		var sum, sig []byte
		b.ReportAllocs()
		for b.Loop() {
			mac.Reset()
			mac.Write(sts)
			sum = mac.Sum(sum[:0])
			sig = base64.StdEncoding.AppendEncode(sig[:0], sum)
		}
		if string(sig) != want {
			b.Fatalf("bare HMAC gives %s, want %s", sig, want)
		}
	})

	b.Run("aliyun-sdk", func(b *testing.B) {
		provider := credentials.NewStaticAKCredentialsProvider(benchAccessKeyID, string(benchSecret))
		// The SDK stamps its own nonce and Timestamp, so it is checked by
		// verifying what it sends rather than by comparing signatures.
		build := func() *requests.CommonRequest {
			req := requests.NewCommonRequest()
			req.Method = method
			req.Product = "OnsMqtt"
			req.Version = "2020-04-20"
			req.ApiName = "SendMessage"
			for _, p := range benchMQTTAPI {
				req.QueryParams[p.Key] = p.Value
			}
			req.TransToAcsRequest()
			return req
		}
		req := build()
		if err := auth.Sign(req, nil, benchRegion, provider); err != nil {
			b.Fatal(err)
		}
		sent := Params{}
		for k, v := range req.QueryParams {
			sent = append(sent, Param{k, v})
		}
		if _, ok := VerifyRPC(method, sent, benchSecret); !ok || len(sent) != len(params)+3 {
			b.Fatalf("the aliyun-sdk request %v does not verify as the same %d-parameter request", sent, len(params)+3)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := auth.Sign(build(), nil, benchRegion, provider); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("openapi-util", func(b *testing.B) {
		m := sdkMap()
		m[ParamSignatureNonce], m[ParamTimestamp] = tea.String(string(benchNonce)), tea.String(string(benchTime))
		if got := tea.StringValue(service.GetRPCSignature(m, tea.String(method), tea.String(string(benchSecret)))); got != want {
			b.Fatalf("openapi-util signs %s, want %s", got, want)
		}
		nonces, clock := NewNonceSource(), newBenchClock(AppendTimestamp)
		b.ReportAllocs()
		for b.Loop() {
			m[ParamSignatureNonce], m[ParamTimestamp] = tea.String(nonces.Next()), tea.String(clock.string())
			service.GetRPCSignature(m, tea.String(method), tea.String(string(benchSecret)))
		}
	})

	b.Run("darabonba", func(b *testing.B) {
		m := sdkMap()
		m[ParamSignatureNonce], m[ParamTimestamp] = dara.String(string(benchNonce)), dara.String(string(benchTime))
		if got := dara.StringValue(darautils.GetRPCSignature(m, dara.String(method), dara.String(string(benchSecret)))); got != want {
			b.Fatalf("darabonba signs %s, want %s", got, want)
		}
		nonces, clock := NewNonceSource(), newBenchClock(AppendTimestamp)
		b.ReportAllocs()
		for b.Loop() {
			m[ParamSignatureNonce], m[ParamTimestamp] = dara.String(nonces.Next()), dara.String(clock.string())
			darautils.GetRPCSignature(m, dara.String(method), dara.String(string(benchSecret)))
		}
	})
}

// benchROAMessage is a ROA GET with the headers the aliyun-sdk signs
// (docs/protocol.md §2.1, §2.4 R2) plus a nonce, and awkward query values.
func benchROAMessage() Message {
	h := http.Header{}
	h.Set(HeaderAccept, "application/json")
	h.Set(HeaderContentMD5, EmptyMD5)
	h.Set(HeaderContentType, "application/octet-stream")
	h.Set(HeaderDate, string(benchDate))
	h.Set(HeaderACSCredentialsSource, "static_ak")
	h.Set(HeaderACSSignatureMethod, SignatureMethodHMACSHA1)
	h.Set(HeaderACSSignatureVersion, SignatureVersion10)
	h.Set(HeaderACSNonce, string(benchNonce))
	h.Set(HeaderACSVersion, "2019-12-11")
	h.Set(HeaderACSAction, "GetAppEnv")
	return Message{
		Method: http.MethodGet,
		Host:   "wam.cn-hangzhou.aliyuncs.com",
		Path:   "/pop/v1/wam/appEnv",
		Query:  Params{{"appName", "my app"}, {"env", ""}, {"tag", "中文"}},
		Header: h,
	}
}

// benchLowerHeaders returns h with lowercase names, as the tea SDKs keep it.
func benchLowerHeaders(h http.Header, str func(string) *string) map[string]*string {
	m := map[string]*string{}
	for k, v := range h {
		m[string(appendLower(nil, k))] = str(v[0])
	}
	return m
}

func benchQueryMap(q Params, str func(string) *string) map[string]*string {
	m := map[string]*string{}
	for _, p := range q {
		m[p.Key] = str(p.Value)
	}
	return m
}

func BenchmarkROASign(b *testing.B) {
	m := benchROAMessage()
	tpl, err := NewROATemplate(&m, benchSecret)
	if err != nil {
		b.Fatal(err)
	}
	want := string(tpl.AppendSignature(nil, benchDate, benchNonce))
	if ref := SignROA(&m, benchSecret); ref.Signature != want {
		b.Fatalf("template signs %s, SignROA %s", want, ref.Signature)
	}

	b.Run("acsharness-template", func(b *testing.B) {
		nonces, clock := NewNonceSource(), newBenchClock(AppendDate)
		var nonce, sig []byte
		b.ReportAllocs()
		for b.Loop() {
			nonce = nonces.Append(nonce[:0])
			sig = tpl.AppendSignature(sig[:0], clock.now(), nonce)
		}
	})

	b.Run("bare-hmac-sha1", func(b *testing.B) {
		sts := tpl.AppendStringToSign(nil, benchDate, benchNonce)
		mac := hmac.New(sha1.New, []byte(benchSecret))
		var sum, sig []byte
		b.ReportAllocs()
		for b.Loop() {
			mac.Reset()
			mac.Write(sts)
			sum = mac.Sum(sum[:0])
			sig = base64.StdEncoding.AppendEncode(sig[:0], sum)
		}
		if string(sig) != want {
			b.Fatalf("bare HMAC gives %s, want %s", sig, want)
		}
	})

	b.Run("aliyun-sdk", func(b *testing.B) {
		provider := credentials.NewStaticAKCredentialsProvider(benchAccessKeyID, string(benchSecret))
		nonces := NewNonceSource()
		build := func() *requests.CommonRequest {
			req := requests.NewCommonRequest()
			req.Method = m.Method
			req.Product = "WAM"
			req.Version = "2019-12-11"
			req.ApiName = "GetAppEnv"
			req.PathPattern = m.Path
			for _, p := range m.Query {
				req.QueryParams[p.Key] = p.Value
			}
			// The SDK sends no nonce for ROA (docs/protocol.md §2.1); add one, as
			// every other signer here signs one.
			req.Headers[HeaderACSNonce] = nonces.Next()
			req.TransToAcsRequest()
			return req
		}
		req := build()
		if err := auth.Sign(req, nil, benchRegion, provider); err != nil {
			b.Fatal(err)
		}
		sent := Message{Method: m.Method, Host: m.Host, Path: m.Path, Query: m.Query, Header: http.Header{}}
		for k, v := range req.Headers {
			sent.Header[k] = []string{v}
		}
		if _, ok := VerifyROA(&sent, benchSecret); !ok || HeaderValue(sent.Header, HeaderACSCredentialsSource) != "static_ak" {
			b.Fatalf("the aliyun-sdk request %v does not verify as the same request", sent.Header)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := auth.Sign(build(), nil, benchRegion, provider); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("openapi-util", func(b *testing.B) {
		req := &tea.Request{
			Method:   tea.String(m.Method),
			Pathname: tea.String(m.Path),
			Query:    benchQueryMap(m.Query, tea.String),
			Headers:  benchLowerHeaders(m.Header, tea.String),
		}
		secret := tea.String(string(benchSecret))
		if got := tea.StringValue(service.GetROASignature(service.GetStringToSign(req), secret)); got != want {
			b.Fatalf("openapi-util signs %s, want %s", got, want)
		}
		nonces, clock := NewNonceSource(), newBenchClock(AppendDate)
		b.ReportAllocs()
		for b.Loop() {
			req.Headers["date"], req.Headers[HeaderACSNonce] = tea.String(clock.string()), tea.String(nonces.Next())
			service.GetROASignature(service.GetStringToSign(req), secret)
		}
	})

	b.Run("darabonba", func(b *testing.B) {
		req := &dara.Request{
			Method:   dara.String(m.Method),
			Pathname: dara.String(m.Path),
			Query:    benchQueryMap(m.Query, dara.String),
			Headers:  benchLowerHeaders(m.Header, dara.String),
		}
		secret := dara.String(string(benchSecret))
		if got := dara.StringValue(darautils.GetROASignature(darautils.GetStringToSign(req), secret)); got != want {
			b.Fatalf("darabonba signs %s, want %s", got, want)
		}
		nonces, clock := NewNonceSource(), newBenchClock(AppendDate)
		b.ReportAllocs()
		for b.Loop() {
			req.Headers["date"], req.Headers[HeaderACSNonce] = dara.String(clock.string()), dara.String(nonces.Next())
			darautils.GetROASignature(darautils.GetStringToSign(req), secret)
		}
	})
}

// benchV3Message is MQTT SendMessage in the V3 style, RPC-shaped: POST /
// with the API parameters in the query (docs/protocol.md §3.1, §3.3).
func benchV3Message() Message {
	h := http.Header{}
	h.Set(HeaderAccept, "application/json")
	h.Set(HeaderACSAction, "SendMessage")
	h.Set(HeaderACSVersion, "2020-04-20")
	h.Set(HeaderACSDate, string(benchTime))
	h.Set(HeaderACSNonce, string(benchNonce))
	h.Set(HeaderACSContentSHA256, EmptySHA256)
	return Message{Method: http.MethodPost, Host: benchMQTTHost, Path: "/", Query: benchMQTTAPI.Clone(), Header: h}
}

func BenchmarkV3Sign(b *testing.B) {
	m := benchV3Message()
	tpl, err := NewV3Template(&m, benchSecret)
	if err != nil {
		b.Fatal(err)
	}
	want := string(tpl.AppendSignature(nil, benchTime, benchNonce))
	if ref := SignV3(&m, nil, benchSecret); ref.Signature != want {
		b.Fatalf("template signs %s, SignV3 %s", want, ref.Signature)
	}
	wantAuth := string(tpl.AppendAuthorization(nil, benchAccessKeyID, benchTime, benchNonce))

	b.Run("acsharness-template", func(b *testing.B) {
		nonces, clock := NewNonceSource(), newBenchClock(AppendTimestamp)
		var nonce, sig []byte
		b.ReportAllocs()
		for b.Loop() {
			nonce = nonces.Append(nonce[:0])
			sig = tpl.AppendSignature(sig[:0], clock.now(), nonce)
		}
	})

	b.Run("bare-sha256-hmac-sha256", func(b *testing.B) {
		canonical := tpl.AppendCanonicalRequest(nil, benchTime, benchNonce)
		h, mac := sha256.New(), hmac.New(sha256.New, []byte(benchSecret))
		var sum, sts, sig []byte
		b.ReportAllocs()
		for b.Loop() {
			h.Reset()
			h.Write(canonical)
			sum = h.Sum(sum[:0])
			sts = append(append(sts[:0], V3Algorithm...), '\n')
			sts = hex.AppendEncode(sts, sum)
			mac.Reset()
			mac.Write(sts)
			sum = mac.Sum(sum[:0])
			sig = hex.AppendEncode(sig[:0], sum)
		}
		if string(sig) != want {
			b.Fatalf("bare SHA-256 and HMAC give %s, want %s", sig, want)
		}
	})

	sdkHeaders := func(str func(string) *string) map[string]*string {
		hs := benchLowerHeaders(m.Header, str)
		hs["host"] = str(m.Host)
		hs["user-agent"] = str("AlibabaCloud (linux; amd64) Go/go1.26 Core/1.0 TeaDSL/2")
		return hs
	}

	b.Run("openapi-util", func(b *testing.B) {
		req := &tea.Request{
			Method:   tea.String(m.Method),
			Pathname: tea.String(m.Path),
			Query:    benchQueryMap(m.Query, tea.String),
			Headers:  sdkHeaders(tea.String),
		}
		alg, payload := tea.String(V3Algorithm), tea.String(EmptySHA256)
		ak, secret := tea.String(benchAccessKeyID), tea.String(string(benchSecret))
		if got := tea.StringValue(service.GetAuthorization(req, alg, payload, ak, secret)); got != wantAuth {
			b.Fatalf("openapi-util gives %s, want %s", got, wantAuth)
		}
		nonces, clock := NewNonceSource(), newBenchClock(AppendTimestamp)
		b.ReportAllocs()
		for b.Loop() {
			req.Headers[HeaderACSDate], req.Headers[HeaderACSNonce] = tea.String(clock.string()), tea.String(nonces.Next())
			service.GetAuthorization(req, alg, payload, ak, secret)
		}
	})

	b.Run("darabonba", func(b *testing.B) {
		req := &dara.Request{
			Method:   dara.String(m.Method),
			Pathname: dara.String(m.Path),
			Query:    benchQueryMap(m.Query, dara.String),
			Headers:  sdkHeaders(dara.String),
		}
		alg, payload := dara.String(V3Algorithm), dara.String(EmptySHA256)
		ak, secret := dara.String(benchAccessKeyID), dara.String(string(benchSecret))
		if got := dara.StringValue(darautils.GetAuthorization(req, alg, payload, ak, secret)); got != wantAuth {
			b.Fatalf("darabonba gives %s, want %s", got, wantAuth)
		}
		nonces, clock := NewNonceSource(), newBenchClock(AppendTimestamp)
		b.ReportAllocs()
		for b.Loop() {
			req.Headers[HeaderACSDate], req.Headers[HeaderACSNonce] = dara.String(clock.string()), dara.String(nonces.Next())
			darautils.GetAuthorization(req, alg, payload, ak, secret)
		}
	})
}

// benchRPCWire returns the SendMessage request as the aliyun-sdk puts it on
// the wire (space as "+"), signed, and the template that signed it.
func benchRPCWire(tb testing.TB) (*RPCTemplate, string) {
	tpl, err := NewRPCTemplate(http.MethodPost, benchRPCParams(), benchSecret)
	if err != nil {
		tb.Fatal(err)
	}
	sig := tpl.AppendSignature(nil, benchNonce, benchTime)
	return tpl, string(tpl.AppendQuery(nil, sig, benchNonce, benchTime))
}

// benchServerMessage returns m as a gateway reads it after signing: with
// canonical header names and its Authorization header.
func benchServerMessage(m Message, authorization string) Message {
	h := http.Header{}
	for k, v := range m.Header {
		h[http.CanonicalHeaderKey(k)] = v
	}
	h.Set(HeaderAuthorization, authorization)
	m.Header = h
	return m
}

func BenchmarkVerifyRPC(b *testing.B) {
	_, raw := benchRPCWire(b)
	var v Verifier
	var params Params
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if params, err = ParseQuery(params[:0], raw); err != nil {
			b.Fatal(err)
		}
		sig, _ := params.Get(ParamSignature)
		if !v.RPC(http.MethodPost, params, benchSecret, sig) {
			b.Fatal("the request does not verify")
		}
	}
}

func BenchmarkVerifyROA(b *testing.B) {
	m := benchROAMessage()
	m = benchServerMessage(m, ROAAuthorization(benchAccessKeyID, SignROA(&m, benchSecret).Signature))
	var v Verifier
	b.ReportAllocs()
	for b.Loop() {
		_, sig, err := ParseROAAuthorization(HeaderValue(m.Header, HeaderAuthorization))
		if err != nil || !v.ROA(&m, benchSecret, sig) {
			b.Fatal("the request does not verify", err)
		}
	}
}

func BenchmarkVerifyV3(b *testing.B) {
	m := benchV3Message()
	signed := V3SignedHeaders(&m)
	a := V3Auth{V3Algorithm, benchAccessKeyID, signed, SignV3(&m, signed, benchSecret).Signature}
	m = benchServerMessage(m, a.String())
	var v Verifier
	b.ReportAllocs()
	for b.Loop() {
		auth, err := ParseV3Authorization(HeaderValue(m.Header, HeaderAuthorization))
		if err != nil || !v.V3(&m, auth.SignedHeaders, benchSecret, auth.Signature) {
			b.Fatal("the request does not verify", err)
		}
	}
}

func BenchmarkPercentEncode(b *testing.B) {
	const value = "devices/sensor-42/telemetry hello 世 a*b~c" // every rule at once
	b.Run("append", func(b *testing.B) {
		var dst []byte
		b.ReportAllocs()
		for b.Loop() {
			dst = AppendPercentEncode(dst[:0], value)
		}
	})
	b.Run("string", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = PercentEncode(value)
		}
	})
	b.Run("sdk-recipe", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = sdkPercentEncode(value)
		}
	})
}

func BenchmarkParseQuery(b *testing.B) {
	_, raw := benchRPCWire(b)
	b.Run("acsharness", func(b *testing.B) {
		var params Params
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if params, err = ParseQuery(params[:0], raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net-url", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := url.ParseQuery(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
