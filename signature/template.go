package signature

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
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
	return &ROATemplate{sts: seg, mac: newPrefixMAC(sha1New, []byte(secret), seg[0]), states: midPool{newHash: sha1New}}, nil
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
// state after the Date and the headers up to the nonce, saved while the Date
// (which changes once a second) stays the same, so a signature costs the
// nonce and what follows it.
func (t *ROATemplate) AppendSignature(dst, date, nonce []byte) []byte {
	st := t.states.get()
	t.mac.restoreSecond(st, date, t.sts[1])
	st.in.Write(nonce)
	st.in.Write(t.sts[2])
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
	hashes    midPool
	macs      midPool
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
	return &V3Template{canonical: seg, signed: joinSemicolon(signed),
		hash: newPrefixHash(sha256New, seg[0]), mac: newPrefixMAC(sha256New, []byte(secret), []byte(V3Algorithm+"\n")),
		hashes: midPool{newHash: sha256New}, macs: midPool{newHash: sha256New}}, nil
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
// x-acs-date and nonce. The canonical request is hashed as it streams, never
// assembled, resuming from the hash's state after the x-acs-date and the
// headers up to the nonce (saved while the date, which changes once a
// second, stays the same); the HMAC resumes from its state after
// "ACS3-HMAC-SHA256\n". Nothing is allocated once warm.
func (t *V3Template) AppendSignature(dst, date, nonce []byte) []byte {
	h := t.hashes.get()
	t.hash.restoreSecond(h, date, t.canonical[1])
	h.in.Write(nonce)
	h.in.Write(t.canonical[2])
	h.sum = h.in.Sum(h.sum[:0])
	m := t.macs.get()
	t.mac.start(m)
	m.buf = hex.AppendEncode(m.buf[:0], h.sum)
	m.in.Write(m.buf)
	m.mac = t.mac.finish(m, m.mac[:0])
	dst = hex.AppendEncode(dst, m.mac)
	t.macs.put(m)
	t.hashes.put(h)
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
