// Package corpus is the portable vector corpus of issue 12: every golden
// vector of the signature package and any number of random hard cases per
// signing style, each a complete request and the expected output of every
// step of its signature. A corpus is exported as plain files (HTTP text,
// JSON, one text file per step) that a signer in any language can be tested
// against without our code, and the same cases are what `acsharness signer
// check` sends to a signer over its JSON-lines protocol.
//
// The expected steps come from the signature package, which is proven
// against the official SDKs; the corpus's own tests re-verify every exported
// case with alibaba-cloud-sdk-go, openapi-util and darabonba, reading the
// exported files only, so the corpus cannot drift from the SDKs.
package corpus

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// Pair is one name and value, a query parameter or a header, as a JSON
// array of two strings. Lists of pairs keep their order and repetitions.
type Pair [2]string

// Input is one request to sign, complete: every common parameter (RPC) or
// header (ROA, V3) is already there, the nonce and timestamp included, so a
// signer signs exactly what it is given and adds nothing. It is the
// input.json of an exported case and one request line of the signer
// protocol.
type Input struct {
	// ID names the case, e.g. "golden/rpc-tricky/03-space" or
	// "random/roa/0042"; it is also the case's folder in an export.
	ID     string          `json:"id"`
	Style  signature.Style `json:"style"`
	Method string          `json:"method"`
	// Host is the Host header; V3 signs it as "host".
	Host string `json:"host"`
	// Path is the decoded path; RPC always uses "/".
	Path string `json:"path"`
	// Query holds the decoded query parameters, in wire order.
	Query []Pair `json:"query"`
	// Form holds the decoded parameters of an RPC form body: an RPC
	// signature covers the query and the form together (docs/protocol.md §1.2).
	Form []Pair `json:"form,omitempty"`
	// Headers holds every header but Host and Authorization, as sent.
	Headers []Pair `json:"headers"`
	// Body is the body as sent: the encoded form of Form, or a raw body.
	Body        string `json:"body"`
	AccessKeyID string `json:"access_key_id"`
	// Secret is the case's own test secret. A corpus never carries anyone's
	// real credentials: every secret in it was made up for the case.
	Secret string `json:"secret"`
	// Timestamp and Nonce repeat the values already among the parameters
	// or headers (Timestamp, Date or x-acs-date; SignatureNonce or
	// x-acs-signature-nonce), for signers that want them apart. Either is
	// empty when the case has none (the golden aliyun-sdk ROA cases send no
	// nonce).
	Timestamp string `json:"timestamp"`
	Nonce     string `json:"nonce"`
}

// Steps are the outputs of the steps of one signature, each compared byte
// for byte.
type Steps struct {
	// Canonical is the canonical query (RPC), the canonicalized headers
	// and resource (ROA) or the canonical request (V3).
	Canonical    string `json:"canonical"`
	StringToSign string `json:"string_to_sign"`
	Signature    string `json:"signature"`
	// Authorization is the Authorization header value (ROA, V3).
	Authorization string `json:"authorization,omitempty"`
	// URL is the final URL: for RPC with the Signature parameter, as the
	// official SDKs encode it (sorted, a space as "+").
	URL string `json:"url"`
}

// Case is one case of a corpus: where it comes from, its input and the
// expected output of each step.
type Case struct {
	Input Input `json:"input"`
	// Source is the docs/protocol.md section of a golden vector, or the generator
	// and seed of a random case.
	Source string `json:"source"`
	Note   string `json:"note,omitempty"`
	Expect Steps  `json:"expected"`
	// Variant names the accepted forms (signature.Forms) a golden vector
	// is signed in when they are not the reference signer's: the expected
	// steps are then the vector's, and a signer may produce either.
	Variant []signature.Form `json:"variant,omitempty"`
}

// DefaultHost is the Host of a case whose source names none: RPC and ROA
// do not sign the host.
const DefaultHost = "pop.example.com"

// Params returns the pairs as signature parameters.
func Params(pairs []Pair) signature.Params {
	p := make(signature.Params, 0, len(pairs))
	for _, kv := range pairs {
		p = append(p, signature.Param{Key: kv[0], Value: kv[1]})
	}
	return p
}

func pairs(p signature.Params) []Pair {
	out := make([]Pair, 0, len(p))
	for _, kv := range p {
		out = append(out, Pair{kv.Key, kv.Value})
	}
	return out
}

// Header returns the headers of in as an http.Header, the names as given.
func (in *Input) Header() http.Header {
	h := http.Header{}
	for _, kv := range in.Headers {
		h[kv[0]] = append(h[kv[0]], kv[1])
	}
	return h
}

// Message returns the parts of a ROA or V3 request that its signature
// covers.
func (in *Input) Message() signature.Message {
	return signature.Message{Method: in.Method, Host: in.Host, Path: in.Path, Query: Params(in.Query), Header: in.Header()}
}

// RPCParams returns every parameter an RPC signature covers: the query and
// the form body together.
func (in *Input) RPCParams() signature.Params {
	return append(Params(in.Query), Params(in.Form)...)
}

// Sign signs in with the reference signer and returns every step.
func Sign(in *Input) (Steps, error) {
	secret := signature.Secret(in.Secret)
	var s Steps
	switch in.Style {
	case signature.RPC:
		a := signature.SignRPC(in.Method, in.RPCParams(), secret)
		s = Steps{Canonical: a.Canonical, StringToSign: a.StringToSign, Signature: a.Signature}
		q := Params(in.Query).Sorted()
		q = append(q, signature.Param{Key: signature.ParamSignature, Value: a.Signature}).Sorted()
		s.URL = "https://" + in.Host + "/?" + string(signature.AppendQuery(nil, q, true))
	case signature.ROA:
		m := in.Message()
		a := signature.SignROA(&m, secret)
		s = Steps{Canonical: a.Canonical, StringToSign: a.StringToSign, Signature: a.Signature,
			Authorization: signature.ROAAuthorization(in.AccessKeyID, a.Signature)}
		s.URL = "https://" + in.Host + requestURI(in)
	case signature.V3:
		m := in.Message()
		signed := signature.V3SignedHeaders(&m)
		a := signature.SignV3(&m, signed, secret)
		s = Steps{Canonical: a.Canonical, StringToSign: a.StringToSign, Signature: a.Signature,
			Authorization: signature.V3Auth{Algorithm: signature.V3Algorithm, Credential: in.AccessKeyID, SignedHeaders: signed, Signature: a.Signature}.String()}
		s.URL = "https://" + in.Host + requestURI(in)
	default:
		return s, fmt.Errorf("case %s: unknown signing style %q: use rpc, roa or v3", in.ID, in.Style)
	}
	return s, nil
}

// requestURI is the escaped path and query of in as the official SDKs put
// them on the wire: each path segment percent-encoded, the query
// url.Values-encoded (a space as "+").
func requestURI(in *Input) string {
	path := in.Path
	if path == "" {
		path = "/"
	}
	b := signature.AppendV3CanonicalURI(nil, path)
	if len(in.Query) > 0 {
		b = append(b, '?')
		b = signature.AppendQuery(b, Params(in.Query), true)
	}
	return string(b)
}

// HTTP renders the request as HTTP/1.1 text, lines ending in "\n": the
// request line, Host, the headers in order, Content-Length when there is a
// body, a blank line and the body.
// With signed, the signature goes in: the RPC Signature parameter or the
// Authorization header.
func (c *Case) HTTP(signed bool) string {
	in := &c.Input
	var b strings.Builder
	uri := requestURI(in)
	if in.Style == signature.RPC {
		q := Params(in.Query)
		if signed {
			q = append(q, signature.Param{Key: signature.ParamSignature, Value: c.Expect.Signature})
		}
		uri = "/"
		if len(q) > 0 {
			uri += "?" + string(signature.AppendQuery(nil, q.Sorted(), true))
		}
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\nHost: %s\n", in.Method, uri, in.Host)
	if signed && in.Style != signature.RPC {
		fmt.Fprintf(&b, "Authorization: %s\n", c.Expect.Authorization)
	}
	for _, kv := range in.Headers {
		fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
	}
	if in.Body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\n", len(in.Body)) // signed by no style
	}
	b.WriteString("\n")
	b.WriteString(in.Body)
	return b.String()
}

// MarshalLine returns in as one line of JSON, without a newline, HTML
// characters unescaped: a request line of the signer protocol.
func (in *Input) MarshalLine() ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}
