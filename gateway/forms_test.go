package gateway_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// "Every form an official SDK signs" (signature.Forms): where the official
// clients disagree on how a request is written or signed, the table names
// the forms and the clients behind each. Here the table is held to the
// truth twice: the clients are watched on the wire producing the forms the
// table gives them (Go clients below, Node clients in TestNodeClients), and
// the fixed vector of every form (signature/testdata/vectors/*-forms.json)
// is sent as it stands to the gateway, which must accept it.

// wireRequest is one request as a client wrote it: the request line and
// the header names as written, before net/http canonicalizes them.
type wireRequest struct {
	method, uri string
	header      [][2]string
}

// get returns the first value of a header matched in any case, and the
// name as the client wrote it.
func (w wireRequest) get(name string) (value, written string, ok bool) {
	for _, kv := range w.header {
		if strings.EqualFold(kv[0], name) {
			return kv[1], kv[0], true
		}
	}
	return "", "", false
}

// style tells the signing style from the Authorization header (docs/protocol.md §4.2).
func (w wireRequest) style() signature.Style {
	auth, _, _ := w.get("Authorization")
	switch {
	case strings.HasPrefix(auth, "ACS3-"):
		return signature.V3
	case strings.HasPrefix(auth, "acs "):
		return signature.ROA
	}
	return signature.RPC
}

// probe reports whether w is a forms probe: a GET whose query holds Note
// (a value with a space), and for ROA a path segment with a space.
func (w wireRequest) probe() bool {
	if w.method != http.MethodGet || !strings.Contains(w.rawQuery(), "Note=") {
		return false
	}
	switch w.style() {
	case signature.RPC:
		return w.escapedPath() == "/"
	case signature.ROA:
		return strings.Contains(w.escapedPath(), url.PathEscape(probeInstance))
	}
	return false
}

func (w wireRequest) rawQuery() string { _, q, _ := strings.Cut(w.uri, "?"); return q }

func (w wireRequest) escapedPath() string { p, _, _ := strings.Cut(w.uri, "?"); return p }

// params form-decodes the query, as the gateway does.
func (w wireRequest) params(t *testing.T) signature.Params {
	p, err := signature.ParseQuery(nil, w.rawQuery())
	require.NoError(t, err, "the query of %s", w.uri)
	return p
}

// message is what a ROA signature covers, read off the wire; escaped picks
// the path as sent rather than decoded.
func (w wireRequest) message(t *testing.T, escaped bool) signature.Message {
	h := http.Header{}
	for _, kv := range w.header {
		h.Add(kv[0], kv[1])
	}
	path := w.escapedPath()
	if !escaped {
		var err error
		path, err = url.PathUnescape(path)
		require.NoError(t, err)
	}
	return signature.Message{Method: w.method, Path: path, Query: w.params(t), Header: h}
}

// roaSignedAs reports whether the ROA signature of w verifies with secret
// over the path decoded or escaped and an empty value as "k" or "k=".
func (w wireRequest) roaSignedAs(t *testing.T, secret string, escaped, emptyEquals bool) bool {
	auth, _, _ := w.get("Authorization")
	_, sig, err := signature.ParseROAAuthorization(auth)
	if err != nil {
		return false
	}
	m := w.message(t, escaped)
	var sts []byte
	if emptyEquals {
		sts = signature.AppendROAStringToSignEmptyEquals(nil, &m)
	} else {
		sts = signature.AppendROAStringToSign(nil, &m)
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(sts)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)) == sig
}

// formHolds reports whether the request w, signed with secret, is written
// in form f. The request must be one that tells (formProbe): a GET whose
// query holds an empty value and a value with a space, and for ROA a path
// segment with a space. It says nothing (ok false) of aspects it cannot
// see, such as the signature forms of a request signed with another secret.
func formHolds(t *testing.T, f signature.Form, w wireRequest, secret string) (holds, ok bool) {
	p := w.params(t)
	hasParam := func(name string) bool { _, ok := p.Get(name); return ok }
	spaceAs := func() string {
		switch {
		case strings.Contains(w.rawQuery(), "Note=a+b"):
			return "+"
		case strings.Contains(w.rawQuery(), "Note=a%20b"):
			return "%20"
		}
		return "?"
	}
	signedAs := func(escaped, emptyEquals bool) (bool, bool) {
		// A form of one aspect is told only by the signature that verifies
		// under exactly one of the two readings.
		var any bool
		for _, e := range []bool{false, true} {
			for _, k := range []bool{false, true} {
				any = any || w.roaSignedAs(t, secret, e, k)
			}
		}
		if !any {
			return false, false
		}
		for _, other := range []bool{false, true} {
			if f.Aspect == signature.AspectROAPath && w.roaSignedAs(t, secret, escaped, other) ||
				f.Aspect == signature.AspectROAEmptyValue && w.roaSignedAs(t, secret, other, emptyEquals) {
				return true, true
			}
		}
		return false, true
	}
	switch f.Aspect + "=" + f.Variant {
	case signature.AspectRPCFormatCase + "=JSON", signature.AspectRPCFormatCase + "=json":
		v, _ := p.Get(signature.ParamFormat)
		return v == f.Variant, true
	case signature.AspectRPCSignatureType + "=SignatureType=":
		v, has := p.Get("SignatureType")
		return has && v == "", true
	case signature.AspectRPCSignatureType + "=absent":
		return !hasParam("SignatureType"), true
	case signature.AspectRPCRegionID + "=always":
		return hasParam("RegionId"), true // the probes never give one
	case signature.AspectRPCRegionID + "=when given":
		return !hasParam("RegionId"), true
	case signature.AspectRPCWireSpace + "=+", signature.AspectRPCWireSpace + "=%20",
		signature.AspectROAWireSpace + "=+", signature.AspectROAWireSpace + "=%20":
		return spaceAs() == f.Variant, true
	case signature.AspectROAEmptyValue + "=k":
		return signedAs(false, false)
	case signature.AspectROAEmptyValue + "=k=":
		return signedAs(false, true)
	case signature.AspectROAPath + "=decoded":
		return signedAs(false, false)
	case signature.AspectROAPath + "=escaped":
		return signedAs(true, false)
	case signature.AspectROAContentMD5 + "=sent", signature.AspectROANonce + "=sent":
		_, _, has := w.get(map[string]string{signature.AspectROAContentMD5: "Content-MD5", signature.AspectROANonce: signature.HeaderACSNonce}[f.Aspect])
		return has, true
	case signature.AspectROAContentMD5 + "=absent", signature.AspectROANonce + "=absent":
		_, _, has := w.get(map[string]string{signature.AspectROAContentMD5: "Content-MD5", signature.AspectROANonce: signature.HeaderACSNonce}[f.Aspect])
		return !has, true
	case signature.AspectROAGetContentType + "=application/octet-stream":
		v, _, _ := w.get("Content-Type")
		return v == f.Variant, true
	case signature.AspectROAGetContentType + "=absent":
		_, _, has := w.get("Content-Type")
		return !has, true
	case signature.AspectROAHeaderCase + "=Date", signature.AspectROAHeaderCase + "=date":
		_, written, has := w.get("Date")
		return has && written == f.Variant, true
	}
	t.Fatalf("no check for the form %s=%q: teach formHolds to see it", f.Aspect, f.Variant)
	return false, false
}

// recorder is a listener that keeps a copy of every byte each connection
// reads, so that requests can be seen as the client wrote them.
type recorder struct {
	net.Listener
	mu    sync.Mutex
	conns []*bytes.Buffer
}

func (r *recorder) Accept() (net.Conn, error) {
	c, err := r.Listener.Accept()
	if err != nil {
		return nil, err
	}
	buf := &bytes.Buffer{}
	r.mu.Lock()
	r.conns = append(r.conns, buf)
	r.mu.Unlock()
	return &teeConn{Conn: c, mu: &r.mu, buf: buf}, nil
}

type teeConn struct {
	net.Conn
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// requests parses every request read so far, in connection order.
func (r *recorder) requests(t *testing.T) []wireRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wireRequest
	for _, buf := range r.conns {
		br := bufio.NewReader(bytes.NewReader(buf.Bytes()))
		for {
			line, err := br.ReadString('\n')
			if err == io.EOF && line == "" {
				break
			}
			require.NoError(t, err, "a request line")
			if line == "\r\n" {
				continue // a client may end a body with a stray CRLF (RFC 9112 §2.2)
			}
			parts := strings.Fields(line)
			require.Len(t, parts, 3, "request line %q", line)
			w := wireRequest{method: parts[0], uri: parts[1]}
			for {
				h, err := br.ReadString('\n')
				require.NoError(t, err, "a header line")
				h = strings.TrimRight(h, "\r\n")
				if h == "" {
					break
				}
				name, value, _ := strings.Cut(h, ":")
				w.header = append(w.header, [2]string{name, strings.TrimSpace(value)})
			}
			var body io.Reader = io.LimitReader(br, 0)
			if te, _, _ := w.get("Transfer-Encoding"); strings.EqualFold(te, "chunked") {
				body = httputil.NewChunkedReader(br)
			} else if cl, _, ok := w.get("Content-Length"); ok {
				n, err := strconv.ParseInt(cl, 10, 64)
				require.NoError(t, err)
				body = io.LimitReader(br, n)
			}
			_, err = io.Copy(io.Discard, body)
			require.NoError(t, err)
			out = append(out, w)
		}
	}
	return out
}

// startRecordedGateway serves a gateway on a recording loopback listener.
func startRecordedGateway(t *testing.T, cfg gateway.Config) (*httptest.Server, *recorder) {
	t.Helper()
	g, err := gateway.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(g.Handler())
	rec := &recorder{Listener: srv.Listener}
	srv.Listener = rec
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, rec
}

// checkClientForms checks, for every form signature.Forms gives client,
// that the client's probe requests of that style hold it, and that the
// client made one that tells.
func checkClientForms(t *testing.T, client string, reqs []wireRequest, secret string) {
	t.Helper()
	seen := map[signature.Style]bool{}
	var probes []wireRequest
	for _, w := range reqs {
		if w.probe() {
			seen[w.style()] = true
			probes = append(probes, w)
		}
	}
	checked := 0
	for _, f := range signature.Forms {
		if !slices.Contains(f.Clients, client) {
			continue
		}
		require.Truef(t, seen[f.Style], "%s made no %s probe to check the form %s=%q on", client, f.Style, f.Aspect, f.Variant)
		told := 0
		for _, w := range probes {
			if w.style() != f.Style {
				continue
			}
			holds, ok := formHolds(t, f, w, secret)
			if !ok {
				continue
			}
			told++
			assert.Truef(t, holds, "%s is listed under %s=%q, but wrote %s %s %q", client, f.Aspect, f.Variant, w.method, w.uri, w.header)
		}
		assert.Positivef(t, told, "no request of %s tells %s", client, f.Aspect)
		checked++
	}
	assert.Positive(t, checked, "signature.Forms names %s", client)
}

// The probe requests: a space in a query value (Note), an empty value
// (NextToken), and for ROA a space in a path segment, with no RegionId.
const (
	probeInstance = "amqp 1"
	probeNote     = "a b"
)

// TestGoClientForms watches alibaba-cloud-sdk-go and darabonba-openapi on
// the wire, signing one RPC and one ROA probe each.
func TestGoClientForms(t *testing.T) {
	t.Parallel()
	t.Run(signature.ClientAliyunSDKGo, func(t *testing.T) {
		t.Parallel()
		srv, rec := startRecordedGateway(t, gateway.Config{})
		c := newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret)
		addr, _, _ := addrOf(srv)
		callOK(t, c, rpcRequest(addr, requests.GET, rabbitVersion, "ListInstances", map[string]string{"Note": probeNote}), nil)
		r := roaRequest(srv, requests.GET, rabbitVersion, "/instances/[InstanceId]/vhosts", map[string]string{"NextToken": "", "Note": probeNote})
		r.PathParams["InstanceId"] = probeInstance
		callOK(t, c, r, nil)
		checkClientForms(t, signature.ClientAliyunSDKGo, rec.requests(t), gateway.DemoKeySecret)
	})
	t.Run(signature.ClientDarabonbaGo, func(t *testing.T) {
		t.Parallel()
		srv, rec := startRecordedGateway(t, gateway.Config{})
		addr, _, _ := addrOf(srv)
		c := newDaraClient(t, addr, gateway.DemoKeyID, gateway.DemoKeySecret, "v2")
		res, err := c.CallApiWithCtx(daraCtx(t), rpcParams("ListInstances", rabbitVersion, "GET", "formData"),
			&openapi.OpenApiRequest{Query: strMap("Note", probeNote)}, &dara.RuntimeOptions{})
		decodeDara(t, res, err, "RPC probe", nil)
		res, err = c.CallApiWithCtx(daraCtx(t), roaParams("ListVirtualHosts", rabbitVersion, "GET", "/instances/"+url.PathEscape(probeInstance)+"/vhosts"),
			&openapi.OpenApiRequest{Query: strMap("NextToken", "", "Note", probeNote)}, &dara.RuntimeOptions{})
		decodeDara(t, res, err, "ROA probe", nil)
		checkClientForms(t, signature.ClientDarabonbaGo, rec.requests(t), gateway.DemoKeySecret)
	})
}

// formRef names a form, as a vector lists it.
type formRef struct{ Aspect, Variant string }

// TestFormVectors sends the fixed vector of every form, exactly as it
// stands (request line, header names as written), to a gateway whose clock
// reads the vector's time, and expects a success; each vector must hold
// the forms it claims, and every form of signature.Forms must have one.
func TestFormVectors(t *testing.T) {
	t.Parallel()
	covered := map[formRef]bool{} // written by the parallel subtests, under mu
	var mu sync.Mutex
	for _, file := range []string{"rpc-forms.json", "roa-forms.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "signature", "testdata", "vectors", file))
		require.NoError(t, err)
		var f struct {
			Cases []json.RawMessage `json:"cases"`
		}
		require.NoError(t, json.Unmarshal(raw, &f), file)
		for _, rc := range f.Cases {
			var v struct {
				Name        string      `json:"name"`
				Forms       []formRef   `json:"forms"`
				Method      string      `json:"method"`
				Host        string      `json:"host"`
				Params      [][2]string `json:"params"`
				Headers     [][2]string `json:"headers"`
				WireURL     string      `json:"wire_url"`
				AccessKeyID string      `json:"access_key_id"`
				Secret      string      `json:"secret"`
				Auth        string      `json:"authorization"`
			}
			require.NoError(t, json.Unmarshal(rc, &v), file)
			if v.Auth != "" {
				v.Headers = append(v.Headers, [2]string{"Authorization", v.Auth})
			}
			t.Run(strings.TrimSuffix(file, ".json")+"/"+v.Name, func(t *testing.T) {
				t.Parallel()
				require.NotEmpty(t, v.Forms, "a forms vector names the forms it shows")
				w := wireRequest{method: v.Method, uri: v.WireURL, header: v.Headers}
				when := vectorTime(t, w, v.Params)
				for _, ref := range v.Forms {
					form, ok := findForm(ref)
					require.Truef(t, ok, "%s=%q is not in signature.Forms", ref.Aspect, ref.Variant)
					holds, told := formHolds(t, form, w, v.Secret)
					require.Truef(t, told, "the vector cannot tell %s", ref.Aspect)
					assert.Truef(t, holds, "the vector claims %s=%q but does not hold it", ref.Aspect, ref.Variant)
					mu.Lock()
					covered[ref] = true
					mu.Unlock()
				}
				keys := []gateway.Key{{ID: v.AccessKeyID, Secret: signature.Secret(v.Secret), Status: gateway.KeyActive}}
				srv := startSDKGateway(t, gateway.Config{Keys: keys, Now: func() time.Time { return when }})
				raw := v.Method + " " + v.WireURL + " HTTP/1.1\r\nHost: " + v.Host + "\r\n"
				for _, kv := range v.Headers {
					raw += kv[0] + ": " + kv[1] + "\r\n"
				}
				raw += "Content-Length: 0\r\nConnection: close\r\n\r\n"
				status, body := sendWire(t, srv, raw)
				assert.Equal(t, http.StatusOK, status, "the gateway must accept the vector as it stands:\n%s\n%s", raw, body)
			})
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for _, f := range signature.Forms {
			if f.Style == signature.RPC || f.Style == signature.ROA {
				assert.Truef(t, covered[formRef{f.Aspect, f.Variant}], "the form %s=%q has no fixed vector", f.Aspect, f.Variant)
			}
		}
	})
}

func findForm(ref formRef) (signature.Form, bool) {
	for _, f := range signature.Forms {
		if f.Aspect == ref.Aspect && f.Variant == ref.Variant {
			return f, true
		}
	}
	return signature.Form{}, false
}

// vectorTime is the time a vector was signed at: its RPC Timestamp or its
// ROA Date.
func vectorTime(t *testing.T, w wireRequest, params [][2]string) time.Time {
	for _, kv := range params {
		if kv[0] == signature.ParamTimestamp {
			when, err := time.Parse(time.RFC3339, kv[1])
			require.NoError(t, err)
			return when
		}
	}
	date, _, ok := w.get("Date")
	require.True(t, ok, "a vector carries a Timestamp or a Date")
	when, err := http.ParseTime(date)
	require.NoError(t, err)
	return when
}

// sendWire writes raw to srv over a fresh connection and reads the answer.
func sendWire(t *testing.T, srv *httptest.Server, raw string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
