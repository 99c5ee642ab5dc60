package signature

import (
	"encoding/base64"
	"encoding/hex"
)

// Verifier checks signatures on the server side. It keeps its buffers and
// one HMAC state per secret between checks, so that a warm Verifier checks a
// request without allocating. A Verifier is not safe for concurrent use: a
// gateway keeps a pool of them. The zero value is ready.
type Verifier struct {
	style     Style
	method    string
	canonical []byte // V3: the canonical request
	sts       []byte // the string to sign of the last check
	sum       []byte
	expected  []byte // the signature computed, encoded
	macs      map[macKey]*verifyMAC
}

// verifyMAC is a Verifier's HMAC for one key: keyed once, its inner and
// outer states saved, and a working state to resume them in. It computes
// the HMAC as the templates do (prefixMAC with no prefix), the padding
// written with the message and the digests read off the states, which
// crypto/hmac's Sum, copying each hash and padding it in a call of its
// own, did not (issue 13).
type verifyMAC struct {
	m  prefixMAC
	st *midState
}

type macKey struct {
	kind   macKind
	secret Secret
}

// maxCachedMACs bounds the HMAC states a Verifier keeps: a gateway serving
// many keys recycles them rather than growing without limit.
const maxCachedMACs = 64

func (v *Verifier) mac(kind macKind, secret Secret) *verifyMAC {
	k := macKey{kind, secret}
	if m, ok := v.macs[k]; ok {
		return m
	}
	if v.macs == nil || len(v.macs) >= maxCachedMACs {
		v.macs = make(map[macKey]*verifyMAC, 4)
	}
	pm := kind.prefixMAC(secret, nil)
	m := &verifyMAC{m: pm, st: newMidState(pm.newHash)}
	v.macs[k] = m
	return m
}

// RPC checks got, the Signature sent with an RPC request, against the one
// computed from method and params (the form-decoded query and form body;
// Signature itself is left out), keyed with secret + "&" (docs/protocol.md §1.6).
func (v *Verifier) RPC(method string, params Params, secret Secret, got string) bool {
	v.style, v.method = RPC, method
	v.sts = AppendRPCStringToSign(v.sts[:0], method, params)
	return v.finish(macRPC, secret, got)
}

// ROA checks got, the signature of a ROA Authorization header, against the
// one computed from m (docs/protocol.md §2.5).
func (v *Verifier) ROA(m *Message, secret Secret, got string) bool {
	v.style, v.method = ROA, m.Method
	v.sts = AppendROAStringToSign(v.sts[:0], m)
	return v.finish(macROA, secret, got)
}

// ROAEmptyEquals checks like ROA, over the string to sign in which a query
// parameter with an empty value reads "k=" rather than "k": the form the
// TypeScript, Node and Python clients sign (docs/protocol.md §2.2, §9 F8).
func (v *Verifier) ROAEmptyEquals(m *Message, secret Secret, got string) bool {
	v.style, v.method = ROA, m.Method
	v.sts = AppendROAStringToSignEmptyEquals(v.sts[:0], m)
	return v.finish(macROA, secret, got)
}

// V3 checks got, the Signature of a V3 Authorization header, against the one
// computed from m over the headers named in signed (docs/protocol.md §3.4).
func (v *Verifier) V3(m *Message, signed []string, secret Secret, got string) bool {
	v.style, v.method = V3, m.Method
	v.canonical = AppendV3CanonicalRequest(v.canonical[:0], m, signed)
	v.sts = appendV3StringToSign(v.sts[:0], v.canonical)
	return v.finish(macV3, secret, got)
}

func (v *Verifier) finish(kind macKind, secret Secret, got string) bool {
	m := v.mac(kind, secret)
	m.m.start(m.st)
	n := len(v.sts)
	v.sts = m.m.pad(v.sts, m.m.absorbed+n) // the padding, in the same write
	m.st.in.Write(v.sts)
	v.sts = v.sts[:n]
	v.sum = m.m.finish(m.st, v.sum[:0])
	if kind == macV3 {
		v.expected = hex.AppendEncode(v.expected[:0], v.sum)
	} else {
		v.expected = base64.StdEncoding.AppendEncode(v.expected[:0], v.sum)
	}
	return ctEqual(v.expected, got)
}

// StringToSign returns the server string to sign of the last check: what a
// gateway echoes after "server string to sign is:" (docs/protocol.md §5).
func (v *Verifier) StringToSign() string { return string(v.sts) }

// Artifacts returns the server-side artefacts of the last check.
func (v *Verifier) Artifacts() Artifacts {
	a := Artifacts{Style: v.style, StringToSign: string(v.sts), Signature: string(v.expected)}
	switch v.style {
	case RPC:
		a.Canonical = rpcCanonicalFromSTS(v.sts, v.method)
	case ROA:
		a.Canonical = roaCanonical(v.sts)
	case V3:
		a.Canonical = string(v.canonical)
	}
	return a
}

// rpcCanonicalFromSTS undoes the second percent-encoding of an RPC string to
// sign: the canonical query is what follows method "&%2F&", decoded once.
func rpcCanonicalFromSTS(sts []byte, method string) string {
	if len(sts) < len(method)+5 {
		return ""
	}
	s, _, err := unescape(string(sts[len(method)+5:]), nil, len(sts), 0)
	if err != nil {
		return ""
	}
	return s
}

// segments are the fixed parts of a templated string, between the slots
// that change with every request.
type segments [][]byte
