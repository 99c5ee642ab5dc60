package signature

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// Slot markers stand for the per-request values while a template is built;
// they cannot occur in a header value or a path, since they hold NUL bytes.
const (
	slotTime  = "\x00time\x00"
	slotNonce = "\x00nonce\x00"
)

// splitSlots cuts s at the time slot and then the nonce slot, which must
// occur once each, in that order.
func splitSlots(s []byte) (segments, error) {
	i := bytes.Index(s, []byte(slotTime))
	j := bytes.Index(s, []byte(slotNonce))
	if i < 0 || j < i || bytes.Count(s, []byte(slotTime)) != 1 || bytes.Count(s, []byte(slotNonce)) != 1 {
		return nil, fmt.Errorf("template: the time and nonce must each be signed once, the time first")
	}
	return segments{
		bytes.Clone(s[:i]),
		bytes.Clone(s[i+len(slotTime) : j]),
		bytes.Clone(s[j+len(slotNonce):]),
	}, nil
}

// templateMessage copies m with the time header and the nonce header set to
// the slot markers.
func templateMessage(m *Message, timeHeader string) Message {
	c := *m
	c.Header = m.Header.Clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	// Drop every spelling of the two headers, not only the canonical one
	// that Set replaces: a stale "x-acs-signature-nonce" left beside the
	// slot would be signed too.
	for k := range c.Header {
		if strings.EqualFold(k, timeHeader) || strings.EqualFold(k, HeaderACSNonce) {
			delete(c.Header, k)
		}
	}
	c.Header.Set(timeHeader, slotTime)
	c.Header.Set(HeaderACSNonce, slotNonce)
	return c
}

// ROATemplate holds what does not change between the ROA requests of one
// route sent with one key: everything in the string to sign but the Date
// and x-acs-signature-nonce values. It is safe for concurrent use.
type ROATemplate struct {
	sts    segments  // [0] date [1] nonce [2]
	mac    prefixMAC // over sts[0], the part before the Date
	states midPool
}

// NewROATemplate prepares the signing of requests like m (any Date or
// x-acs-signature-nonce in it is replaced per request) with secret.
func NewROATemplate(m *Message, secret Secret) (*ROATemplate, error) {
	tm := templateMessage(m, HeaderDate)
	seg, err := splitSlots(AppendROAStringToSign(nil, &tm))
	if err != nil {
		return nil, err
	}
	return &ROATemplate{sts: seg, mac: macROA.prefixMAC(secret, seg[0]), states: midPool{newHash: sha1New}}, nil
}

// AppendStringToSign appends the string to sign of the request with this
// Date (see [AppendDate]) and nonce.
func (t *ROATemplate) AppendStringToSign(dst, date, nonce []byte) []byte {
	dst = append(dst, t.sts[0]...)
	dst = append(dst, date...)
	dst = append(dst, t.sts[1]...)
	dst = append(dst, nonce...)
	return append(dst, t.sts[2]...)
}

// AppendSignature appends the base64 signature of the request with this
// Date and nonce, allocating nothing once warm. The HMAC resumes from its
// state after the whole blocks before the nonce, saved while the Date
// (which changes once a second) stays the same, so a signature costs the
// nonce and what follows it, written in one call with the padding; the
// digests are read off the hash states (see restoreAligned, pad and sum).
func (t *ROATemplate) AppendSignature(dst, date, nonce []byte) []byte {
	st := t.states.get()
	n := t.mac.absorbed + len(date) + len(t.sts[1]) + len(nonce) + len(t.sts[2])
	st.in.Write(t.mac.restoreAligned(st, t.sts[0], date, t.sts[1], nonce, t.sts[2], n))
	st.mac = t.mac.finish(st, st.mac[:0])
	dst = base64.StdEncoding.AppendEncode(dst, st.mac)
	t.states.put(st)
	return dst
}

// V3Template holds what does not change between the V3 requests of one
// action sent with one key: the canonical request but for the x-acs-date
// and x-acs-signature-nonce values, and the signed-header list. It is safe
// for concurrent use.
type V3Template struct {
	canonical segments // [0] date [1] nonce [2]
	signed    string
	hash      prefixMAC // SHA-256 of the canonical request, over canonical[0]
	mac       prefixMAC // HMAC-SHA256 over "ACS3-HMAC-SHA256\n"
	states    midPool   // one state serves both, in turn
	innerPad  []byte    // the padding of the HMAC's inner message; nil unless padded
}

// NewV3Template prepares the signing of requests like m (any x-acs-date or
// x-acs-signature-nonce in it is replaced per request; m's
// x-acs-content-sha256 must match the body sent) with secret, over every
// header V3 requires to be signed.
func NewV3Template(m *Message, secret Secret) (*V3Template, error) {
	tm := templateMessage(m, HeaderACSDate)
	signed := V3SignedHeaders(&tm)
	seg, err := splitSlots(AppendV3CanonicalRequest(nil, &tm, signed))
	if err != nil {
		return nil, err
	}
	mac := macV3.prefixMAC(secret, []byte(V3Algorithm+"\n"))
	return &V3Template{canonical: seg, signed: joinSemicolon(signed),
		hash: newPrefixHash(sha256New, seg[0]), mac: mac, states: midPool{newHash: sha256New},
		// The inner message: key pad, algorithm line, the digest's hex.
		innerPad: mac.pad(nil, mac.absorbed+2*sha256.Size)}, nil
}

func joinSemicolon(s []string) string {
	var b []byte
	for i, v := range s {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, v...)
	}
	return string(b)
}

// SignedHeaders returns the SignedHeaders list of the template's requests.
func (t *V3Template) SignedHeaders() string { return t.signed }

// AppendCanonicalRequest appends the canonical request with this x-acs-date
// (see [AppendTimestamp]) and nonce.
func (t *V3Template) AppendCanonicalRequest(dst, date, nonce []byte) []byte {
	dst = append(dst, t.canonical[0]...)
	dst = append(dst, date...)
	dst = append(dst, t.canonical[1]...)
	dst = append(dst, nonce...)
	return append(dst, t.canonical[2]...)
}

// AppendSignature appends the hex signature of the request with this
// x-acs-date and nonce. The canonical request is never assembled: its hash
// resumes from the state after the whole blocks before the nonce (saved
// while the date, which changes once a second, stays the same) and absorbs
// the nonce, the rest and the padding in one write; the HMAC resumes from
// its state after "ACS3-HMAC-SHA256\n" and takes the digest's hex with its
// padding. The three digests are read off the hash states (see sum).
// Nothing is allocated once warm.
func (t *V3Template) AppendSignature(dst, date, nonce []byte) []byte {
	st := t.states.get()
	// The canonical request's digest, whose hex is the string to sign's
	// tail; then the HMAC over it, in the same state (restoreAligned keeps
	// its own copy of the state it restores).
	n := t.hash.absorbed + len(date) + len(t.canonical[1]) + len(nonce) + len(t.canonical[2])
	st.in.Write(t.hash.restoreAligned(st, t.canonical[0], date, t.canonical[1], nonce, t.canonical[2], n))
	st.buf = append(appendHex32(st.buf[:0], (*[32]byte)(t.hash.sum(st))), t.innerPad...)
	t.mac.start(st)
	st.in.Write(st.buf)
	st.mac = t.mac.finish(st, st.mac[:0])
	dst = appendHex32(dst, (*[32]byte)(st.mac))
	t.states.put(st)
	return dst
}

// AppendAuthorization appends the whole Authorization header value of the
// request with this x-acs-date and nonce, for the given key ID.
func (t *V3Template) AppendAuthorization(dst []byte, accessKeyID string, date, nonce []byte) []byte {
	dst = append(dst, V3Algorithm+" Credential="...)
	dst = append(dst, accessKeyID...)
	dst = append(dst, ",SignedHeaders="...)
	dst = append(dst, t.signed...)
	dst = append(dst, ",Signature="...)
	return t.AppendSignature(dst, date, nonce)
}
