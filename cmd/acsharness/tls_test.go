package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
)

// serveTLS runs `acsharness serve --tls-self-signed --tls-cert-out` in
// process on 127.0.0.1 and returns its URL and the certificate file.
func serveTLS(t *testing.T) (url, certFile string) {
	t.Helper()
	certFile = filepath.Join(t.TempDir(), "gw.pem")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	e := &env{ctx: ctx, stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(e, []string{"serve", "--addr", "127.0.0.1:0", "--tls-self-signed", "--tls-cert-out", certFile, "--log-format", "text", "--no-access-log"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	listening := regexp.MustCompile(`url=(https://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], certFile
		}
	}
	t.Fatalf("serve did not start: %s", stderr.String())
	return "", ""
}

// tlsGateway serves the reference gateway over TLS on 127.0.0.1 with a
// certificate made by cert, and returns its URL and the certificate file.
func tlsGateway(t *testing.T, tmpl *x509.Certificate) (url, certFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.Subject = pkix.Name{CommonName: "acsharness test gateway"}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certFile = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	g, err := gateway.New(gateway.Config{})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(g.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, certFile
}

// One short selection: a valid request of each style.
var shortRun = []string{"--scenario", "signature/valid", "--product", "mqtt", "--color", "never"}

// A gateway over TLS with a certificate of its own: conform and load reach
// it with --ca-cert, and without it exit 4 with a TLS hint, not the
// reachability one.
func TestTLSWithCACert(t *testing.T) {
	t.Parallel()
	url, certFile := serveTLS(t)
	for _, cmd := range [][]string{
		append([]string{"conform"}, shortRun...),
		{"load", "--requests", "3", "--rate", "100/s", "--quiet", "--slo", "success==100%"},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{}, cmd...), "--target", url)
			code, out, errOut := runCLI(t, demoEnv(), args...)
			assert.Equal(t, exitUnreachable, code, "an untrusted certificate: %s", errOut)
			assert.Contains(t, errOut, "certificate signed by unknown authority")
			assert.Contains(t, errOut, "pass the CA with --ca-cert FILE or set SSL_CERT_FILE")
			assert.NotContains(t, errOut, "is it running", "a TLS failure is not a reachability problem")
			assert.Empty(t, out)

			code, out, errOut = runCLI(t, demoEnv(), append(args, "--ca-cert", certFile)...)
			assert.Equal(t, exitOK, code, "trusted with --ca-cert:\n%s\n%s", out, errOut)
		})
	}
}

// Each kind of certificate failure gets its own hint.
func TestTLSFailureHints(t *testing.T) {
	t.Parallel()
	now := time.Now()
	wrongName, wrongNameCert := tlsGateway(t, &x509.Certificate{DNSNames: []string{"gateway.example"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)})
	expired, expiredCert := tlsGateway(t, &x509.Certificate{IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	plain := httptest.NewServer(nil)
	t.Cleanup(plain.Close)
	for _, tc := range []struct {
		name, target, caCert, want string
	}{
		{"hostname mismatch", wrongName, wrongNameCert, "the certificate is for gateway.example, not 127.0.0.1"},
		{"expired", expired, expiredCert, "the certificate has expired or is not valid yet: renew the gateway's certificate, or check this machine's clock"},
		{"no TLS on the port", "https://" + plain.Listener.Addr().String(), "", "use an http:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"conform", "--target", tc.target}, shortRun...)
			if tc.caCert != "" {
				args = append(args, "--ca-cert", tc.caCert)
			}
			code, _, errOut := runCLI(t, demoEnv(), args...)
			assert.Equal(t, exitUnreachable, code, errOut)
			assert.Contains(t, errOut, "TLS with the target")
			assert.Contains(t, errOut, tc.want)
			assert.NotContains(t, errOut, "is it running")
		})
	}
}

// Go reads SSL_CERT_FILE for the system's roots, as the README says: in a
// process of its own (the roots are read once per process).
func TestSSLCertFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts acsharness as a process")
	}
	t.Parallel()
	url, certFile := serveTLS(t)
	cmd := exec.Command(os.Args[0], append([]string{"conform", "--target", url}, shortRun...)...)
	cmd.Env = childEnv(t, "SSL_CERT_FILE="+certFile)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "SSL_CERT_FILE trusts the gateway's certificate:\n%s", out)
	assert.Contains(t, string(out), "PASS all")
}

func TestCACertMistakes(t *testing.T) {
	t.Parallel()
	notPEM := writeFile(t, "ca.pem", "not a certificate\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not PEM", []string{"--target", "https://127.0.0.1:1", "--ca-cert", notPEM}, "holds no PEM certificate"},
		{"missing file", []string{"--target", "https://127.0.0.1:1", "--ca-cert", notPEM + ".missing"}, "--ca-cert: open"},
		{"with --insecure", []string{"--target", "https://127.0.0.1:1", "--ca-cert", notPEM, "--insecure"}, "--ca-cert and --insecure exclude each other"},
		{"plain HTTP target", []string{"--target", "http://127.0.0.1:1", "--ca-cert", notPEM}, "--ca-cert is for an https:// target"},
	} {
		for _, cmd := range []string{"conform", "load"} {
			t.Run(cmd+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				code, _, errOut := runCLI(t, demoEnv(), append([]string{cmd, "--quiet"}, tc.args...)...)
				assert.Equal(t, exitUsage, code, errOut)
				assert.Contains(t, errOut, tc.want)
			})
		}
	}
}
