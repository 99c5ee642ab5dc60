package gateway_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// benchParams are the parameters of the benchmarks' RPC request, the shape
// the official SDK sends for RabbitMQ ListInstances (docs/protocol.md §1.7.4), but
// for SignatureNonce, Timestamp and Signature, which each request supplies.
func benchParams() signature.Params {
	return signature.Params{
		{Key: "AccessKeyId", Value: gateway.DemoKeyID}, {Key: "Action", Value: "ListInstances"},
		{Key: "Format", Value: "JSON"}, {Key: "MaxResults", Value: "10"}, {Key: "RegionId", Value: "cn-hangzhou"},
		{Key: "SignatureMethod", Value: signature.SignatureMethodHMACSHA1}, {Key: "SignatureType", Value: ""},
		{Key: "SignatureVersion", Value: signature.SignatureVersion10}, {Key: "Version", Value: "2019-12-12"},
	}
}

// rpcQuerySigner makes the query strings of valid, distinct RPC requests: a
// fresh nonce each, signed through the template without allocating.
type rpcQuerySigner struct {
	tmpl   *signature.RPCTemplate
	nonces *signature.NonceSource
	ts     []byte
}

func newRPCQuerySigner(tb testing.TB) *rpcQuerySigner {
	tb.Helper()
	tmpl, err := signature.NewRPCTemplate(http.MethodGet, benchParams(), gateway.DemoKeySecret)
	if err != nil {
		tb.Fatal(err)
	}
	return &rpcQuerySigner{tmpl: tmpl, nonces: signature.NewNonceSource(), ts: signature.AppendTimestamp(nil, hostileNow)}
}

// rpcBuffers are one goroutine's signing buffers.
type rpcBuffers struct{ nonce, sig []byte }

// appendQuery appends a freshly signed query string to dst.
func (s *rpcQuerySigner) appendQuery(dst []byte, b *rpcBuffers) []byte {
	b.nonce = s.nonces.Append(b.nonce[:0])
	b.sig = s.tmpl.AppendSignature(b.sig[:0], b.nonce, s.ts)
	return s.tmpl.AppendQuery(dst, b.sig, b.nonce, s.ts)
}

func benchGateway(tb testing.TB) *gateway.Gateway {
	return newHostileGateway(tb, func(c *gateway.Config) { c.NonceCapacity = 1 << 26 })
}

// BenchmarkHandlerRPC serves a valid RPC request in-process: parse, check,
// verify, record the nonce, run the action, write the JSON answer. Each
// iteration signs a fresh nonce through the template (the "sign" sub-
// benchmark is that part alone, to subtract).
func BenchmarkHandlerRPC(b *testing.B) {
	// "serve" writes into httptest's recorder; "serve-reused-writer" into a
	// ResponseWriter that keeps its header map, as net/http's connection
	// keeps its buffers: the recorder's own allocations (6 per request)
	// hide the gateway's. One allocation per iteration is the benchmark's
	// own: the request URI's string.
	for _, reuse := range []bool{false, true} {
		name := "serve"
		if reuse {
			name = "serve-reused-writer"
		}
		b.Run(name, func(b *testing.B) {
			h := benchGateway(b).Handler()
			s := newRPCQuerySigner(b)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = hostAMQP
			var bufs rpcBuffers
			uri := []byte("/?")
			w := &reusedWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				uri = s.appendQuery(uri[:2], &bufs)
				r.RequestURI = string(uri)
				r.URL.RawQuery = r.RequestURI[2:]
				if reuse {
					clear(w.h)
					h.ServeHTTP(w, r)
				} else {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, r)
					w.status = rec.Code
				}
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
	b.Run("sign", func(b *testing.B) {
		s := newRPCQuerySigner(b)
		var bufs rpcBuffers
		uri := []byte("/?")
		b.ReportAllocs()
		for b.Loop() {
			uri = s.appendQuery(uri[:2], &bufs)
		}
	})
}

// BenchmarkVerifyRPC is the verification alone: form-decode the query, then
// rebuild the string to sign and compare the HMAC with a warm Verifier.
func BenchmarkVerifyRPC(b *testing.B) {
	s := newRPCQuerySigner(b)
	raw := string(s.appendQuery(nil, &rpcBuffers{}))
	var params signature.Params
	var v signature.Verifier
	b.ReportAllocs()
	for b.Loop() {
		var err error
		params, err = signature.ParseQuery(params[:0], raw)
		if err != nil {
			b.Fatal(err)
		}
		sig, _ := params.Get(signature.ParamSignature)
		if !v.RPC(http.MethodGet, params, gateway.DemoKeySecret, sig) {
			b.Fatal("the signature does not verify")
		}
	}
}

// BenchmarkLoopback measures, side by side in one run, the loopback
// throughput of the gateway serving valid signed RPC requests (a fresh
// nonce each) and of a bare net/http handler answering the same bytes and
// headers, with loopbackClients concurrent keep-alive clients. It reports
// both rates and their ratio; ns/op is the time of one request to each.
// Its clients share the process and the cores with the servers, which
// flatters the costlier side: the goals (throughput ≥ 0.90 of the bare
// handler's, server CPU per request ≤ 1.25×) are measured by `acsharness
// bench gateway`, its client in another process.
func BenchmarkLoopback(b *testing.B) {
	const loopbackClients = 32
	g := benchGateway(b)
	gw := httptest.NewServer(g.Handler())
	defer gw.Close()

	// The bare handler answers what the gateway answers: capture one reply.
	s := newRPCQuerySigner(b)
	probe, probeReq := httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/?"+string(s.appendQuery(nil, &rpcBuffers{})), nil)
	probeReq.Host = hostAMQP
	g.Handler().ServeHTTP(probe, probeReq)
	if probe.Code != http.StatusOK {
		b.Fatalf("probe: %d %s", probe.Code, probe.Body)
	}
	body, header := probe.Body.Bytes(), probe.Result().Header
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for _, k := range []string{"Content-Type", gateway.HeaderRequestID, gateway.HeaderTraceID, "Access-Control-Allow-Origin", "Content-Length"} {
			h[k] = header[k]
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}))
	defer bare.Close()

	client := &http.Client{Timeout: caseTimeout, Transport: &http.Transport{
		MaxIdleConns: 2 * loopbackClients, MaxIdleConnsPerHost: 2 * loopbackClients, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()

	// run sends n requests to base from loopbackClients goroutines and
	// returns the wall time.
	run := func(base string, n int) time.Duration {
		var next atomic.Int64
		var mu sync.Mutex
		var failed error
		var wg sync.WaitGroup
		start := time.Now()
		for range loopbackClients {
			wg.Go(func() {
				var bufs rpcBuffers
				target := []byte(base + "/?")
				prefix := len(target)
				for next.Add(1) <= int64(n) {
					target = s.appendQuery(target[:prefix], &bufs)
					req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, string(target), nil)
					if err == nil {
						req.Host = hostAMQP
						var resp *http.Response
						if resp, err = client.Do(req); err == nil {
							_, _ = io.Copy(io.Discard, resp.Body)
							_ = resp.Body.Close()
							if resp.StatusCode != http.StatusOK {
								err = fmt.Errorf("status %d", resp.StatusCode)
							}
						}
					}
					if err != nil {
						mu.Lock()
						failed = cmp.Or(failed, err)
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		if failed != nil {
			b.Fatalf("loopback request to %s: %v", base, failed)
		}
		return time.Since(start)
	}

	// Open the keep-alive connections before timing.
	run(bare.URL, 4*loopbackClients)
	run(gw.URL, 4*loopbackClients)
	b.ResetTimer()
	var tBare, tGw time.Duration
	// Alternate in eight rounds, so that a slow patch of a shared machine
	// weighs on both sides alike.
	const rounds = 8
	for i := range rounds {
		n := b.N*(i+1)/rounds - b.N*i/rounds
		tBare += run(bare.URL, n)
		tGw += run(gw.URL, n)
	}
	b.StopTimer()
	bareRate := float64(b.N) / tBare.Seconds()
	gwRate := float64(b.N) / tGw.Seconds()
	b.ReportMetric(gwRate, "gw-req/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(gwRate/bareRate, "gw/bare")
}
