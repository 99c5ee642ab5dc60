package gateway_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// fuzzConfig shrinks the limits so that the fuzzer reaches them with small
// inputs, and the nonce capacity so that a long run fills the shared store
// (503 ServiceUnavailable is then the one 5xx allowed).
func fuzzConfig(c *gateway.Config) {
	c.MaxHeaderBytes = 4 << 10
	c.MaxBodyBytes = 4 << 10
	c.MaxParams = 64
	c.NonceCapacity = 256
}

// fuzzSeeds are the seed corpus of FuzzHandler: valid signed requests of
// the three styles (valid against a fresh gateway on the fixed clock), and
// the hostile cases small enough to mutate quickly, plus small versions of
// the limit cases.
func fuzzSeeds(t testing.TB) [][]byte {
	seeds := fuzzSignedSeeds(t)
	b := fixedSigner("fuzz-hostile")
	for _, tc := range hostileCases(t) {
		if raw := tc.req.bytes(); len(raw) <= 8<<10 {
			seeds = append(seeds, raw)
		}
	}
	send := fromSigned(mustSign(t, b, rpcSendMessage()))
	seeds = append(seeds,
		send.with(func(w *wireReq) { w.header = append(w.header, "X-Pad: "+strings.Repeat("x", 5<<10)) }).bytes(),
		send.with(func(w *wireReq) {
			w.header = append(w.header, "Content-Type: application/x-www-form-urlencoded")
			w.body = bytes.Repeat([]byte("a=b&"), 1200)
		}).bytes(),
		rawReq(http.MethodGet, "/?"+repeatParam("a=1", 100), hostMQTT).bytes(),
		[]byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
		[]byte("OPTIONS /instances HTTP/1.1\r\nHost: "+hostAMQP+"\r\nOrigin: https://a.example\r\n"+
			"Access-Control-Request-Method: DELETE\r\nAccess-Control-Request-Headers: authorization, x-acs-date\r\n\r\n"),
	)
	return seeds
}

// fuzzSignedSeeds are valid signed requests of every style and action
// shape, each one valid against a fresh gateway on the fixed clock.
func fuzzSignedSeeds(t testing.TB) [][]byte {
	b := fixedSigner("fuzz")
	var seeds [][]byte
	for _, req := range []signature.Request{
		rpcSendMessage(), rpcListInstancesXML(), rpcCreateGroupForm("mqtt-cn-test", "GID_fuzz"),
		roaAppEnv(), roaCreateGroupJSON(), v3SendMessageForm(), v3AppEnv(),
		{Style: signature.RPC, Method: http.MethodGet, Endpoint: "http://" + hostAMQP, Action: "ListVirtualHosts", Version: "2019-12-12",
			Query: signature.Params{{Key: "InstanceId", Value: "amqp-cn-test"}}},
		{Style: signature.ROA, Method: http.MethodPost, Endpoint: "http://" + hostAMQP, Path: "/instances/amqp-cn-test/vhosts",
			Action: "CreateVirtualHost", Version: "2019-12-12", Form: signature.Params{{Key: "VirtualHost", Value: "vh"}}},
		{Style: signature.V3, Method: http.MethodDelete, Endpoint: "http://" + hostMQTT, Path: "/groups/GID_fuzz",
			Action: "DeleteGroupId", Version: "2020-04-20", Query: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-test"}}},
	} {
		seeds = append(seeds, fromSigned(mustSign(t, b, req)).bytes())
	}
	return seeds
}

// TestFuzzSignedSeedsValid: the signed seeds pass every check of a fresh
// fuzz gateway, so the fuzzer starts from the success paths.
func TestFuzzSignedSeedsValid(t *testing.T) {
	t.Parallel()
	for i, raw := range fuzzSignedSeeds(t) {
		a := serveDirect(t, newHostileGateway(t, fuzzConfig).Handler(), raw, nil)
		env, err := checkEnvelope(a, false)
		require.NoError(t, err, "seed %d: the envelope", i)
		if a.status != http.StatusOK {
			// A backend answer means every check before it passed.
			assert.Equal(t, gateway.CodeResourceNotFound, env.Code, "seed %d: %d %s", i, a.status, env.Message)
		}
	}
}

// FuzzHandler serves arbitrary HTTP/1.1 requests: whatever the bytes, the
// gateway answers a 2xx or a 4xx (or 503 once the small nonce store is
// full) with a well-formed envelope whose RequestId matches its header, and
// never panics. Each input goes to a fresh gateway (so that a finding
// reproduces alone) and to one shared across inputs (so that state builds
// up: used nonces, created groups, a full nonce store).
func FuzzHandler(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	shared := newHostileGateway(f, fuzzConfig).Handler()
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Skip("not an HTTP/1.1 request")
		}
		body, _ := readAllLimited(r)
		for i, h := range []http.Handler{newHostileGateway(t, fuzzConfig).Handler(), shared} {
			r2 := r.Clone(r.Context())
			r2.Body = http.NoBody
			if body != nil {
				r2.Body = &replayBody{Reader: bytes.NewReader(body.data), err: body.err}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r2)
			a := answer{status: rec.Code, header: rec.Result().Header, body: rec.Body.Bytes()}
			if err := checkFuzzAnswer(r2, a); err != nil {
				t.Fatalf("gateway %d of 2 (fresh, shared): %v\nrequest: %q\nresponse: %d %q", i+1, err, raw, a.status, truncateBody(a.body))
			}
		}
	})
}

// checkFuzzAnswer is FuzzHandler's oracle.
func checkFuzzAnswer(r *http.Request, a answer) error {
	if r.URL.Path == "/healthz" && r.Method == http.MethodGet && r.URL.RawQuery == "" && r.Header.Get("Authorization") == "" {
		if a.status != http.StatusOK || string(a.body) != "ok\n" {
			return fmt.Errorf("/healthz answered %d %q", a.status, a.body)
		}
		return nil
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" && r.Header.Get("Authorization") == "" {
		// A CORS preflight is answered without a body (docs/protocol.md §9 F11).
		if a.status != http.StatusOK || len(a.body) != 0 || a.header.Get("Access-Control-Allow-Origin") != "*" {
			return fmt.Errorf("a CORS preflight answered %d %q, Allow-Origin %q", a.status, a.body, a.header.Get("Access-Control-Allow-Origin"))
		}
		return nil
	}
	switch {
	case a.status >= 200 && a.status < 300, a.status >= 400 && a.status < 500:
	case a.status == http.StatusServiceUnavailable:
		env, err := checkEnvelope(a, false)
		if err != nil {
			return err
		}
		if env.Code != gateway.CodeServiceUnavailable {
			return fmt.Errorf("503 with Code %q, want %s (a full nonce store)", env.Code, gateway.CodeServiceUnavailable)
		}
		return nil
	default:
		return fmt.Errorf("status %d: want a 2xx, a 4xx or 503", a.status)
	}
	_, err := checkEnvelope(a, false)
	return err
}

// bodyCopy is a request body read once, to be served to two gateways.
type bodyCopy struct {
	data []byte
	err  error // the read error after data, if any (a truncated body)
}

// readAllLimited reads r's body (at most 1 MiB; the fuzzer's inputs are
// smaller) so it can be replayed.
func readAllLimited(r *http.Request) (*bodyCopy, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, 1<<20))
	return &bodyCopy{data: buf.Bytes(), err: err}, err
}

// replayBody replays a body copy, ending with the error the original read
// ended with.
type replayBody struct {
	*bytes.Reader
	err error
}

func (b *replayBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err != nil && b.err != nil {
		return n, b.err
	}
	return n, err
}

func (b *replayBody) Close() error { return nil }
