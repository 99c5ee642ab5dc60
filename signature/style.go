package signature

import (
	"crypto/hmac"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Style is one of the three signing styles a POP gateway accepts.
type Style string

// The three signing styles.
const (
	RPC Style = "rpc" // HMAC-SHA1 over the canonical query, SignatureVersion=1.0 (docs/protocol.md §1)
	ROA Style = "roa" // "Authorization: acs AK:Signature" over headers and resource (docs/protocol.md §2)
	V3  Style = "v3"  // "Authorization: ACS3-HMAC-SHA256 ..." over a canonical request (docs/protocol.md §3)
)

// Styles lists every style, in the order reports show them.
var Styles = []Style{RPC, ROA, V3}

// ParseStyle returns the style named s (case-insensitive), or an error that
// lists the valid names.
func ParseStyle(s string) (Style, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "rpc":
		return RPC, nil
	case "roa":
		return ROA, nil
	case "v3", "acs3", "acs3-hmac-sha256":
		return V3, nil
	}
	return "", fmt.Errorf("unknown signing style %q: use rpc, roa or v3", s)
}

// StyleOfAuthorization tells a request's style from its Authorization
// header, as a gateway does (docs/protocol.md §4.2): "ACS3-…" is V3,
// "acs …" is ROA, anything else (none at all included) is RPC, whose
// signature travels in the query.
func StyleOfAuthorization(authorization string) Style {
	switch {
	case strings.HasPrefix(authorization, "ACS3-"):
		return V3
	case strings.HasPrefix(authorization, "acs "):
		return ROA
	}
	return RPC
}

// Artifacts are the intermediate results of one signature, the same on the
// client and the server side, so that two implementations can be compared
// step by step.
type Artifacts struct {
	Style Style `json:"style"`
	// Canonical is the canonical form: the canonical query string for RPC,
	// the canonicalized x-acs-* headers followed by the canonicalized resource
	// for ROA, the canonical request for V3.
	Canonical string `json:"canonical"`
	// StringToSign is the exact input of the HMAC.
	StringToSign string `json:"string_to_sign"`
	// Signature is base64 (RPC, ROA) or lowercase hex (V3).
	Signature string `json:"signature"`
}

// Fixed protocol values (docs/protocol.md §1.1, §2.1, §3.2).
const (
	SignatureMethodHMACSHA1 = "HMAC-SHA1"
	SignatureVersion10      = "1.0"
	V3Algorithm             = "ACS3-HMAC-SHA256"
	// EmptySHA256 is the hex SHA-256 of an empty body, the x-acs-content-sha256
	// of every request without one.
	EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// EmptyMD5 is the Content-MD5 of an empty body.
	EmptyMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
)

// Time layouts on the wire.
const (
	// TimestampLayout is the RPC Timestamp and V3 x-acs-date form: ISO 8601 in
	// UTC with a Z (docs/protocol.md §1.1).
	TimestampLayout = "2006-01-02T15:04:05Z"
	// DateLayout is the ROA Date header form, RFC 1123 in GMT (docs/protocol.md §2.1).
	DateLayout = "Mon, 02 Jan 2006 15:04:05 GMT"
)

// AppendTimestamp appends t in UTC as an RPC Timestamp or V3 x-acs-date.
func AppendTimestamp(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, TimestampLayout)
}

// AppendDate appends t in GMT as a ROA Date header.
func AppendDate(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, DateLayout)
}

const redacted = "[redacted]"

// Secret is an AccessKey secret or a security token. It prints as
// "[redacted]" under every fmt verb, in JSON, in text encodings and in slog,
// so that it cannot leak into output, reports or errors by accident. Convert
// it with string(s) only where the bytes are needed: to key an HMAC.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]".
func (Secret) GoString() string { return redacted }

// Format writes "[redacted]" whatever the verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalText returns "[redacted]", so JSON, YAML and XML never carry a secret.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue returns "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// macKind is the HMAC a style uses.
type macKind uint8

const (
	macRPC macKind = iota // HMAC-SHA1 keyed with secret + "&"
	macROA                // HMAC-SHA1 keyed with the secret
	macV3                 // HMAC-SHA256 keyed with the secret
)

// hash returns the hash and the key of kind's HMAC with secret.
func (kind macKind) hash(secret Secret) (func() hash.Hash, []byte) {
	switch kind {
	case macRPC:
		key := make([]byte, 0, len(secret)+1)
		return sha1New, append(append(key, secret...), '&')
	case macROA:
		return sha1New, []byte(secret)
	default:
		return sha256New, []byte(secret)
	}
}

func newMAC(kind macKind, secret Secret) hash.Hash {
	newHash, key := kind.hash(secret)
	return hmac.New(newHash, key)
}

// prefixMAC prepares kind's HMAC with secret over messages starting with
// prefix (newPrefixMAC).
func (kind macKind) prefixMAC(secret Secret, prefix []byte) prefixMAC {
	newHash, key := kind.hash(secret)
	return newPrefixMAC(newHash, key, prefix)
}

// ctEqual compares a and b in time that depends only on their lengths.
func ctEqual(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}
