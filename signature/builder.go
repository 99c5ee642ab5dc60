package signature

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Request describes one API call to sign: who to call, what, with which
// parameters, in which style. The builder adds the common parameters or
// headers of the style (docs/protocol.md §1.1, §2.1, §3.1) to what is here.
type Request struct {
	Style Style
	// Method is the HTTP method; "" means GET.
	Method string
	// Endpoint is the gateway's base URL, scheme and host[:port]
	// ("https://onsmqtt.cn-hangzhou.aliyuncs.com"); a path is not allowed.
	Endpoint string
	// Host is the Host header to send when it differs from the endpoint's
	// host, as when a gateway on 127.0.0.1 routes by Host.
	Host string
	// Path is the decoded path of a ROA or V3 request; "" means "/". RPC
	// requests always use "/".
	Path    string
	Action  string
	Version string
	// Format is the response format asked for: the RPC Format parameter, or
	// for ROA and V3 the Accept header (JSON → application/json, XML →
	// application/xml, anything else verbatim). "" asks for nothing.
	Format string
	// Query holds the API parameters of the query string.
	Query Params
	// Form holds API parameters sent as an application/x-www-form-urlencoded
	// body. It excludes Body.
	Form Params
	// Header holds extra headers. For ROA and V3 every x-acs-* header is
	// signed.
	Header http.Header
	// Body is a raw body for ROA and V3, typed by Header's Content-Type.
	Body []byte
	// Omit names common parameters (RPC, exact names) or headers (ROA, V3,
	// any case) that the builder must not add: a test sends the seeds'
	// "TimeStamp" by omitting "Timestamp" and adding its own.
	Omit []string
}

// Builder signs requests with one set of credentials, stamping each with a
// fresh timestamp and nonce. It is safe for concurrent use when Now and
// Nonce are.
type Builder struct {
	Credentials Credentials
	// Now is the clock; nil means time.Now. Tests and reproductions fix it.
	Now func() time.Time
	// Nonce makes nonces; nil means a [NonceSource]. Tests fix it.
	Nonce func() string
	// SpacePercent puts a space on the wire as %20 instead of the SDKs' "+".
	SpacePercent bool

	nonces *NonceSource
}

// Signed is a request after signing and before it goes on the wire. Every
// field may be changed to deviate from a correct request (a test tampers
// with a parameter after signing, say) before [Signed.HTTPRequest] or
// [Signed.Resign].
type Signed struct {
	Style  Style
	Method string
	Scheme string // http or https
	Addr   string // host[:port] to connect to
	Host   string // the Host header
	Path   string // decoded path
	// Query is the query string in wire order; for RPC it carries Signature.
	Query Params
	// Form is the form body in wire order; nil when the body is raw.
	Form Params
	// Header holds every header sent; for ROA and V3 it carries Authorization.
	Header http.Header
	// Body is the raw body when Form is nil.
	Body []byte
	// SpacePercent encodes a space as %20 on the wire rather than "+".
	SpacePercent bool
	// RawQuery, when set, is sent verbatim as the query string instead of
	// the encoded Query: a test sends a malformed escape this way.
	RawQuery string

	AccessKeyID string
	Nonce       string // the nonce sent, as generated
	Timestamp   string // the Timestamp, Date or x-acs-date sent, as generated
	// Artifacts are the client-side intermediate results of the signature.
	Artifacts Artifacts
}

func (b *Builder) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Builder) nonce() string {
	if b.Nonce != nil {
		return b.Nonce()
	}
	if b.nonces == nil {
		b.nonces = NewNonceSource()
	}
	return b.nonces.Next()
}

// Sign builds and signs req.
func (b *Builder) Sign(req Request) (*Signed, error) {
	u, err := url.Parse(req.Endpoint)
	switch {
	case err != nil:
		return nil, fmt.Errorf("endpoint %q is not a URL: %v", req.Endpoint, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("endpoint %q: the scheme must be http or https (e.g. https://onsmqtt.cn-hangzhou.aliyuncs.com)", req.Endpoint)
	case u.Host == "":
		return nil, fmt.Errorf("endpoint %q has no host (e.g. https://onsmqtt.cn-hangzhou.aliyuncs.com)", req.Endpoint)
	case u.Path != "" && u.Path != "/", u.RawQuery != "":
		return nil, fmt.Errorf("endpoint %q: give the scheme and host only; put the path in --path and parameters in --param", req.Endpoint)
	}
	if len(req.Form) > 0 && len(req.Body) > 0 {
		return nil, fmt.Errorf("a request carries either form parameters or a raw body, not both")
	}
	if b.Credentials.AccessKeyID == "" {
		return nil, fmt.Errorf("no AccessKey ID: set %s or pass --access-key-id", EnvAccessKeyID)
	}
	if b.Credentials.AccessKeySecret == "" {
		return nil, fmt.Errorf("no AccessKey secret: set %s or use an aliyun CLI profile (never a flag)", EnvAccessKeySecret)
	}
	s := &Signed{
		Style:        req.Style,
		Method:       strings.ToUpper(req.Method),
		Scheme:       u.Scheme,
		Addr:         u.Host,
		Host:         req.Host,
		Path:         req.Path,
		Header:       http.Header{},
		SpacePercent: b.SpacePercent,
		AccessKeyID:  b.Credentials.AccessKeyID,
	}
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	if s.Host == "" {
		s.Host = u.Host
	}
	for k, v := range req.Header {
		s.Header[k] = slices.Clone(v)
	}
	if len(req.Form) > 0 {
		s.Form = req.Form.Clone()
	} else if len(req.Body) > 0 {
		s.Body = slices.Clone(req.Body)
	}
	switch req.Style {
	case RPC:
		s.Path = "/"
		b.rpcCommon(s, req)
	case ROA:
		b.roaCommon(s, req)
	case V3:
		b.v3Common(s, req)
	default:
		return nil, fmt.Errorf("unknown signing style %q: use rpc, roa or v3", req.Style)
	}
	s.Resign(b.Credentials)
	return s, nil
}

func omitted(req *Request, name string, fold bool) bool {
	for _, o := range req.Omit {
		if o == name || fold && strings.EqualFold(o, name) {
			return true
		}
	}
	return false
}

func (b *Builder) rpcCommon(s *Signed, req Request) {
	q := req.Query.Clone()
	add := func(k, v string) {
		if !q.Has(k) && !s.Form.Has(k) && !omitted(&req, k, false) {
			q = append(q, Param{k, v})
		}
	}
	add(ParamAction, req.Action)
	add(ParamVersion, req.Version)
	if req.Format != "" {
		add(ParamFormat, req.Format)
	}
	add(ParamAccessKeyID, b.Credentials.AccessKeyID)
	add(ParamSignatureMethod, SignatureMethodHMACSHA1)
	add(ParamSignatureVersion, SignatureVersion10)
	s.Nonce = b.nonce()
	add(ParamSignatureNonce, s.Nonce)
	s.Timestamp = string(AppendTimestamp(nil, b.now()))
	add(ParamTimestamp, s.Timestamp)
	if b.Credentials.SecurityToken != "" {
		add(ParamSecurityToken, string(b.Credentials.SecurityToken))
	}
	sortParams(q)
	s.Query = q
	if s.Form != nil {
		s.setHeader(&req, HeaderContentType, "application/x-www-form-urlencoded")
	}
}

// setHeader sets a header unless the request already has it or omits it.
func (s *Signed) setHeader(req *Request, name, value string) {
	if _, ok := headerValue(s.Header, name); ok || omitted(req, name, true) {
		return
	}
	s.Header.Set(name, value)
}

func acceptFor(format string) string {
	switch strings.ToUpper(format) {
	case "JSON":
		return "application/json"
	case "XML":
		return "application/xml"
	}
	return format
}

func (b *Builder) roaCommon(s *Signed, req Request) {
	s.Query = req.Query.Clone()
	s.Timestamp = string(AppendDate(nil, b.now()))
	s.setHeader(&req, HeaderDate, s.Timestamp)
	accept := acceptFor(req.Format)
	if accept == "" {
		accept = "application/json"
	}
	s.setHeader(&req, HeaderAccept, accept)
	body := s.BodyBytes()
	s.setHeader(&req, HeaderContentMD5, ContentMD5(body))
	if s.Form != nil {
		s.setHeader(&req, HeaderContentType, "application/x-www-form-urlencoded")
	} else if len(body) > 0 {
		s.setHeader(&req, HeaderContentType, "application/octet-stream")
	}
	s.setHeader(&req, HeaderACSSignatureMethod, SignatureMethodHMACSHA1)
	s.setHeader(&req, HeaderACSSignatureVersion, SignatureVersion10)
	s.Nonce = b.nonce()
	s.setHeader(&req, HeaderACSNonce, s.Nonce)
	s.setHeader(&req, HeaderACSVersion, req.Version)
	if req.Action != "" {
		s.setHeader(&req, HeaderACSAction, req.Action)
	}
	if b.Credentials.SecurityToken != "" {
		s.setHeader(&req, HeaderACSSecurityToken, string(b.Credentials.SecurityToken))
	}
}

func (b *Builder) v3Common(s *Signed, req Request) {
	s.Query = req.Query.Clone()
	sortParams(s.Query)
	s.setHeader(&req, HeaderACSAction, req.Action)
	s.setHeader(&req, HeaderACSVersion, req.Version)
	s.Timestamp = string(AppendTimestamp(nil, b.now()))
	s.setHeader(&req, HeaderACSDate, s.Timestamp)
	s.Nonce = b.nonce()
	s.setHeader(&req, HeaderACSNonce, s.Nonce)
	if accept := acceptFor(req.Format); accept != "" {
		s.setHeader(&req, HeaderAccept, accept)
	}
	body := s.BodyBytes()
	if s.Form != nil {
		s.setHeader(&req, HeaderContentType, "application/x-www-form-urlencoded")
	} else if len(body) > 0 {
		s.setHeader(&req, HeaderContentType, "application/octet-stream")
	}
	s.setHeader(&req, HeaderACSContentSHA256, ContentSHA256(body))
	if b.Credentials.SecurityToken != "" {
		s.setHeader(&req, HeaderACSAccessKeyID, b.Credentials.AccessKeyID)
		s.setHeader(&req, HeaderACSSecurityToken, string(b.Credentials.SecurityToken))
	}
}

// Message returns the parts of s that a ROA or V3 signature covers.
func (s *Signed) Message() Message {
	return Message{Method: s.Method, Host: s.Host, Path: s.Path, Query: s.Query, Header: s.Header}
}

// Resign signs s again as it now stands, with c: for RPC the Signature
// parameter is replaced (or appended) and covers the query and form; for
// ROA and V3 the Authorization header is replaced, and V3 signs every
// host, content-type and x-acs-* header present. Nothing else changes, so a
// change made to s before Resign is signed and one made after is not.
func (s *Signed) Resign(c Credentials) {
	s.AccessKeyID = c.AccessKeyID
	switch s.Style {
	case RPC:
		if s.Query.Has(ParamAccessKeyID) {
			s.Query = s.Query.Set(ParamAccessKeyID, c.AccessKeyID)
		}
		all := make(Params, 0, len(s.Query)+len(s.Form))
		all = append(append(all, s.Query...), s.Form...)
		s.Artifacts = SignRPC(s.Method, all, c.AccessKeySecret)
		if s.Query.Has(ParamSignature) {
			s.Query = s.Query.Set(ParamSignature, s.Artifacts.Signature)
		} else {
			s.Query = append(s.Query, Param{ParamSignature, s.Artifacts.Signature})
			sortParams(s.Query)
		}
	case ROA:
		s.Header.Del(HeaderAuthorization)
		m := s.Message()
		s.Artifacts = SignROA(&m, c.AccessKeySecret)
		s.Header.Set(HeaderAuthorization, ROAAuthorization(c.AccessKeyID, s.Artifacts.Signature))
	case V3:
		s.Header.Del(HeaderAuthorization)
		m := s.Message()
		signed := V3SignedHeaders(&m)
		s.Artifacts = SignV3(&m, signed, c.AccessKeySecret)
		auth := V3Auth{Algorithm: V3Algorithm, Credential: c.AccessKeyID, SignedHeaders: signed, Signature: s.Artifacts.Signature}
		s.Header.Set(HeaderAuthorization, auth.String())
	}
}

// BodyBytes returns the body as sent: the encoded form, or the raw body.
func (s *Signed) BodyBytes() []byte {
	if s.Form != nil {
		return AppendQuery(nil, s.Form, !s.SpacePercent)
	}
	return s.Body
}

// RequestURI returns the escaped path and query as sent on the request line.
func (s *Signed) RequestURI() string {
	b := AppendV3CanonicalURI(nil, rootPath(s.Path))
	if s.RawQuery != "" {
		return string(b) + "?" + s.RawQuery
	}
	if len(s.Query) > 0 {
		b = append(b, '?')
		b = AppendQuery(b, s.Query, !s.SpacePercent)
	}
	return string(b)
}

// URL returns the full URL the request goes to.
func (s *Signed) URL() string {
	return s.Scheme + "://" + s.Addr + s.RequestURI()
}

// HTTPRequest returns s as an *http.Request, ready for any http.Client.
func (s *Signed) HTTPRequest(ctx context.Context) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, s.Method, s.URL(), bytes.NewReader(s.BodyBytes()))
	if err != nil {
		return nil, err
	}
	for k, v := range s.Header {
		r.Header[k] = slices.Clone(v)
	}
	r.Host = s.Host
	return r, nil
}

// Clone returns a deep copy of s, to deviate from without touching s.
func (s *Signed) Clone() *Signed {
	c := *s
	c.Query = s.Query.Clone()
	c.Form = s.Form.Clone()
	c.Header = s.Header.Clone()
	c.Body = slices.Clone(s.Body)
	return &c
}
