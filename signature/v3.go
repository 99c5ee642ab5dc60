package signature

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// AppendV3CanonicalURI appends path with each "/"-separated segment
// percent-encoded under the rules of docs/protocol.md §1.3; an empty path is "/"
// (docs/protocol.md §3.2).
func AppendV3CanonicalURI(dst []byte, path string) []byte {
	if path == "" {
		return append(dst, '/')
	}
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '/' {
			dst = AppendPercentEncode(dst, path[start:i])
			if i < len(path) {
				dst = append(dst, '/')
			}
			start = i + 1
		}
	}
	return dst
}

// AppendV3CanonicalEscapedURI appends the canonical URI of a path as a
// server received it, escaped: each byte decoded from its %XY escape (a '%'
// without two hex digits is taken as it is) and percent-encoded again under
// docs/protocol.md §1.3, while a '/' of the escaped path separates segments. A path
// parameter holding "/" is sent as %2F and canonicalized as %2F, as the SDKs
// sign it; the decoded path cannot tell it from a separator (docs/protocol.md §3.2,
// §9 F9). For every other path this equals [AppendV3CanonicalURI] of the
// decoded path.
func AppendV3CanonicalEscapedURI(dst []byte, escaped string) []byte {
	if escaped == "" {
		return append(dst, '/')
	}
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		if c == '/' {
			dst = append(dst, '/')
			continue
		}
		if c == '%' && i+2 < len(escaped) {
			if h, l := unhex(escaped[i+1]), unhex(escaped[i+2]); h >= 0 && l >= 0 {
				c = byte(h<<4 | l)
				i += 2
			}
		}
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}

// AppendV3CanonicalQuery appends the V3 canonical query string: parameters
// sorted by name in byte order, percentEncode(name) "=" percentEncode(value)
// joined by "&"; an empty value gives "k=", unlike ROA's bare "k"
// (docs/protocol.md §3.2).
//
// The names are encoded as the V3 documentation says; both official SDKs
// leave names unencoded (openapi-util getCanonicalQueryString), which
// differs only for a name outside A–Z a–z 0–9 - _ . ~, which no API has.
func AppendV3CanonicalQuery(dst []byte, query Params) []byte {
	var buf [32]Param
	for i, p := range sortedCopy(buf[:], query, "") {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = AppendPercentEncode(dst, p.Key)
		dst = append(dst, '=')
		dst = AppendPercentEncode(dst, p.Value)
	}
	return dst
}

// isV3Signable reports whether a header must be signed under V3: host,
// content-type and every x-acs-* header (docs/protocol.md §3.2).
func isV3Signable(name string) bool {
	return strings.EqualFold(name, "host") || strings.EqualFold(name, "content-type") || hasPrefixFold(name, acsPrefix)
}

// V3SignedHeaders returns the lowercase, sorted names of the headers of m
// that a V3 signature must cover: host (always) and every content-type and
// x-acs-* header present (docs/protocol.md §3.2).
func V3SignedHeaders(m *Message) []string {
	names := []string{"host"}
	for k, v := range m.Header {
		if len(v) > 0 && isV3Signable(k) {
			names = append(names, strings.ToLower(k))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// UnsignedV3Headers returns the lowercase names of the headers of m that V3
// requires to be signed but signed leaves out, sorted; host counts as
// present.
func UnsignedV3Headers(m *Message, signed []string) []string {
	var missing []string
	for _, name := range V3SignedHeaders(m) {
		if !slices.Contains(signed, name) {
			missing = append(missing, name)
		}
	}
	return missing
}

// appendV3HeaderValues appends the trimmed values of the header named name
// (matched case-insensitively; host from m.Host), sorted and joined by ","
// as the SDK does for a repeated header (docs/protocol.md §3.2).
func appendV3HeaderValues(dst []byte, m *Message, name string) []byte {
	if name == "host" {
		return appendHeaderValue(dst, m.Host)
	}
	// Count the values first: returning the first single value met would
	// pick at random between two spellings of one name ("X-Acs-Foo" and
	// "x-acs-foo"), which travel as one repeated header. Header names are
	// ASCII tokens (RFC 9110 §5.6.2), so two spellings of one name have one
	// length: comparing lengths first keeps this full scan cheap.
	var only string
	n := 0
	for k, v := range m.Header {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			n += len(v)
			if len(v) > 0 {
				only = v[0]
			}
		}
	}
	if n <= 1 {
		return appendHeaderValue(dst, only)
	}
	vals := make([]string, 0, n)
	for k, v := range m.Header {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			for _, s := range v {
				vals = append(vals, strings.TrimSpace(s))
			}
		}
	}
	slices.Sort(vals)
	for i, s := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, s)
	}
	return dst
}

// AppendV3CanonicalRequest appends the canonical request of m signed over
// the headers named in signed (lowercase, in the order given):
//
//	METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//
// where the canonical headers end with their own "\n", so a blank line
// precedes the signed-header list, and the payload hash is the
// x-acs-content-sha256 header (docs/protocol.md §3.2).
func AppendV3CanonicalRequest(dst []byte, m *Message, signed []string) []byte {
	dst = append(dst, m.Method...)
	dst = append(dst, '\n')
	if m.RawPath != "" {
		dst = AppendV3CanonicalEscapedURI(dst, m.RawPath)
	} else {
		dst = AppendV3CanonicalURI(dst, m.Path)
	}
	dst = append(dst, '\n')
	dst = AppendV3CanonicalQuery(dst, m.Query)
	dst = append(dst, '\n')
	for _, name := range signed {
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = appendV3HeaderValues(dst, m, name)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	for i, name := range signed {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, name...)
	}
	dst = append(dst, '\n')
	payload, _ := headerValue(m.Header, HeaderACSContentSHA256)
	return append(dst, strings.TrimSpace(payload)...)
}

// appendV3StringToSign appends "ACS3-HMAC-SHA256\n" hex(sha256(canonical)).
func appendV3StringToSign(dst, canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	dst = append(dst, V3Algorithm...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, sum[:])
}

// SignV3 signs m over the headers named in signed (nil means
// [V3SignedHeaders]): hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" +
// hex(SHA-256(canonical request)))), keyed with the secret as is.
func SignV3(m *Message, signed []string, secret Secret) Artifacts {
	if signed == nil {
		signed = V3SignedHeaders(m)
	}
	canonical := AppendV3CanonicalRequest(nil, m, signed)
	sts := appendV3StringToSign(nil, canonical)
	mac := newMAC(macV3, secret)
	mac.Write(sts)
	return Artifacts{
		Style:        V3,
		Canonical:    string(canonical),
		StringToSign: string(sts),
		Signature:    hex.EncodeToString(mac.Sum(nil)),
	}
}

// VerifyV3 checks the Authorization header of m against the V3 signature
// computed with secret over the headers it names, and returns the
// server-side artefacts. It checks the signature only: the body hash and the
// coverage of the signed headers are the caller's (see [UnsignedV3Headers]).
func VerifyV3(m *Message, secret Secret) (Artifacts, bool) {
	var v Verifier
	auth, err := ParseV3Authorization(HeaderValue(m.Header, HeaderAuthorization))
	ok := v.V3(m, auth.SignedHeaders, secret, auth.Signature) && err == nil
	return v.Artifacts(), ok
}

// V3Auth is a parsed V3 Authorization header.
type V3Auth struct {
	Algorithm     string   // ACS3-HMAC-SHA256
	Credential    string   // the AccessKey ID
	SignedHeaders []string // lowercase names, in the order sent
	Signature     string   // lowercase hex
}

// String returns the header value, the inverse of [ParseV3Authorization].
func (a V3Auth) String() string {
	return a.Algorithm + " Credential=" + a.Credential + ",SignedHeaders=" +
		strings.Join(a.SignedHeaders, ";") + ",Signature=" + a.Signature
}

// ErrNotV3 reports an Authorization header that is not of the V3 form.
var ErrNotV3 = errors.New(`authorization header is not of the form "ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=..."`)

// ParseV3Authorization parses
// "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex". The
// three fields are required, once each, in any order, separated by commas
// with optional spaces. An algorithm other than ACS3-HMAC-SHA256 is parsed
// and returned with an error wrapping ErrNotV3, so a gateway can name it.
func ParseV3Authorization(v string) (V3Auth, error) {
	var a V3Auth
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.HasPrefix(alg, "ACS3-") {
		return a, ErrNotV3
	}
	a.Algorithm = alg
	seen := 0
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("%w: field %q has no '='", ErrNotV3, truncate(k, 32))
		}
		var bit int
		switch k {
		case "Credential":
			a.Credential, bit = val, 1
		case "SignedHeaders":
			if val != "" {
				a.SignedHeaders = strings.Split(val, ";")
			}
			bit = 2
		case "Signature":
			a.Signature, bit = val, 4
		default:
			return a, fmt.Errorf("%w: unknown field %q", ErrNotV3, truncate(k, 32))
		}
		if seen&bit != 0 {
			return a, fmt.Errorf("%w: field %s repeated", ErrNotV3, k)
		}
		seen |= bit
	}
	switch {
	case seen&1 == 0 || a.Credential == "":
		return a, fmt.Errorf("%w: no Credential", ErrNotV3)
	case seen&2 == 0 || len(a.SignedHeaders) == 0:
		return a, fmt.Errorf("%w: no SignedHeaders", ErrNotV3)
	case seen&4 == 0 || a.Signature == "":
		return a, fmt.Errorf("%w: no Signature", ErrNotV3)
	case alg != V3Algorithm:
		return a, fmt.Errorf("%w: unsupported algorithm %q", ErrNotV3, truncate(alg, 32))
	}
	return a, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ContentSHA256 returns the lowercase hex SHA-256 of body, the
// x-acs-content-sha256 header value.
func ContentSHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
