package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// The fixtures of the hostile, fuzz, benchmark and nonce tests: one fixed
// instant that both the signer and the gateway read, so that a request signed
// once stays valid in every run (and in the fuzz corpus).
var hostileNow = time.Date(2020, 5, 19, 10, 33, 56, 0, time.UTC)

func hostileClock() time.Time { return hostileNow }

const (
	hostMQTT = "onsmqtt.cn-hangzhou.aliyuncs.com"
	hostAMQP = "amqp-open.cn-hangzhou.aliyuncs.com"
)

// caseTimeout bounds every request of these tests: a hang is a failure,
// never a stuck test binary.
const caseTimeout = 20 * time.Second

// newHostileGateway returns a gateway on the fixed clock with the demo keys.
func newHostileGateway(t testing.TB, edit func(*gateway.Config)) *gateway.Gateway {
	t.Helper()
	cfg := gateway.Config{Now: hostileClock}
	if edit != nil {
		edit(&cfg)
	}
	g, err := gateway.New(cfg)
	require.NoError(t, err, "gateway.New with the fixed clock")
	return g
}

// fixedSigner signs with the demo key at hostileNow; its nonces are
// "nonce-<prefix>-<n>", deterministic so that signed seeds are stable.
func fixedSigner(prefix string) *signature.Builder {
	var n atomic.Int64
	return &signature.Builder{
		Credentials: signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: gateway.DemoKeySecret},
		Now:         hostileClock,
		Nonce:       func() string { return fmt.Sprintf("nonce-%s-%d", prefix, n.Add(1)) },
	}
}

func mustSign(t testing.TB, b *signature.Builder, req signature.Request) *signature.Signed {
	t.Helper()
	s, err := b.Sign(req)
	require.NoError(t, err, "signing the fixture %s %s", req.Style, req.Action)
	return s
}

// The signed fixtures: one request per style and body shape, each valid
// against a fresh gateway on the fixed clock.
func rpcSendMessage() signature.Request {
	return signature.Request{Style: signature.RPC, Method: http.MethodPost, Endpoint: "http://" + hostMQTT,
		Action: "SendMessage", Version: "2020-04-20", Format: "JSON",
		Query: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-test"}, {Key: "MqttTopic", Value: "t/a"}, {Key: "Payload", Value: "hello 世界"}}}
}

func rpcListInstancesXML() signature.Request {
	return signature.Request{Style: signature.RPC, Method: http.MethodGet, Endpoint: "http://" + hostAMQP,
		Action: "ListInstances", Version: "2019-12-12", Format: "XML",
		Query: signature.Params{{Key: "MaxResults", Value: "10"}}}
}

func rpcCreateGroupForm(instance, group string) signature.Request {
	return signature.Request{Style: signature.RPC, Method: http.MethodPost, Endpoint: "http://" + hostMQTT,
		Action: "CreateGroupId", Version: "2020-04-20", Format: "JSON",
		Form: signature.Params{{Key: "InstanceId", Value: instance}, {Key: "GroupId", Value: group}}}
}

func roaAppEnv() signature.Request {
	return signature.Request{Style: signature.ROA, Method: http.MethodGet, Endpoint: "http://" + hostMQTT,
		Path: "/pop/v1/wam/appEnv", Version: "2019-12-11", Format: "JSON",
		Query: signature.Params{{Key: "appName", Value: "my app"}, {Key: "env", Value: ""}, {Key: "tag", Value: "中文/a+b"}}}
}

func roaCreateGroupJSON() signature.Request {
	return signature.Request{Style: signature.ROA, Method: http.MethodPost, Endpoint: "http://" + hostMQTT,
		Path: "/groups", Action: "CreateGroupId", Version: "2020-04-20", Format: "XML",
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:   []byte(`{"InstanceId":"mqtt-cn-test","GroupId":"GID_roa_json"}`)}
}

func v3SendMessageForm() signature.Request {
	return signature.Request{Style: signature.V3, Method: http.MethodPost, Endpoint: "http://" + hostMQTT,
		Action: "SendMessage", Version: "2020-04-20", Format: "JSON",
		Form: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-test"}, {Key: "MqttTopic", Value: "t/a"}, {Key: "Payload", Value: "hello"}}}
}

func v3AppEnv() signature.Request {
	return signature.Request{Style: signature.V3, Method: http.MethodGet, Endpoint: "http://" + hostAMQP,
		Path: "/pop/v1/wam/appEnv", Action: gateway.AppEnvAction, Version: "2019-12-12", Format: "XML",
		Query: signature.Params{{Key: "appName", Value: "v3"}}}
}

// wireReq is an HTTP/1.1 request as bytes on the wire, so that a case can
// carry what http.NewRequest would refuse or repair.
type wireReq struct {
	method, target, host string
	header               []string // "Name: value" lines, in order
	body                 []byte
	chunked              bool // send the body chunked, without Content-Length
	noLength             bool // send no Content-Length even with an empty body
}

// fromSigned is the wire form of a signed request.
func fromSigned(s *signature.Signed) wireReq {
	w := wireReq{method: s.Method, target: s.RequestURI(), host: s.Host, body: s.BodyBytes()}
	for _, k := range slices.Sorted(maps.Keys(s.Header)) {
		for _, v := range s.Header[k] {
			w.header = append(w.header, k+": "+v)
		}
	}
	return w
}

// with returns a copy of w changed by edit.
func (w wireReq) with(edit func(*wireReq)) wireReq {
	w.header = slices.Clone(w.header)
	w.body = slices.Clone(w.body)
	edit(&w)
	return w
}

func (w wireReq) bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", w.method, w.target, w.host)
	for _, h := range w.header {
		b.WriteString(h + "\r\n")
	}
	switch {
	case w.chunked:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for rest := w.body; len(rest) > 0; {
			n := min(len(rest), 32<<10)
			fmt.Fprintf(&b, "%x\r\n", n)
			b.Write(rest[:n])
			b.WriteString("\r\n")
			rest = rest[n:]
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes()
	case len(w.body) > 0 || !w.noLength && (w.method == http.MethodPost || w.method == http.MethodPut || w.method == http.MethodPatch):
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(w.body))
	}
	b.WriteString("\r\n")
	b.Write(w.body)
	return b.Bytes()
}

// rawReq builds a request from its parts; header lines may hold any byte.
func rawReq(method, target, host string, header ...string) wireReq {
	return wireReq{method: method, target: target, host: host, header: header}
}

// answer is what came back for one request.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// serveDirect parses raw as a server would and serves it with the handler
// through a recorder; edit, when set, changes the parsed request first (to
// carry what no wire request can). A hang fails the test.
func serveDirect(t testing.TB, h http.Handler, raw []byte, edit func(*http.Request)) answer {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	require.NoError(t, err, "the case's wire request must parse")
	r.RemoteAddr = "192.0.2.1:40000"
	if edit != nil {
		edit(r)
	}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	var panicked any
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		h.ServeHTTP(rec, r)
	}()
	select {
	case <-done:
	case <-time.After(caseTimeout):
		t.Fatalf("the handler did not answer within %v", caseTimeout)
	}
	require.Nil(t, panicked, "the handler panicked")
	return answer{status: rec.Code, header: rec.Result().Header, body: rec.Body.Bytes()}
}

// sendRaw writes raw to addr on a fresh connection and reads one response,
// within caseTimeout. The write runs beside the read, so a server that
// answers before it has read the whole body (413) is read, not deadlocked.
func sendRaw(addr string, raw []byte) (answer, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return answer{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(caseTimeout))
	go func() { _, _ = conn.Write(raw) }()
	method, _, _ := strings.Cut(string(raw[:min(len(raw), 16)]), " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		return answer{}, fmt.Errorf("reading the response: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("reading the response body: %w", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

var requestIDShape = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

// envelope is what every POP response must carry (docs/protocol.md §5).
type envelope struct {
	root      string // XML root element; "" for JSON
	RequestID string
	Code      string
	Message   string
}

// checkEnvelope reports how a response breaks docs/protocol.md §5: the exact
// Content-Type, an uppercase UUID RequestId in the body equal to the
// X-Acs-Request-Id header, well-formed UTF-8 JSON (an object) or XML, and for
// an error Code and Message, rooted at <Error> in XML. head means the body
// was not sent (a HEAD request).
func checkEnvelope(a answer, head bool) (envelope, error) {
	var env envelope
	ct := a.header.Get("Content-Type")
	if ct != gateway.ContentTypeJSON && ct != gateway.ContentTypeXML {
		return env, fmt.Errorf("Content-Type %q: want %q or %q", ct, gateway.ContentTypeJSON, gateway.ContentTypeXML)
	}
	hid := a.header.Get(gateway.HeaderRequestID)
	if !requestIDShape.MatchString(hid) {
		return env, fmt.Errorf("%s %q is not an uppercase 8-4-4-4-12 UUID", gateway.HeaderRequestID, hid)
	}
	if head {
		return env, nil
	}
	if !utf8.Valid(a.body) {
		return env, fmt.Errorf("the body is not valid UTF-8: %q", truncateBody(a.body))
	}
	isErr := a.status >= 400
	if ct == gateway.ContentTypeJSON {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(a.body, &m); err != nil {
			return env, fmt.Errorf("the JSON body is not an object: %v: %q", err, truncateBody(a.body))
		}
		for name, dst := range map[string]*string{"RequestId": &env.RequestID, "Code": &env.Code, "Message": &env.Message} {
			if raw, ok := m[name]; ok {
				if err := json.Unmarshal(raw, dst); err != nil {
					return env, fmt.Errorf("JSON %s is not a string: %s", name, raw)
				}
			}
		}
	} else {
		var x struct {
			XMLName   xml.Name
			RequestID string `xml:"RequestId"`
			Code      string `xml:"Code"`
			Message   string `xml:"Message"`
		}
		if err := wellFormedXML(a.body); err != nil {
			return env, err
		}
		if err := xml.Unmarshal(a.body, &x); err != nil {
			return env, fmt.Errorf("the XML body does not decode: %v", err)
		}
		env = envelope{root: x.XMLName.Local, RequestID: x.RequestID, Code: x.Code, Message: x.Message}
		switch {
		case isErr && env.root != "Error":
			return env, fmt.Errorf("XML error rooted at <%s>, want <Error>", env.root)
		case !isErr && !strings.HasSuffix(env.root, "Response"):
			return env, fmt.Errorf("XML success rooted at <%s>, want <{Action}Response>", env.root)
		}
	}
	switch {
	case env.RequestID != hid:
		return env, fmt.Errorf("body RequestId %q differs from the %s header %q", env.RequestID, gateway.HeaderRequestID, hid)
	case isErr && (env.Code == "" || env.Message == ""):
		return env, fmt.Errorf("error body without Code or Message: %q", truncateBody(a.body))
	}
	return env, nil
}

// wellFormedXML reads every token of b with the strict decoder: exactly one
// root element, nothing but whitespace after it.
func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("the XML body is not well formed: %v: %q", err, truncateBody(b))
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				return fmt.Errorf("the XML body has text outside its root")
			}
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("the XML body has %d root elements", roots)
	}
	return nil
}

func truncateBody(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}

// hostileCase is one request a client may send to hurt the gateway, and the
// 4xx it must answer.
type hostileCase struct {
	name string
	req  wireReq
	// direct changes the parsed request for the handler-only run, to carry
	// what net/http would not accept from a wire.
	direct func(*http.Request)
	// serverRejects: net/http answers the wire form itself, with its own
	// plain-text 400/431, before the gateway sees it; the loopback run then
	// checks only for a 4xx without a hang, and the envelope is checked on
	// the handler-only run.
	serverRejects bool
	head          bool // a HEAD request: no body on the wire
	status        int
	code          string
	format        string // the envelope format expected; "" means any
}

func repeatParam(pair string, n int) string {
	return strings.TrimSuffix(strings.Repeat(pair+"&", n), "&")
}

func distinctParams(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte('&')
		}
		fmt.Fprintf(&b, "p%05d=", i)
	}
	return b.String()
}

// jsonObject is a JSON object of n distinct numeric members.
func jsonObject(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteByte('}')
	return b.String()
}

func hostileCases(t testing.TB) []hostileCase {
	b := fixedSigner("hostile")
	send := fromSigned(mustSign(t, b, rpcSendMessage()))
	list := fromSigned(mustSign(t, b, rpcListInstancesXML()))
	form := fromSigned(mustSign(t, b, rpcCreateGroupForm("mqtt-cn-test", "GID_form")))
	roa := fromSigned(mustSign(t, b, roaAppEnv()))
	roaJSON := fromSigned(mustSign(t, b, roaCreateGroupJSON()))
	v3 := fromSigned(mustSign(t, b, v3SendMessageForm()))
	v3ROA := fromSigned(mustSign(t, b, v3AppEnv()))
	v3Array := fromSigned(mustSign(t, b, signature.Request{Style: signature.V3, Method: http.MethodPost, Endpoint: "http://" + hostMQTT,
		Path: "/groups", Action: "CreateGroupId", Version: "2020-04-20",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`[]`)}))

	// An unsigned ROA request that passes every check before the body and
	// the signature, on the fixed clock.
	roaHeaders := []string{"Authorization: acs testid:AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Date: " + hostileNow.Format(signature.DateLayout),
		"X-Acs-Version: 2020-04-20", "X-Acs-Signature-Nonce: hostile-roa"}
	roaPost := func(ct, body string) wireReq {
		w := rawReq(http.MethodPost, "/groups", hostMQTT, append(slices.Clone(roaHeaders), "Content-Type: "+ct)...)
		w.body = []byte(body)
		return w
	}
	rpcCommon := "Version=2020-04-20&AccessKeyId=testid&Signature=AAAA&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0" +
		"&SignatureNonce=n1&Timestamp=2020-05-19T10%3A33%3A56Z&Format=JSON"
	const bad = http.StatusBadRequest
	longValue := strings.Repeat("v", 60<<10)

	return []hostileCase{
		// Limits.
		{name: "header over MaxHeaderBytes", req: send.with(func(w *wireReq) { w.header = append(w.header, "X-Pad: "+strings.Repeat("x", 100<<10)) }),
			status: http.StatusRequestHeaderFieldsTooLarge, code: gateway.CodeHeaderTooLarge},
		{name: "header over net/http's own limit", req: send.with(func(w *wireReq) { w.header = append(w.header, "X-Pad: "+strings.Repeat("x", 2<<20)) }),
			// Past the server's MaxHeaderBytes (1 MiB here; `acsharness
			// serve` sets twice the gateway's limit) net/http answers its
			// own 431; the handler alone answers with the envelope.
			direct: func(*http.Request) {}, serverRejects: true,
			status: http.StatusRequestHeaderFieldsTooLarge, code: gateway.CodeHeaderTooLarge},
		{name: "6000 small headers over MaxHeaderBytes", req: send.with(func(w *wireReq) {
			for i := range 6000 {
				w.header = append(w.header, fmt.Sprintf("X-H%d: v", i))
			}
		}), status: http.StatusRequestHeaderFieldsTooLarge, code: gateway.CodeHeaderTooLarge},
		{name: "query over MaxHeaderBytes", req: rawReq(http.MethodGet, "/?Payload="+strings.Repeat("q", 70<<10), hostMQTT),
			status: http.StatusRequestHeaderFieldsTooLarge, code: gateway.CodeHeaderTooLarge},
		{name: "body over MaxBodyBytes", req: send.with(func(w *wireReq) {
			w.header = append(w.header, "Content-Type: application/x-www-form-urlencoded")
			w.body = bytes.Repeat([]byte("a"), gateway.DefaultMaxBodyBytes+1)
		}), status: http.StatusRequestEntityTooLarge, code: gateway.CodeBodyTooLarge},
		{name: "chunked body over MaxBodyBytes", req: roaJSON.with(func(w *wireReq) {
			w.body = bytes.Repeat([]byte(" "), 2*gateway.DefaultMaxBodyBytes)
			w.chunked = true
		}), status: http.StatusRequestEntityTooLarge, code: gateway.CodeBodyTooLarge},

		// Malformed percent-escapes (docs/protocol.md §1.6, §9 F1, seed 004): RequestParameterMalformed.
		{name: "seed 004 Signature=xxxx%xxxx%3D", req: rawReq(http.MethodGet,
			"/?Action=ListInstances&Version=2019-12-12&Format=JSON&AccessKeyId=testid&SignatureMethod=HMAC-SHA1&SignatureNonce=e7b1f31150be45594905ce6d28561286"+
				"&SignatureVersion=1.0&Timestamp=2020-05-19T10%3A33%3A56Z&Signature=xxxx%xxxx%3D", hostAMQP),
			status: bad, code: gateway.CodeParameterMalformed},
		{name: "lone % in the query", req: rawReq(http.MethodGet, "/?%", hostMQTT), status: bad, code: gateway.CodeParameterMalformed},
		{name: "%zz in the query", req: rawReq(http.MethodGet, "/?Action=%zz", hostMQTT), status: bad, code: gateway.CodeParameterMalformed},
		{name: "truncated %4 in the query", req: list.with(func(w *wireReq) { w.target += "&x=%4" }), status: bad, code: gateway.CodeParameterMalformed},
		{name: "malformed escape in the form body", req: form.with(func(w *wireReq) { w.body = append(w.body, "&GroupId=%G1"...) }),
			status: bad, code: gateway.CodeParameterMalformed},
		{name: "malformed escape in a ROA query", req: roa.with(func(w *wireReq) { w.target += "&tag=%" }), status: bad, code: gateway.CodeParameterMalformed},
		{name: "malformed escape in a V3 query", req: v3.with(func(w *wireReq) { w.target = "/?%zz" }), status: bad, code: gateway.CodeParameterMalformed},
		{name: "malformed escape in the path", req: rawReq(http.MethodGet, "/groups/%zz", hostMQTT, roaHeaders...),
			// net/http cannot parse the request line; the handler never
			// sees it, so there is no handler-only run to make.
			serverRejects: true, status: bad},

		// Duplicated keys: the first value wins for the signature and the
		// backend alike (docs/protocol.md §1.6), so a copy put first is what is
		// checked.
		{name: "a forged Signature before the signed one", req: send.with(func(w *wireReq) { w.target = "/?Signature=AAAA&" + w.target[2:] }),
			status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "another Payload before the signed one", req: send.with(func(w *wireReq) { w.target = "/?Payload=evil&" + w.target[2:] }),
			status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "form copy of a query parameter with another value", req: form.with(func(w *wireReq) { w.target += "&GroupId=GID_query" }),
			status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "every common parameter twice, second copies garbage", req: rawReq(http.MethodGet, "/?Action=SendMessage&"+rpcCommon+"&"+
			strings.ReplaceAll(rpcCommon, "=", "=%FF"), hostMQTT), status: bad, code: gateway.CodeSignatureDoesNotMatch},

		// Bytes that are not UTF-8.
		{name: "non-UTF-8 parameter name", req: send.with(func(w *wireReq) { w.target += "&%FF%FE=1" }), status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "raw non-UTF-8 parameter name and value", req: send.with(func(w *wireReq) { w.target += "&\xff\xfe=\xc3\x28" }),
			status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "non-UTF-8 Action", req: rawReq(http.MethodGet, "/?Action=%FF%FE&"+rpcCommon, hostMQTT), status: http.StatusNotFound, code: gateway.CodeInvalidAction},
		{name: "non-UTF-8 Format", req: rawReq(http.MethodGet, "/?Action=SendMessage&"+strings.Replace(rpcCommon, "Format=JSON", "Format=\xff", 1), hostMQTT),
			status: bad, code: gateway.CodeInvalidFormat, format: gateway.FormatXML},
		{name: "non-UTF-8 path, ROA", req: rawReq(http.MethodGet, "/groups/\xff\xfe", hostMQTT, roaHeaders...), status: http.StatusNotFound, code: gateway.CodeInvalidAction},
		{name: "non-UTF-8 x-acs header value, ROA JSON", req: roa.with(func(w *wireReq) { w.header = append(w.header, "X-Acs-Junk: \xff\xfe\xfd") }),
			status: bad, code: gateway.CodeSignatureDoesNotMatch, format: gateway.FormatJSON},
		{name: "non-UTF-8 x-acs header value, ROA XML", req: roa.with(func(w *wireReq) {
			w.header = append(w.header, "X-Acs-Junk: \xff\xfe\xfd]]>&<")
			for i, h := range w.header {
				if strings.HasPrefix(h, "Accept:") {
					w.header[i] = "Accept: application/xml"
				}
			}
		}), status: bad, code: gateway.CodeSignatureDoesNotMatch, format: gateway.FormatXML},
		{name: "non-UTF-8 header name", req: rawReq(http.MethodGet, "/", hostAMQP, "X-\xff: 1"),
			direct: func(r *http.Request) { r.Header["X-\xff\xfe"] = []string{"\x00\x01"} }, serverRejects: true,
			status: bad, code: "MissingAction"},
		{name: "control bytes in an x-acs header, V3", req: v3.with(func(w *wireReq) { w.header = append(w.header, "X-Acs-Junk: a\x01b") }),
			direct: func(r *http.Request) { r.Header["X-Acs-Junk"] = []string{"a\x01b\x00"} }, serverRejects: true,
			status: bad, code: gateway.CodeIncompleteSignature},

		// Parameter counts.
		{name: "10k copies of one query parameter", req: rawReq(http.MethodGet, "/?"+repeatParam("a=1", 10000), hostMQTT),
			status: bad, code: gateway.CodeTooManyParams, format: gateway.FormatXML},
		{name: "10k distinct form parameters", req: form.with(func(w *wireReq) { w.body = []byte(distinctParams(10000)) }),
			status: bad, code: gateway.CodeTooManyParams},
		{name: "10k members in a ROA JSON body", req: roaPost("application/json", jsonObject(10000)),
			status: bad, code: gateway.CodeTooManyParams, format: gateway.FormatJSON},
		{name: "10k form parameters in a V3 body", req: v3.with(func(w *wireReq) { w.body = []byte(distinctParams(10000)) }),
			status: bad, code: gateway.CodeTooManyParams},

		// Garbage Authorization headers.
		{name: "Authorization acs", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: acs"), status: bad, code: "MissingAction"},
		{name: "Authorization acs :", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: acs :"), status: bad, code: gateway.CodeIncompleteSignature},
		{name: "Authorization acs testid: (no signature)", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: acs testid:"), status: bad, code: gateway.CodeIncompleteSignature},
		{name: "Authorization ACS3-HMAC-SHA256", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: ACS3-HMAC-SHA256"), status: bad, code: "MissingAccessKeyId"},
		{name: "Authorization ACS3-HMAC-SHA256 Credential=", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: ACS3-HMAC-SHA256 Credential="),
			status: bad, code: "MissingAccessKeyId"},
		{name: "Authorization ACS3 with an unknown field", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: ACS3-HMAC-SHA256 Foo=bar"),
			status: bad, code: gateway.CodeIncompleteSignature},
		{name: "Authorization ACS3-HMAC-SM3", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: ACS3-HMAC-SM3 Credential=testid,SignedHeaders=host,Signature=00"),
			status: bad, code: gateway.CodeInvalidSignatureMethod},
		{name: "Authorization ACS3 without the V3 headers", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature=00"),
			status: bad, code: "MissingAction"},
		{name: "Authorization of high bytes", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: \x80\xff\xfe\xc3\x28"), status: bad, code: "MissingAction"},
		{name: "Authorization acs with high bytes", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: acs \xff:\xfe"), status: bad, code: "MissingDate"},
		{name: "Authorization of control bytes", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: acs \x00\x01:\x02"),
			direct: func(r *http.Request) { r.Header.Set("Authorization", "acs \x00\x01:\x02\x7f") }, serverRejects: true,
			status: bad, code: "MissingDate"},
		{name: "60 KiB Authorization", req: rawReq(http.MethodGet, "/", hostAMQP, "Authorization: acs testid:"+longValue), status: bad, code: "MissingDate"},

		// Methods.
		{name: "RPC PUT", req: send.with(func(w *wireReq) { w.method = http.MethodPut }), status: bad, code: gateway.CodeUnsupportedHTTPMethod},
		{name: "RPC DELETE", req: list.with(func(w *wireReq) { w.method = http.MethodDelete }), status: bad, code: gateway.CodeUnsupportedHTTPMethod},
		{name: "RPC OPTIONS", req: list.with(func(w *wireReq) { w.method = http.MethodOptions }), status: bad, code: gateway.CodeUnsupportedHTTPMethod},
		{name: "RPC made-up method", req: list.with(func(w *wireReq) { w.method = "BREW" }), status: bad, code: gateway.CodeUnsupportedHTTPMethod},
		{name: "RPC HEAD", req: list.with(func(w *wireReq) { w.method = http.MethodHead }), head: true, status: bad, code: gateway.CodeUnsupportedHTTPMethod},
		{name: "ROA TRACE", req: roa.with(func(w *wireReq) { w.method = http.MethodTrace }), status: bad, code: gateway.CodeUnsupportedHTTPMethod},
		// No PUT route: the version is then checked against the host's
		// product, which the generic route's 2019-12-11 is not.
		{name: "ROA PUT on a GET route", req: roa.with(func(w *wireReq) { w.method = http.MethodPut }), status: bad, code: gateway.CodeInvalidVersion},
		{name: "V3 PATCH", req: v3ROA.with(func(w *wireReq) { w.method = http.MethodPatch }), status: http.StatusNotFound, code: gateway.CodeInvalidAction},

		// Hosts.
		{name: "unknown product host", req: send.with(func(w *wireReq) { w.host = "evil.example.com" }), status: http.StatusNotFound, code: gateway.CodeInvalidProduct},
		{name: "RocketMQ ons host", req: send.with(func(w *wireReq) { w.host = "ons.cn-hangzhou.aliyuncs.com" }), status: http.StatusNotFound, code: gateway.CodeInvalidProduct},
		{name: "60 KiB host", req: send.with(func(w *wireReq) { w.host = strings.Repeat("h", 60<<10) + ".com" }), status: http.StatusNotFound, code: gateway.CodeInvalidProduct},
		{name: "host with a bad port", req: rawReq(http.MethodGet, "/", hostMQTT+":notaport"), status: bad, code: "MissingAction", format: gateway.FormatXML},
		// A first label alone routes nowhere (docs/protocol.md §6): the product is
		// unknown, so the error names none and answers in JSON.
		{name: "host with XML specials", req: rawReq(http.MethodGet, "/", "onsmqtt.a&b'c]]"), status: http.StatusNotFound, code: gateway.CodeInvalidProduct},
		{name: "empty host", req: rawReq(http.MethodGet, "/", ""), status: bad, code: "MissingAction"},
		{name: "IPv6 host, out-of-range port", req: rawReq(http.MethodGet, "/", "[::1]:99999"), status: bad, code: "MissingAction"},
		{name: "non-UTF-8 host", req: rawReq(http.MethodGet, "/", "onsmqtt.\xff\xfe"), serverRejects: true,
			direct: func(r *http.Request) { r.Host = "onsmqtt.\xff\xfe<>&]]>\x00" }, status: http.StatusNotFound, code: gateway.CodeInvalidProduct},

		// Bodies.
		{name: "empty form body, unsigned", req: rawReq(http.MethodPost, "/", hostAMQP, "Content-Type: application/x-www-form-urlencoded"), status: bad, code: "MissingAction"},
		{name: "empty form body, no Content-Length", req: rawReq(http.MethodPost, "/", hostAMQP, "Content-Type: application/x-www-form-urlencoded").with(func(w *wireReq) { w.noLength = true }),
			status: bad, code: "MissingAction"},
		{name: "empty form body, ROA", req: roaPost("application/x-www-form-urlencoded", ""), status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "JSON array body", req: roaPost("application/json", `[1,2,3]`), status: bad, code: gateway.CodeInvalidParameter},
		{name: "JSON string body", req: roaPost("application/json", `"GID_x"`), status: bad, code: gateway.CodeInvalidParameter},
		{name: "JSON null body", req: roaPost("application/json", `null`), status: bad, code: gateway.CodeInvalidParameter},
		{name: "truncated JSON body", req: roaPost("application/json; charset=utf-8", `{"InstanceId":`), status: bad, code: gateway.CodeInvalidParameter},
		{name: "deeply nested JSON body", req: roaPost("application/json", strings.Repeat("[", 100000)), status: bad, code: gateway.CodeInvalidParameter},
		{name: "non-UTF-8 JSON body", req: roaPost("application/json", "{\"GroupId\":\"\xff\xfe\"}"), status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "JSON array body, V3", req: v3Array, status: bad, code: gateway.CodeInvalidParameter},

		// Long values.
		{name: "60 KiB value in the query", req: send.with(func(w *wireReq) { w.target += "&Long=" + longValue }), status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "900 KiB value in the form body", req: form.with(func(w *wireReq) { w.body = append(w.body, "&Long="+strings.Repeat("%E4%B8%AD", 300<<10/3)...) }),
			status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "60 KiB SignatureNonce, unsigned", req: rawReq(http.MethodGet, "/?Action=SendMessage&"+strings.Replace(rpcCommon, "SignatureNonce=n1", "SignatureNonce="+longValue, 1), hostMQTT),
			status: bad, code: gateway.CodeSignatureDoesNotMatch},
		{name: "60 KiB Timestamp", req: rawReq(http.MethodGet, "/?Action=SendMessage&"+strings.Replace(rpcCommon, "Timestamp=2020", "Timestamp="+longValue, 1), hostMQTT),
			status: bad, code: gateway.CodeTimestampFormat},
		{name: "60 KiB Date, ROA", req: roa.with(func(w *wireReq) {
			for i, h := range w.header {
				if strings.HasPrefix(h, "Date:") {
					w.header[i] = "Date: " + longValue
				}
			}
		}), status: bad, code: gateway.CodeTimestampFormat},
	}
}

// TestHostileInput sends each hostile request through a real loopback
// server and through the handler directly: every one gets its 4xx with a
// well-formed envelope, never a 500, a panic or a hang.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	for _, tc := range hostileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := tc.req.bytes()
			check := func(t *testing.T, a answer, head bool) {
				t.Helper()
				assert.Equal(t, tc.status, a.status, "status; body %q", truncateBody(a.body))
				env, err := checkEnvelope(a, head)
				require.NoError(t, err, "the envelope")
				if tc.code != "" && !head {
					assert.Equal(t, tc.code, env.Code, "Code; Message %q", env.Message)
				}
				if tc.format != "" {
					want := gateway.ContentTypeJSON
					if tc.format == gateway.FormatXML {
						want = gateway.ContentTypeXML
					}
					assert.Equal(t, want, a.header.Get("Content-Type"), "the response format")
				}
			}

			t.Run("loopback", func(t *testing.T) {
				srv := httptest.NewServer(newHostileGateway(t, nil).Handler())
				defer srv.Close()
				a, err := sendRaw(srv.Listener.Addr().String(), raw)
				require.NoError(t, err, "a response within %v", caseTimeout)
				if tc.serverRejects {
					assert.True(t, a.status >= 400 && a.status < 500, "net/http's own answer must be a 4xx, got %d %q", a.status, truncateBody(a.body))
					return
				}
				check(t, a, tc.head)
			})
			if tc.serverRejects && tc.direct == nil {
				return
			}
			t.Run("handler", func(t *testing.T) {
				wire := raw
				if tc.serverRejects {
					// The wire form does not parse; start from the request
					// without the bad header or host and add it to the
					// parsed request.
					wire = tc.req.with(func(w *wireReq) {
						w.header = slices.DeleteFunc(w.header, func(h string) bool { return !utf8.ValidString(h) || strings.ContainsAny(h, "\x00\x01\x02") })
						if !utf8.ValidString(w.host) {
							w.host = hostMQTT
						}
					}).bytes()
				}
				check(t, serveDirect(t, newHostileGateway(t, nil).Handler(), wire, tc.direct), false)
			})
		})
	}
}

// serveWire sends one wire request to h through the handler and returns the
// answer after checking its envelope.
func serveWire(t *testing.T, h http.Handler, w wireReq) (answer, envelope) {
	t.Helper()
	a := serveDirect(t, h, w.bytes(), nil)
	env, err := checkEnvelope(a, false)
	require.NoError(t, err, "the envelope of %s %s", w.method, w.target)
	return a, env
}

// TestDuplicateKeysFirstWins: a parameter appended after signing, with
// another value, changes neither the signature check nor what the backend
// sees. The first copy wins for both, as a servlet's getParameter would
// (docs/protocol.md §1.6 [INF]), in every style.
func TestDuplicateKeysFirstWins(t *testing.T) {
	t.Parallel()
	b := fixedSigner("dup")

	t.Run("RPC query and form", func(t *testing.T) {
		t.Parallel()
		h := newHostileGateway(t, nil).Handler()
		create := fromSigned(mustSign(t, b, rpcCreateGroupForm("mqtt-cn-test", "GID_first"))).with(func(w *wireReq) {
			w.target += "&Action=DeleteGroupId&Signature=AAAA&SignatureNonce=replayed&Format=XML"
			w.body = append(w.body, "&GroupId=GID_second&InstanceId=other"...)
		})
		a, env := serveWire(t, h, create)
		require.Equal(t, http.StatusOK, a.status, "the appended copies must not break the signature: %s", env.Message)
		assert.Equal(t, gateway.ContentTypeJSON, a.header.Get("Content-Type"), "Format=JSON, the first copy, picks the format")

		for _, tc := range []struct{ instance, want string }{{"mqtt-cn-test", `"GroupId":"GID_first"`}, {"other", `"Data":[]`}} {
			list := fromSigned(mustSign(t, b, signature.Request{Style: signature.RPC, Endpoint: "http://" + hostMQTT,
				Action: "ListGroupId", Version: "2020-04-20", Format: "JSON", Query: signature.Params{{Key: "InstanceId", Value: tc.instance}}}))
			a, _ := serveWire(t, h, list)
			require.Equal(t, http.StatusOK, a.status, "ListGroupId %s", tc.instance)
			assert.Contains(t, string(a.body), tc.want, "the backend saw the first InstanceId and GroupId")
			assert.NotContains(t, string(a.body), "GID_second", "the appended GroupId never reached the backend")
		}
	})

	t.Run("ROA query", func(t *testing.T) {
		t.Parallel()
		h := newHostileGateway(t, nil).Handler()
		w := fromSigned(mustSign(t, b, roaAppEnv())).with(func(w *wireReq) { w.target += "&appName=second&tag=evil" })
		a, env := serveWire(t, h, w)
		require.Equal(t, http.StatusOK, a.status, "the appended copies must not break the ROA signature: %s", env.Message)
		assert.Contains(t, string(a.body), `"AppName":"my app"`, "the backend saw the first appName")
		assert.Contains(t, string(a.body), `"Tag":"中文/a+b"`, "the backend saw the first tag")
	})

	t.Run("V3 query", func(t *testing.T) {
		t.Parallel()
		h := newHostileGateway(t, nil).Handler()
		w := fromSigned(mustSign(t, b, v3AppEnv())).with(func(w *wireReq) { w.target += "&appName=second" })
		a, env := serveWire(t, h, w)
		require.Equal(t, http.StatusOK, a.status, "the appended copy must not break the V3 signature: %s", env.Message)
		assert.Contains(t, string(a.body), `<AppName>v3</AppName>`, "the backend saw the first appName")
	})
}

// TestHostileButValid: requests that look hostile but are correctly signed
// are served: bytes that are not UTF-8 in signed values, long values, and
// the official SDK's POST with an empty form body (docs/protocol.md §1.7.4).
func TestHostileButValid(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 20<<10)
	for _, tc := range []struct {
		name string
		req  signature.Request
	}{
		{"non-UTF-8 payload, JSON", func() signature.Request {
			r := rpcSendMessage()
			r.Query = r.Query.Set("Payload", "\xff\xfe\xc3\x28 <&]]>")
			return r
		}()},
		{"non-UTF-8 appName, XML", func() signature.Request {
			r := roaAppEnv()
			r.Format = "XML"
			r.Query = r.Query.Set("appName", "\xff\x00\x01<&]]>")
			return r
		}()},
		{"40 KiB payload in the query", func() signature.Request {
			r := rpcSendMessage()
			r.Query = r.Query.Set("Payload", long[:20<<10])
			return r
		}()},
		{"40 KiB payload in a V3 form body", func() signature.Request {
			r := v3SendMessageForm()
			r.Form = r.Form.Set("Payload", long)
			return r
		}()},
		{"empty form body, as aliyun-sdk sends it", func() signature.Request {
			r := rpcSendMessage()
			r.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			return r
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mustSign(t, fixedSigner("valid"), tc.req)
			for _, via := range []string{"loopback", "handler"} {
				g := newHostileGateway(t, nil)
				var a answer
				if via == "loopback" {
					srv := httptest.NewServer(g.Handler())
					var err error
					a, err = sendRaw(srv.Listener.Addr().String(), fromSigned(s).bytes())
					srv.Close()
					require.NoError(t, err, "%s: a response", via)
				} else {
					a = serveDirect(t, g.Handler(), fromSigned(s).bytes(), nil)
				}
				env, err := checkEnvelope(a, false)
				require.NoError(t, err, "%s: the envelope", via)
				assert.Equal(t, http.StatusOK, a.status, "%s: a valid request is served: %s %s", via, env.Code, env.Message)
			}
		})
	}
}
