package signature

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// RPC common parameter names (docs/protocol.md §1.1). Names are case-sensitive.
const (
	ParamAction           = "Action"
	ParamVersion          = "Version"
	ParamFormat           = "Format"
	ParamAccessKeyID      = "AccessKeyId"
	ParamSignature        = "Signature"
	ParamSignatureMethod  = "SignatureMethod"
	ParamSignatureVersion = "SignatureVersion"
	ParamSignatureNonce   = "SignatureNonce"
	ParamTimestamp        = "Timestamp"
	ParamSecurityToken    = "SecurityToken"
)

// sortedCopy copies params, less any named skip, into buf (or a larger
// slice when buf is too small) and sorts it into canonical order.
func sortedCopy(buf []Param, params Params, skip string) Params {
	s := buf[:0]
	for _, p := range params {
		if p.Key != skip {
			s = append(s, p)
		}
	}
	sortParams(s)
	return s
}

// AppendRPCCanonicalQuery appends the canonical query string of params:
// sorted by name in byte order, each pair written percentEncode(name) "="
// percentEncode(value), joined by "&", empty values kept as "Key=", the
// Signature parameter left out (docs/protocol.md §1.2, §1.4).
func AppendRPCCanonicalQuery(dst []byte, params Params) []byte {
	var buf [32]Param
	for i, p := range sortedCopy(buf[:], params, ParamSignature) {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = AppendPercentEncode(dst, p.Key)
		dst = append(dst, '=')
		dst = AppendPercentEncode(dst, p.Value)
	}
	return dst
}

// AppendRPCStringToSign appends the RPC string to sign of a request sent with
// method (uppercase, as sent) and carrying params (query and form body
// together; Signature is left out):
// method "&%2F&" percentEncode(canonical query) (docs/protocol.md §1.4 step 3).
func AppendRPCStringToSign(dst []byte, method string, params Params) []byte {
	dst = append(dst, method...)
	dst = append(dst, "&%2F&"...)
	if !inOrder(params, ParamSignature) {
		var buf [32]Param
		params = sortedCopy(buf[:], params, ParamSignature)
	}
	first := true
	for _, p := range params {
		if p.Key == ParamSignature {
			continue
		}
		if !first {
			dst = append(dst, "%26"...)
		}
		first = false
		dst = appendDoubleEncode(dst, p.Key)
		dst = append(dst, "%3D"...)
		dst = appendDoubleEncode(dst, p.Value)
	}
	return dst
}

// inOrder reports whether the names of params but skip are sorted already,
// as the official SDKs send them: then sortedCopy, a stable sort, would
// leave them as they are, and a verifier skips its copy (issue 13).
func inOrder(params Params, skip string) bool {
	prev := ""
	for _, p := range params {
		if p.Key == skip {
			continue
		}
		if p.Key < prev {
			return false
		}
		prev = p.Key
	}
	return true
}

// SignRPC signs an RPC request: method is the HTTP method as sent, params
// every parameter of the query and the form body (Signature is left out).
// The key is secret + "&" and the signature base64(HMAC-SHA1) (docs/protocol.md §1.4).
func SignRPC(method string, params Params, secret Secret) Artifacts {
	sts := AppendRPCStringToSign(nil, method, params)
	mac := newMAC(macRPC, secret)
	mac.Write(sts)
	return Artifacts{
		Style:        RPC,
		Canonical:    string(AppendRPCCanonicalQuery(nil, params)),
		StringToSign: string(sts),
		Signature:    base64.StdEncoding.EncodeToString(mac.Sum(nil)),
	}
}

// VerifyRPC checks the Signature parameter of an RPC request the way a
// gateway does (docs/protocol.md §1.6): params are the form-decoded query and form
// body. It returns the server-side artefacts, and whether the signature sent
// equals the one computed, compared in constant time. A request without a
// Signature parameter never verifies.
func VerifyRPC(method string, params Params, secret Secret) (Artifacts, bool) {
	var v Verifier
	got, _ := params.Get(ParamSignature)
	ok := v.RPC(method, params, secret, got) && params.Has(ParamSignature)
	return v.Artifacts(), ok
}

// RPCTemplate holds what does not change between the RPC requests of one
// action sent with one key: every parameter but SignatureNonce, Timestamp
// and Signature, already sorted and encoded in both the string-to-sign and
// the wire form. Signing a request then costs two copies, the encoding of a
// nonce and a timestamp, and the HMAC. A template is safe for concurrent use.
type RPCTemplate struct {
	method string
	sts    segments  // string to sign: [0] nonce [1] timestamp [2]
	wire   segments  // query string: [0] signature [1] nonce [2] timestamp [3]
	mac    prefixMAC // over sts[0], the part before the nonce
	states midPool
}

// NewRPCTemplate prepares the signing of requests sent with method and
// carrying params (any SignatureNonce, Timestamp or Signature among them is
// ignored: each request supplies its own), with the given secret.
func NewRPCTemplate(method string, params Params, secret Secret) (*RPCTemplate, error) {
	if method == "" {
		return nil, fmt.Errorf("rpc template: empty HTTP method")
	}
	fixed := make(Params, 0, len(params)+3)
	for _, p := range params {
		switch p.Key {
		case ParamSignatureNonce, ParamTimestamp, ParamSignature:
			continue
		}
		fixed = append(fixed, p)
	}
	fixed = append(fixed, Param{Key: ParamSignature}, Param{Key: ParamSignatureNonce}, Param{Key: ParamTimestamp})
	sortParams(fixed)

	t := &RPCTemplate{method: method, states: midPool{newHash: sha1New}}
	sts := append([]byte(method), "&%2F&"...)
	var wire []byte
	first, firstWire := true, true
	for _, p := range fixed {
		if p.Key != ParamSignature {
			if !first {
				sts = append(sts, "%26"...)
			}
			first = false
			sts = appendDoubleEncode(sts, p.Key)
			sts = append(sts, "%3D"...)
		}
		if !firstWire {
			wire = append(wire, '&')
		}
		firstWire = false
		wire = AppendQueryEscape(wire, p.Key, true)
		wire = append(wire, '=')
		// The per-request parameters are known by name: the loop above
		// dropped the caller's ones, so these names occur once each, and no
		// value can pose as a slot (a sentinel value once could).
		if p.Key == ParamSignature || p.Key == ParamSignatureNonce || p.Key == ParamTimestamp {
			if p.Key != ParamSignature {
				t.sts = append(t.sts, sts)
				sts = nil
			}
			t.wire = append(t.wire, wire)
			wire = nil
			continue
		}
		sts = appendDoubleEncode(sts, p.Value)
		wire = AppendQueryEscape(wire, p.Value, true)
	}
	t.sts = append(t.sts, sts)
	t.wire = append(t.wire, wire)
	t.mac = macRPC.prefixMAC(secret, t.sts[0])
	return t, nil
}

// Method returns the HTTP method the template signs for.
func (t *RPCTemplate) Method() string { return t.method }

// AppendStringToSign appends the string to sign of the request with this
// nonce and timestamp (already formatted, see [AppendTimestamp]).
func (t *RPCTemplate) AppendStringToSign(dst, nonce, timestamp []byte) []byte {
	dst = append(dst, t.sts[0]...)
	dst = appendDoubleEncodeBytes(dst, nonce)
	dst = append(dst, t.sts[1]...)
	dst = appendDoubleEncodeBytes(dst, timestamp)
	return append(dst, t.sts[2]...)
}

// AppendSignature appends the base64 signature of the request with this
// nonce and timestamp. The HMAC resumes from its state after the string to
// sign's unchanging prefix (everything before the nonce), so a signature
// costs the hashing of the nonce, the timestamp and what follows them, with
// the padding, the digests read off the hash states (see pad and sum). It
// allocates nothing once its pooled state is warm.
func (t *RPCTemplate) AppendSignature(dst, nonce, timestamp []byte) []byte {
	st := t.states.get()
	t.mac.start(st)
	// The timestamp changes once a second: its double encoding is kept
	// with the state and redone only when it changes.
	if !bytes.Equal(st.second, timestamp) {
		st.second = append(st.second[:0], timestamp...)
		st.encoded = appendDoubleEncodeBytes(st.encoded[:0], timestamp)
	}
	st.buf = appendDoubleEncodeBytes(st.buf[:0], nonce)
	st.buf = append(st.buf, t.sts[1]...)
	st.buf = append(st.buf, st.encoded...)
	st.buf = append(st.buf, t.sts[2]...)
	st.in.Write(t.mac.pad(st.buf, t.mac.absorbed+len(st.buf)))
	st.mac = t.mac.finish(st, st.mac[:0])
	dst = base64.StdEncoding.AppendEncode(dst, st.mac)
	t.states.put(st)
	return dst
}

// AppendQuery appends the wire query string of the request (sorted, as the
// official SDK sends it, with space as "+") carrying this signature, nonce
// and timestamp.
func (t *RPCTemplate) AppendQuery(dst, signature, nonce, timestamp []byte) []byte {
	dst = append(dst, t.wire[0]...)
	dst = appendQueryEscapeBytes(dst, signature)
	dst = append(dst, t.wire[1]...)
	dst = appendQueryEscapeBytes(dst, nonce)
	dst = append(dst, t.wire[2]...)
	dst = appendQueryEscapeBytes(dst, timestamp)
	return append(dst, t.wire[3]...)
}

// appendDoubleEncodeBytes is appendDoubleEncode for bytes. It copies runs of
// unreserved bytes at once rather than byte by byte: a hex nonce is one
// copy, which keeps the template's per-request work small beside the HMAC.
func appendDoubleEncodeBytes(dst, s []byte) []byte {
	start := 0
	for i, c := range s {
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', '2', '5', upperhex[c>>4], upperhex[c&15])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

func appendQueryEscapeBytes(dst, s []byte) []byte {
	for _, c := range s {
		switch {
		case unreserved[c]:
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}
