package signature

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// The four standard headers whose values occupy one line each of a ROA
// string to sign, in order, by their canonical http.Header keys.
var roaStandard = [4]string{"Accept", "Content-Md5", "Content-Type", "Date"}

// AppendROACanonicalHeaders appends the canonicalized x-acs-* headers of h:
// every header whose name starts with "x-acs-" in any case, the name
// lowercased, sorted in byte order, each written name ":" value "\n" with
// the value trimmed; an empty value is kept (docs/protocol.md §2.2). A repeated
// header contributes its first value, as it arrives at a gateway: several
// spellings of one name count as one header, the first in byte order first.
func AppendROACanonicalHeaders(dst []byte, h http.Header) []byte {
	var buf [24]string
	names := buf[:0]
	for k, v := range h {
		if len(v) > 0 && hasPrefixFold(k, acsPrefix) {
			names = append(names, k)
		}
	}
	sortFold(names)
	for i, k := range names {
		// Two spellings of one name ("X-Acs-Foo", "x-acs-foo") are one
		// header on the wire, written in byte order of the spellings
		// (http.Header.Write), so a gateway reads the first value of the
		// first spelling: sign that one line only, as the gateway does.
		if i > 0 && strings.EqualFold(k, names[i-1]) {
			continue
		}
		dst = appendLower(dst, k)
		dst = append(dst, ':')
		dst = appendHeaderValue(dst, h[k][0])
		dst = append(dst, '\n')
	}
	return dst
}

// AppendROACanonicalResource appends the canonicalized resource: the decoded
// path and, when there is a query, "?" and the parameters sorted by name,
// each "k=v" or a bare "k" when the value is empty, joined by "&", with
// neither names nor values encoded (docs/protocol.md §2.2).
func AppendROACanonicalResource(dst []byte, path string, query Params) []byte {
	return appendROAResource(dst, path, query, false)
}

// appendROAResource writes an empty value as a bare "k", or as "k=" when
// emptyEquals is set: the official clients disagree (docs/protocol.md §2.2, §9 F8).
func appendROAResource(dst []byte, path string, query Params, emptyEquals bool) []byte {
	dst = append(dst, path...)
	if len(query) == 0 {
		return dst
	}
	dst = append(dst, '?')
	var buf [32]Param
	for i, p := range sortedCopy(buf[:], query, "") {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.Key...)
		if p.Value != "" || emptyEquals {
			dst = append(dst, '=')
			dst = append(dst, p.Value...)
		}
	}
	return dst
}

// AppendROAStringToSign appends the ROA string to sign of m: the method, the
// values of Accept, Content-MD5, Content-Type and Date (an empty line for an
// absent one, as the docs say and unlike aliyun-sdk's internal helper), the
// canonicalized headers and the canonicalized resource (docs/protocol.md §2.2).
func AppendROAStringToSign(dst []byte, m *Message) []byte {
	return appendROAStringToSign(dst, m, false)
}

// AppendROAStringToSignEmptyEquals is AppendROAStringToSign with a query
// parameter of empty value written "k=", as the TypeScript openapi-util,
// @alicloud/pop-core and the Python core sign it, where the Go SDKs and the
// docs write a bare "k". Both send "k=" on the wire, so a server cannot
// tell which was signed and accepts either (docs/protocol.md §2.2, §9 F8).
func AppendROAStringToSignEmptyEquals(dst []byte, m *Message) []byte {
	return appendROAStringToSign(dst, m, true)
}

func appendROAStringToSign(dst []byte, m *Message, emptyEquals bool) []byte {
	dst = append(dst, m.Method...)
	dst = append(dst, '\n')
	for _, name := range roaStandard {
		v, _ := headerValue(m.Header, name)
		dst = appendHeaderValue(dst, v)
		dst = append(dst, '\n')
	}
	dst = AppendROACanonicalHeaders(dst, m.Header)
	return appendROAResource(dst, rootPath(m.Path), m.Query, emptyEquals)
}

func rootPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// SignROA signs m in the ROA style: base64(HMAC-SHA1(secret, string to
// sign)), with the secret as the key and no "&" suffix (docs/protocol.md §2.3).
func SignROA(m *Message, secret Secret) Artifacts {
	sts := AppendROAStringToSign(nil, m)
	mac := newMAC(macROA, secret)
	mac.Write(sts)
	return Artifacts{
		Style:        ROA,
		Canonical:    roaCanonical(sts),
		StringToSign: string(sts),
		Signature:    base64.StdEncoding.EncodeToString(mac.Sum(nil)),
	}
}

// roaCanonical returns what follows the five standard lines of a ROA string
// to sign: the canonicalized headers and resource.
func roaCanonical(sts []byte) string {
	rest := sts
	for range 5 {
		i := indexByte(rest, '\n')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	return string(rest)
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// VerifyROA checks the Authorization header of m against the ROA signature
// computed with secret, and returns the server-side artefacts.
func VerifyROA(m *Message, secret Secret) (Artifacts, bool) {
	var v Verifier
	_, sig, err := ParseROAAuthorization(HeaderValue(m.Header, HeaderAuthorization))
	ok := v.ROA(m, secret, sig) && err == nil
	return v.Artifacts(), ok
}

// ROAAuthorization returns the Authorization header value
// "acs <AccessKeyId>:<Signature>" (docs/protocol.md §2.3).
func ROAAuthorization(accessKeyID, signature string) string {
	return "acs " + accessKeyID + ":" + signature
}

// ErrNotROA reports an Authorization header that is not of the ROA form.
var ErrNotROA = errors.New(`authorization header is not of the form "acs <AccessKeyId>:<Signature>"`)

// ParseROAAuthorization splits "acs <AccessKeyId>:<Signature>". The scheme
// "acs" is matched exactly, followed by one space; neither part may be
// empty, and the key ID holds no ':'.
func ParseROAAuthorization(v string) (accessKeyID, signature string, err error) {
	rest, ok := strings.CutPrefix(v, "acs ")
	if !ok {
		return "", "", ErrNotROA
	}
	id, sig, ok := strings.Cut(rest, ":")
	if !ok || id == "" || sig == "" || strings.ContainsAny(id, " \t") {
		return "", "", fmt.Errorf("%w: got %d bytes without a non-empty key ID and signature around ':'", ErrNotROA, len(v))
	}
	return id, sig, nil
}

// ContentMD5 returns base64(MD5(body)), the Content-MD5 header value
// (docs/protocol.md §2.1); an empty body gives [EmptyMD5].
func ContentMD5(body []byte) string {
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}
