package load

import (
	"regexp"
	"strings"
)

// errorCauses are the transport failures a load run meets, by the text Go
// puts in their errors; the first that matches names the cause.
var errorCauses = []struct{ match, cause string }{
	{"connection refused", "connection refused"},
	{"connection reset", "connection reset by peer"},
	{"broken pipe", "broken pipe"},
	{"Client.Timeout exceeded", "timeout (no answer within --timeout)"},
	{"context deadline exceeded", "timeout (no answer within --timeout)"},
	{"i/o timeout", "timeout (i/o)"},
	{"no such host", "DNS: no such host"},
	{"server misbehaving", "DNS: server misbehaving"},
	{"x509:", "TLS: certificate not trusted or invalid"},
	{"tls:", "TLS handshake failed"},
	{"too many open files", "too many open files (raise ulimit -n or lower --max-workers)"},
	{"cannot assign requested address", "out of local ports (cannot assign requested address)"},
	{"network is unreachable", "network unreachable"},
	{"no route to host", "no route to host"},
	{"server closed idle connection", "connection closed by the server (EOF)"},
	{"EOF", "connection closed by the server (EOF)"},
	{"context canceled", "stopped (the run was interrupted)"},
}

var (
	// quotedURL is the `Get "http://…":` prefix net/http puts first.
	quotedURL = regexp.MustCompile(`^[A-Za-z]+ "[^"]*": `)
	// hostPort is an address, which holds an ephemeral port in a reset.
	hostPort = regexp.MustCompile(`\[?[0-9a-fA-F:.]+\]?:\d+`)
)

// ErrorCause names the cause of a transport error, never the request's URL:
// errors are grouped by it, so that one cause ("connection refused") is one
// entry however many requests it failed, whatever their URL, timestamp or
// nonce.
func ErrorCause(err string) string {
	for _, c := range errorCauses {
		if strings.Contains(err, c.match) {
			return c.cause
		}
	}
	e := quotedURL.ReplaceAllString(err, "")
	e = hostPort.ReplaceAllString(e, "ADDR")
	if len(e) > 120 {
		e = e[:120] + "…"
	}
	return e
}
