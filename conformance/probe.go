package conformance

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxClockOffset bounds the offset of the target's clock, read from its
// Date header, that a run applies to the timestamps it signs. A gateway
// accepts ±15 minutes (docs/protocol.md §4.1), so a farther clock is wrong, not
// drifting: shifting by it would sign in another year (a Date of year 1
// once shifted every timestamp by 292 years).
const MaxClockOffset = time.Hour

// ClockFinding returns what to tell the user when the target's clock is
// more than MaxClockOffset from ours (its timestamps are then not shifted,
// and the timestamp checks may fail for that reason), and "" otherwise.
func ClockFinding(offset time.Duration) string {
	if offset >= -MaxClockOffset && offset <= MaxClockOffset {
		return ""
	}
	dir, abs := "ahead of", offset
	if offset < 0 {
		dir, abs = "behind", -offset
		if abs < 0 { // the most negative Duration has no opposite
			abs = time.Duration(1<<63 - 1)
		}
	}
	how := abs.Round(time.Second).String()
	if abs >= 48*time.Hour {
		how = fmt.Sprintf("%d days", abs/(24*time.Hour))
		if abs == time.Duration(1<<63-1) {
			how = "at least " + how // a Duration holds ±292 years
		}
	}
	return fmt.Sprintf("the target's clock is wrong: its Date header is %s %s ours, beyond the %s acsharness corrects for; timestamps were signed by this machine's clock, so timestamp checks may fail for that reason: set the gateway's clock (NTP)",
		how, dir, MaxClockOffset)
}

// Error says the target never answered, or, when it answered but TLS
// failed, what was wrong with its certificate and how to fix it: a TLS
// failure is not a reachability problem and gets its own hint.
func (e *UnreachableError) Error() string {
	if isTLS(e.Err) {
		return fmt.Sprintf("TLS with the target %s failed: %v (%s)", e.Target, e.Err, tlsHint(e.Err))
	}
	return fmt.Sprintf("the target %s never answered: %v (is it running, and is the URL right?)", e.Target, e.Err)
}

// isTLS reports whether err is a TLS failure rather than a silent target.
func isTLS(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// tlsHint says what to do about a TLS failure.
func tlsHint(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknown):
		return "the certificate is signed by an authority this machine does not trust: pass the CA with --ca-cert FILE or set SSL_CERT_FILE"
	case errors.As(err, &hostname):
		names := "no name"
		if c := hostname.Certificate; c != nil {
			var all []string
			all = append(all, c.DNSNames...)
			for _, ip := range c.IPAddresses {
				all = append(all, ip.String())
			}
			if len(all) > 0 {
				names = strings.Join(all, ", ")
			}
		}
		return fmt.Sprintf("the certificate is for %s, not %s: address the target by a name the certificate holds, or give the gateway a certificate for this name", names, hostname.Host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the certificate has expired or is not valid yet: renew the gateway's certificate, or check this machine's clock"
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the target speaks plain HTTP on that port: use an http:// URL"
	}
	var record tls.RecordHeaderError
	if errors.As(err, &record) {
		return "the target does not speak TLS on that port: use an http:// URL, or the gateway's TLS port"
	}
	return "check the gateway's TLS setup and certificate; --ca-cert FILE trusts a private CA"
}
