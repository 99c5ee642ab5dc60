package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

// startServe runs Serve in the background and returns its addresses and a
// stop function that waits for the graceful shutdown.
func startServe(t *testing.T, g *Gateway, opts ServeOptions) (addr, metricsAddr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	opts.Ready = func(a, m string) { ready <- [2]string{a, m} }
	errc := make(chan error, 1)
	go func() { errc <- Serve(ctx, g, opts) }()
	select {
	case a := <-ready:
		return a[0], a[1], func() error {
			cancel()
			select {
			case err := <-errc:
				return err
			case <-time.After(15 * time.Second):
				return context.DeadlineExceeded
			}
		}
	case err := <-errc:
		cancel()
		t.Fatalf("Serve: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("Serve did not start")
	}
	return "", "", nil
}

func TestServeTLSSelfSignedAndMetrics(t *testing.T) {
	t.Parallel()
	g, err := New(Config{})
	require.NoError(t, err)
	certOut := filepath.Join(t.TempDir(), "cert.pem")
	addr, metricsAddr, stop := startServe(t, g, ServeOptions{Addr: "127.0.0.1:0", TLSSelfSigned: true, TLSCertOut: certOut, MetricsAddr: "127.0.0.1:0"})

	pemBytes, err := os.ReadFile(certOut)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes), "--tls-cert-out holds a PEM certificate")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	b := &signature.Builder{Credentials: demo}
	s, err := b.Sign(signature.Request{Style: signature.RPC, Endpoint: "https://" + addr, Action: "ListInstances", Version: "2019-12-12"})
	require.NoError(t, err)
	req, err := s.HTTPRequest(context.Background())
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err, "the client trusts the written certificate for 127.0.0.1")
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	mresp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	assert.Contains(t, string(body), `acsharness_gateway_requests_total{action="ListInstances",code="OK",product="amqp-open",style="rpc"} 1`)
	assert.Contains(t, string(body), "acsharness_gateway_nonce_store_entries 1")
	assert.Contains(t, string(body), "go_goroutines", "runtime metrics are served too")
	assert.NoError(t, stop(), "graceful shutdown")
}

func TestServeGracefulShutdownFinishesInFlight(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	g, err := New(Config{})
	require.NoError(t, err)
	// A slow backend action stands in for a request in flight.
	g.backends["amqp-open"].actions["ListInstances"].handle = func(*backend, signature.Params) (response, *apiError) {
		close(started)
		<-release
		return &emptyResponse{}, nil
	}
	addr, _, stop := startServe(t, g, ServeOptions{Addr: "127.0.0.1:0"})
	b := &signature.Builder{Credentials: demo}
	s, err := b.Sign(signature.Request{Style: signature.RPC, Endpoint: "http://" + addr, Action: "ListInstances", Version: "2019-12-12"})
	require.NoError(t, err)
	req, _ := s.HTTPRequest(context.Background())
	done := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	assert.Equal(t, 200, <-done, "the request in flight finishes during shutdown")
	assert.NoError(t, <-stopped)
}

func TestServeSetupErrors(t *testing.T) {
	t.Parallel()
	g, err := New(Config{})
	require.NoError(t, err)
	for _, opts := range []ServeOptions{
		{Addr: "127.0.0.1:0", TLSCert: "missing.pem"},
		{Addr: "127.0.0.1:0", TLSCert: "missing.pem", TLSKey: "missing.key"},
		{Addr: "256.0.0.1:1"},
	} {
		err := Serve(context.Background(), g, opts)
		var setup *SetupError
		assert.ErrorAs(t, err, &setup, "%+v", opts)
	}
}

func TestMetricsLabelsAreBounded(t *testing.T) {
	t.Parallel()
	g, srv := testGateway(t, Config{})
	send(t, srv, demo, rabbit("ListInstances"), nil)
	send(t, srv, demo, rabbit("Action-"+strings.Repeat("x", 40)), nil) // an unknown action name from a client
	send(t, srv, demo, signature.Request{Style: signature.RPC, Action: "ListInstances", Version: "2019-12-12", Host: "evil.example.com"}, nil)
	expected := `
# HELP acsharness_gateway_requests_total Requests answered, by product, action, signing style and result (OK or the error code).
# TYPE acsharness_gateway_requests_total counter
acsharness_gateway_requests_total{action="ListInstances",code="OK",product="amqp-open",style="rpc"} 1
acsharness_gateway_requests_total{action="unknown",code="InvalidAction.NotFound",product="amqp-open",style="rpc"} 1
acsharness_gateway_requests_total{action="unknown",code="InvalidProduct.NotFound",product="unknown",style="unknown"} 1
`
	require.NoError(t, testutil.CollectAndCompare(g.metrics.requests, strings.NewReader(expected)))
	assert.Equal(t, "other", boundedCode("Weird.Code"))
	assert.Equal(t, CodeMissingParameter, boundedCode("MissingParameter.InstanceId"))
}

func TestStartLocal(t *testing.T) {
	t.Parallel()
	l, err := StartLocal(Config{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(l.URL, "http://127.0.0.1:"))
	resp, err := http.Get(l.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.NoError(t, l.Close())
}
