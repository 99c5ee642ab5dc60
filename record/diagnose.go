package record

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// departure is a known client-side mistake: what the signature would be
// had the client made it.
type departure struct {
	step, what string
	sign       func() string
}

// verdict records whether the signature sent verified and, when it does
// not, the first step that departs from what the request implies, found by
// trying the known mistakes of hand-written signers.
func (a *analysis) verdict(sent string, ok bool, mistakes []departure) {
	if ok {
		a.add(RuleSignature, ValueVerified, "")
		return
	}
	for _, d := range mistakes {
		if d.sign() == sent {
			a.add(RuleSignature, "wrong at "+d.step, d.what)
			return
		}
	}
	a.add(RuleSignature, ValueWrong, "no known mistake reproduces it: compare your string to sign with the one in the gateway's answer")
}

// secret looks the AccessKey up, recording why a signature is not checked
// when it cannot be.
func (a *analysis) secret(o Options, id string) (signature.Secret, bool) {
	if o.Secret == nil {
		a.add(RuleSignature, ValueNotChecked, "the recorder was given no keys")
		return "", false
	}
	s, ok := o.Secret(id)
	if !ok {
		a.add(RuleSignature, ValueNotChecked, "an AccessKey ID the gateway does not know")
	}
	return s, ok
}

func hmacSHA1(key, msg string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// rpcRedo rebuilds an RPC string to sign from a canonical query changed by
// edit, and signs it with the right key.
func rpcRedo(method, canonical string, secret signature.Secret, edit func(string) string) string {
	c := edit(canonical)
	return hmacSHA1(string(secret)+"&", method+"&%2F&"+signature.PercentEncode(c))
}

func (a *analysis) signatureRPC(method string, params signature.Params, o Options) {
	id, _ := params.Get(signature.ParamAccessKeyID)
	secret, known := a.secret(o, id)
	if !known {
		return
	}
	sent, _ := params.Get(signature.ParamSignature)
	art, ok := signature.VerifyRPC(method, params, secret)
	swap := func(from, to string) func(string) string {
		return func(s string) string { return strings.ReplaceAll(s, from, to) }
	}
	a.verdict(sent, ok, []departure{
		{"signature", "the key is the secret without its '&' (docs/protocol.md §1.4 step 4)", func() string { return hmacSHA1(string(secret), art.StringToSign) }},
		{"canonical", "a space encoded '+' rather than %20 (docs/protocol.md §1.3)", func() string { return rpcRedo(method, art.Canonical, secret, swap("%20", "+")) }},
		{"canonical", "'*' left raw rather than %2A (docs/protocol.md §1.3)", func() string { return rpcRedo(method, art.Canonical, secret, swap("%2A", "*")) }},
		{"canonical", "'~' encoded %7E rather than left raw (docs/protocol.md §1.3)", func() string { return rpcRedo(method, art.Canonical, secret, swap("~", "%7E")) }},
		{"string_to_sign", "the canonical query not percent-encoded a second time (docs/protocol.md §1.4 step 3)", func() string {
			return hmacSHA1(string(secret)+"&", method+"&%2F&"+art.Canonical)
		}},
	})
}

func (a *analysis) signatureROA(req *http.Request, query signature.Params, o Options) {
	id, sent, err := signature.ParseROAAuthorization(req.Header.Get(signature.HeaderAuthorization))
	if err != nil {
		a.add(RuleSignature, ValueWrong, "the Authorization header is not \"acs <AccessKeyId>:<Signature>\" (docs/protocol.md §2.3)")
		return
	}
	secret, known := a.secret(o, id)
	if !known {
		return
	}
	m, _ := signature.NewMessage(req)
	m.Query = query
	art := signature.SignROA(&m, secret)
	emptyValue := hasEmpty(query)
	escaped := req.URL.EscapedPath()
	if art.Signature == sent {
		if emptyValue {
			a.add(signature.AspectROAEmptyValue, "k", "")
		}
		if escaped != m.Path {
			a.add(signature.AspectROAPath, "decoded", "")
		}
		a.verdict(sent, true, nil)
		return
	}
	// The forms official clients disagree on (signature.Forms): an empty
	// value signed "k=", the path signed as escaped.
	for _, alt := range corpus.Alternatives(signature.ROA, &m, secret) {
		if alt.Artifacts.Signature == sent {
			a.forms(alt.Forms, emptyValue, escaped != m.Path)
			a.verdict(sent, true, nil)
			return
		}
	}
	if escaped != m.Path {
		// The path exactly as escaped on the wire, as the gateway checks it.
		w := m
		w.Path = escaped
		if signature.SignROA(&w, secret).Signature == sent {
			a.forms([]signature.Form{{Aspect: signature.AspectROAPath, Variant: "escaped"}}, emptyValue, true)
			a.verdict(sent, true, nil)
			return
		}
	}
	a.verdict(sent, false, []departure{
		{"signature", "the key is the secret followed by '&', as RPC's; ROA keys with the secret alone (docs/protocol.md §2.3)", func() string {
			return hmacSHA1(string(secret)+"&", art.StringToSign)
		}},
		{"canonical", "query values percent-encoded in the canonical resource; ROA signs them raw (docs/protocol.md §2.2)", func() string {
			pe := m
			pe.Query = nil
			for _, p := range query {
				pe.Query = append(pe.Query, signature.Param{Key: p.Key, Value: signature.PercentEncode(p.Value)})
			}
			return signature.SignROA(&pe, secret).Signature
		}},
	})
}

// forms records the ROA forms a verified signature used, and the reference
// form of each other aspect the request exercised.
func (a *analysis) forms(used []signature.Form, emptyValue, escapedPath bool) {
	seen := map[string]bool{}
	for _, f := range used {
		a.add(f.Aspect, f.Variant, "")
		seen[f.Aspect] = true
	}
	if emptyValue && !seen[signature.AspectROAEmptyValue] {
		a.add(signature.AspectROAEmptyValue, "k", "")
	}
	if escapedPath && !seen[signature.AspectROAPath] {
		a.add(signature.AspectROAPath, "decoded", "")
	}
}

func (a *analysis) signatureV3(req *http.Request, query signature.Params, o Options) {
	auth, err := signature.ParseV3Authorization(req.Header.Get(signature.HeaderAuthorization))
	if err != nil {
		a.add(RuleSignature, ValueWrong, "the Authorization header: "+err.Error())
		return
	}
	secret, known := a.secret(o, auth.Credential)
	if !known {
		return
	}
	m, _ := signature.NewMessage(req)
	m.Query = query
	art := signature.SignV3(&m, auth.SignedHeaders, secret)
	a.verdict(auth.Signature, art.Signature == auth.Signature, nil)
}

func hasEmpty(q signature.Params) bool {
	for _, p := range q {
		if p.Value == "" {
			return true
		}
	}
	return false
}
