package signature

import (
	"net/http"
	"slices"
	"strings"
)

// Header names of the ROA and V3 styles (docs/protocol.md §2.1, §3.1). The x-acs-*
// names are written lowercase, as they are signed.
const (
	HeaderAuthorization        = "Authorization"
	HeaderDate                 = "Date"
	HeaderAccept               = "Accept"
	HeaderContentMD5           = "Content-MD5"
	HeaderContentType          = "Content-Type"
	HeaderACSAction            = "x-acs-action"
	HeaderACSVersion           = "x-acs-version"
	HeaderACSDate              = "x-acs-date"
	HeaderACSNonce             = "x-acs-signature-nonce"
	HeaderACSSignatureMethod   = "x-acs-signature-method"
	HeaderACSSignatureVersion  = "x-acs-signature-version"
	HeaderACSContentSHA256     = "x-acs-content-sha256"
	HeaderACSSecurityToken     = "x-acs-security-token"
	HeaderACSAccessKeyID       = "x-acs-accesskey-id"
	HeaderACSRequestID         = "x-acs-request-id"
	HeaderACSCredentialsSource = "x-acs-credentials-provider"
)

const acsPrefix = "x-acs-"

// Message is the part of an HTTP request that a ROA or V3 signature covers.
// The server side fills it from the request it received ([NewMessage]); the
// client side from the request it is about to send.
type Message struct {
	Method string
	Host   string // the Host header, signed by V3 as "host"
	Path   string // the decoded path; "" means "/"
	// RawPath is the path as received, escaped, when the server side knows
	// it: V3 canonicalizes it rather than Path, so that a %2F inside a
	// segment stays one (docs/protocol.md §3.2). "" means Path.
	RawPath string
	Query   Params // the decoded query parameters
	Header  http.Header
}

// NewMessage returns the signed parts of a received request: its method,
// Host, decoded and escaped path, form-decoded query and headers. A malformed
// percent-escape in the query is an *EscapeError.
func NewMessage(r *http.Request) (Message, error) {
	q, err := ParseQuery(nil, r.URL.RawQuery)
	return Message{Method: r.Method, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Query: q, Header: r.Header}, err
}

// headerValue returns the first value of the header named name, matched
// case-insensitively, without allocating. Second result reports presence.
func headerValue(h http.Header, name string) (string, bool) {
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0], true
	}
	// Several spellings of one name: the one first in byte order wins, as
	// it goes first on the wire (Header.Write sorts), whatever map order.
	best, found := "", false
	for k, v := range h {
		if len(v) > 0 && len(k) == len(name) && strings.EqualFold(k, name) && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return "", false
	}
	return h[best][0], true
}

// HeaderValue returns the first value of the header named name, matched
// case-insensitively, trimmed of surrounding white space.
func HeaderValue(h http.Header, name string) string {
	v, _ := headerValue(h, name)
	return strings.TrimSpace(v)
}

// appendHeaderValue appends v trimmed, with \t \n \r \f inside turned into
// spaces (docs/protocol.md §2.2).
func appendHeaderValue(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\t', '\n', '\r', '\f':
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendLower appends s in ASCII lowercase.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// compareFold compares a and b as if both were ASCII lowercase.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := lower(a[i]), lower(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func compareFoldThenBytes(a, b string) int {
	if c := compareFold(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// sortFold sorts names by their lowercase form, and spellings of one name
// in byte order, so that the order never depends on map iteration.
func sortFold(names []string) {
	if len(names) > 48 {
		slices.SortFunc(names, compareFoldThenBytes)
		return
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && compareFoldThenBytes(names[j], names[j-1]) < 0; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}
