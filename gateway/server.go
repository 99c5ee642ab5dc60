package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ServeOptions are the operational settings of a running gateway.
type ServeOptions struct {
	// Addr is the listen address; "" means 127.0.0.1:8080 (loopback only).
	Addr string
	// KeysFile is a YAML keys file (see LoadKeys); "" means the demo keys.
	KeysFile string
	// TLSCert and TLSKey serve HTTPS with this certificate.
	TLSCert string
	TLSKey  string
	// TLSSelfSigned serves HTTPS with a certificate generated at start for
	// localhost, 127.0.0.1, ::1 and *.aliyuncs.com; TLSCertOut, when set,
	// receives it in PEM so that clients can trust it.
	TLSSelfSigned bool
	TLSCertOut    string
	// MetricsAddr serves Prometheus metrics at /metrics on its own
	// listener; "" serves none.
	MetricsAddr string
	// MaxConns caps the open connections of the API listener: one more is
	// closed as soon as it is accepted, so that a flood of idle or slow
	// connections cannot exhaust the process's file limit while the
	// connections already open keep being served. 0 means DefaultMaxConns,
	// lowered to half the open-file limit where that is lower.
	MaxConns int
	// ShutdownTimeout bounds the graceful shutdown; 0 means 10 s.
	ShutdownTimeout time.Duration

	// Logger receives the server's own messages; nil discards them.
	Logger *slog.Logger
	// Ready, when set, is called with the bound addresses once listening.
	Ready func(addr, metricsAddr string)
	// Wrap, when set, wraps the gateway's handler: `acsharness serve
	// --record` records every request through it.
	Wrap func(http.Handler) http.Handler
}

// SetupError is an error Serve met before serving: a certificate that does
// not load, an address that cannot be bound. The command line reports it
// as an invalid invocation.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// DefaultAddr is where `acsharness serve` listens by default: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// DefaultMaxConns is the default connection cap of `acsharness serve`: well
// under the usual open-file limits, and far above what a load run of this
// project opens. On a machine whose limit is lower, half of it is used.
const DefaultMaxConns = 4096

// Timeouts of the servers (API and metrics). Headers must arrive within
// readHeaderTimeout; an idle keep-alive connection is closed after
// idleTimeout. The body and write timeouts are the gateway's settings
// (Config.BodyTimeout, Config.WriteTimeout).
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// maxConns returns the connection cap for a MaxConns setting.
func maxConns(setting int) int {
	if setting > 0 {
		return setting
	}
	if limit := openFileLimit(); limit > 0 && limit/2 < DefaultMaxConns {
		return max(1, limit/2)
	}
	return DefaultMaxConns
}

// Serve runs g on an HTTP(S) server until ctx is done, then shuts it down
// gracefully: requests in flight finish, new connections are refused. A
// nonce sweeper runs alongside, and metrics are served when asked.
func Serve(ctx context.Context, g *Gateway, opts ServeOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	var tlsConfig *tls.Config
	switch {
	case opts.TLSCert != "" && opts.TLSKey != "" && !opts.TLSSelfSigned:
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return &SetupError{fmt.Errorf("--tls-cert/--tls-key: %w", err)}
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case opts.TLSSelfSigned:
		cert, pemBytes, err := SelfSignedCert(hostOnly(opts.Addr))
		if err != nil {
			return err
		}
		if opts.TLSCertOut != "" {
			if err := os.WriteFile(opts.TLSCertOut, pemBytes, 0o644); err != nil {
				return &SetupError{fmt.Errorf("--tls-cert-out: %w", err)}
			}
		}
		sum := sha256.Sum256(cert.Certificate[0])
		log.Info("self-signed certificate", "sha256", hex.EncodeToString(sum[:]), "pem", opts.TLSCertOut)
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case opts.TLSCert != "" || opts.TLSKey != "":
		return &SetupError{errors.New("--tls-cert and --tls-key go together: pass both, or --tls-self-signed")}
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return &SetupError{fmt.Errorf("listen on %s: %w (is another server on that port? pick another with --addr)", opts.Addr, err)}
	}
	// The cap counts TCP connections, beneath TLS: a refused connection
	// costs no handshake.
	ln = newLimitListener(ln, maxConns(opts.MaxConns), g.metrics.refused)
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	srv := newHTTPServer(g)
	if opts.Wrap != nil {
		srv.Handler = opts.Wrap(srv.Handler)
	}

	var metricsSrv *http.Server
	metricsAddr := ""
	if opts.MetricsAddr != "" {
		mln, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			ln.Close()
			return &SetupError{fmt.Errorf("listen on --metrics-addr %s: %w", opts.MetricsAddr, err)}
		}
		metricsAddr = mln.Addr().String()
		reg := g.Registry()
		if reg != nil {
			_ = reg.Register(collectors.NewGoCollector())
			_ = reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		}
		var gatherer prometheus.Gatherer = reg
		if reg == nil {
			gatherer = prometheus.DefaultGatherer
		}
		metricsSrv = NewMetricsServer(gatherer)
		go func() { _ = metricsSrv.Serve(mln) }()
	}

	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	log.Info("gateway listening", "url", scheme+"://"+ln.Addr().String(), "metrics", metricsAddr)
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String(), metricsAddr)
	}

	sweepDone := sweepNonces(ctx, g.Nonces())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(sctx)
	}
	<-sweepDone
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	return nil
}

// sweepNonces evicts the expired nonces of store every minute until ctx is
// done, so that an idle store gives its memory back; the returned channel
// closes when it has stopped. (Capacity does not wait for it: a full store
// sweeps itself before it refuses a nonce.)
func sweepNonces(ctx context.Context, store *NonceStore) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				store.Sweep()
			}
		}
	}()
	return done
}

// newHTTPServer wraps the gateway in an http.Server with timeouts. Its
// header limit is twice the gateway's, so that requests a little over the
// gateway's limit still reach it and get an envelope; beyond that, net/http
// answers 431 itself. The gateway gives a request's body Config.BodyTimeout
// to arrive, less than the write timeout, so that a body too slow still
// gets its envelope; the read timeout is only a backstop.
func newHTTPServer(g *Gateway) *http.Server {
	return &http.Server{
		Handler:           g.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       g.cfg.WriteTimeout,
		WriteTimeout:      g.cfg.WriteTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    2 * g.cfg.MaxHeaderBytes,
	}
}

// NewMetricsServer returns a server of gatherer's metrics at /metrics with
// the API server's timeouts, an idle keep-alive connection included: a
// scraper that keeps connections open cannot hold them forever. `acsharness
// serve --metrics-addr` and `acsharness load --metrics-addr` use it.
func NewMetricsServer(gatherer prometheus.Gatherer) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       idleTimeout,
	}
}

// Local is a gateway running in-process on a loopback port: the embedded
// default target of `acsharness conform` and `acsharness load`.
type Local struct {
	// URL is the base URL, http://127.0.0.1:<port>.
	URL       string
	Gateway   *Gateway
	srv       *http.Server
	done      chan struct{}
	stopSweep context.CancelFunc
	swept     <-chan struct{}
}

// StartLocal starts a gateway built from cfg on 127.0.0.1, on a free port.
func StartLocal(cfg Config) (*Local, error) {
	g, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the in-process gateway: %w", err)
	}
	l := &Local{URL: "http://" + ln.Addr().String(), Gateway: g, srv: newHTTPServer(g), done: make(chan struct{})}
	var ctx context.Context
	ctx, l.stopSweep = context.WithCancel(context.Background())
	l.swept = sweepNonces(ctx, g.Nonces())
	go func() {
		defer close(l.done)
		_ = l.srv.Serve(ln)
	}()
	return l, nil
}

// Close stops the gateway, letting requests in flight finish for up to 5 s.
func (l *Local) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	<-l.done
	l.stopSweep()
	<-l.swept
	return err
}

// SelfSignedCert generates an ECDSA P-256 certificate valid for a year for
// localhost, 127.0.0.1, ::1, *.aliyuncs.com and host (when not empty), and
// returns it with its PEM encoding.
func SelfSignedCert(host string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"acsharness"}, CommonName: "acsharness reference gateway"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost", "*.aliyuncs.com"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		if ip := net.ParseIP(host); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, host)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes, nil
}
