package corpus

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"

	"github.com/acsharness/acsharness/signature"
)

// Alternative is a request signed in accepted forms other than the
// reference signer's: where official clients disagree on how to sign
// (signature.Forms), a signer or a client may follow any of them, and a
// gateway must accept each (docs/protocol.md §2.2, §9 F8, F9).
type Alternative struct {
	// Forms are the variants used, one per aspect, as signature.Forms
	// lists them (with the official clients that sign that way).
	Forms     []signature.Form
	Artifacts signature.Artifacts
}

// The signed forms of a ROA request the reference signer does not use.
const (
	variantEmptyValue  = "k="      // signature.AspectROAEmptyValue: an empty query value signed "k="
	variantEscapedPath = "escaped" // signature.AspectROAPath: the path signed as escaped on the wire
)

// Alternatives returns m signed in every combination of the accepted forms
// that change its signature, besides the reference form ([signature.SignROA]
// and friends): for ROA, an empty query value signed "k=" rather than "k",
// and the path signed escaped rather than decoded. RPC and V3 have none:
// their official signers agree (the forms they disagree on are inputs, such
// as Format=json, not signing choices).
func Alternatives(style signature.Style, m *signature.Message, secret signature.Secret) []Alternative {
	if style != signature.ROA {
		return nil
	}
	path := m.Path
	if path == "" {
		path = "/"
	}
	escaped := string(signature.AppendV3CanonicalURI(nil, path))
	var aspects []signature.Form
	if f, ok := form(signature.AspectROAEmptyValue, variantEmptyValue); ok && hasEmptyValue(m.Query) {
		aspects = append(aspects, f)
	}
	if f, ok := form(signature.AspectROAPath, variantEscapedPath); ok && escaped != path {
		aspects = append(aspects, f)
	}
	if len(aspects) == 0 {
		return nil
	}
	sts := signature.AppendROAStringToSign(nil, m)
	resource := signature.AppendROACanonicalResource(nil, path, m.Query)
	prefix := sts[:len(sts)-len(resource)]
	ref := signature.SignROA(m, secret)
	headers := ref.Canonical[:len(ref.Canonical)-len(resource)]
	var out []Alternative
	for mask := 1; mask < 1<<len(aspects); mask++ {
		var used []signature.Form
		p, emptyEq := path, false
		for i, f := range aspects {
			if mask&(1<<i) == 0 {
				continue
			}
			used = append(used, f)
			switch f.Variant {
			case variantEmptyValue:
				emptyEq = true
			case variantEscapedPath:
				p = escaped
			}
		}
		res := roaResource(p, m.Query, emptyEq)
		alt := string(prefix) + res
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(alt))
		out = append(out, Alternative{Forms: used, Artifacts: signature.Artifacts{
			Style: signature.ROA, Canonical: headers + res, StringToSign: alt,
			Signature: base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		}})
	}
	return out
}

// roaResource is the canonicalized resource of docs/protocol.md §2.2 with the path
// as given and, with emptyEq, an empty value written "k=" (§9 F8).
func roaResource(path string, query signature.Params, emptyEq bool) string {
	if len(query) == 0 {
		return path
	}
	b := []byte(path + "?")
	for i, p := range query.Sorted() {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.Key...)
		if p.Value != "" || emptyEq {
			b = append(b, '=')
			b = append(b, p.Value...)
		}
	}
	return string(b)
}

func hasEmptyValue(q signature.Params) bool {
	for _, p := range q {
		if p.Value == "" {
			return true
		}
	}
	return false
}

// form returns the entry of signature.Forms for one variant of an aspect.
func form(aspect, variant string) (signature.Form, bool) {
	for _, f := range signature.FormsOf(aspect) {
		if f.Variant == variant {
			return f, true
		}
	}
	return signature.Form{}, false
}
