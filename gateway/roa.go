package gateway

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"slices"

	"github.com/acsharness/acsharness/signature"
)

// ROA style (docs/protocol.md §2): Authorization "acs AK:Signature", the x-acs-*
// headers and the canonical resource.

// serveROA handles a request signed "Authorization: acs AK:Signature".
func (g *Gateway) serveROA(w http.ResponseWriter, c *call, auth string) *apiError {
	r := c.r
	c.rp.format = g.acceptFormat(c)
	akID, sig, perr := signature.ParseROAAuthorization(auth)
	query, err := g.parseRequestQuery(c)
	if err != nil {
		return err
	}
	// The first copy of a repeated name wins for the signature as for the
	// backend, as in RPC (docs/protocol.md §1.6): a copy appended after signing
	// neither breaks the signature nor reaches the action.
	query = dedupe(query)
	c.params = query
	if perr != nil {
		return errf(http.StatusBadRequest, CodeIncompleteSignature,
			`The request signature does not conform to Aliyun standards. The Authorization header must read "acs <AccessKeyId>:<Signature>".`)
	}
	date, ok := headerPresent(r.Header, signature.HeaderDate)
	if !ok && g.faults.has(FaultROADateOptional) {
		date, ok = g.cfg.Now().UTC().Format(http.TimeFormat), true
	}
	if !ok {
		return errMissing("Date")
	}
	version, ok := headerPresent(r.Header, signature.HeaderACSVersion)
	if !ok && !g.faults.has(FaultMissingVersionOK) {
		return errMissing("Version")
	}
	if m, ok := headerPresent(r.Header, signature.HeaderACSSignatureMethod); ok && !g.methodOK(m) {
		return errInvalidSigMeth
	}
	if v, ok := headerPresent(r.Header, signature.HeaderACSSignatureVersion); ok && !g.versionOK(v) {
		return errInvalidSigMeth
	}
	if err := g.routeROA(c, version); err != nil {
		return err
	}
	if err := g.bodyParams(c); err != nil {
		return err
	}
	nonce, hasNonce := headerPresent(r.Header, signature.HeaderACSNonce)
	if g.faults.has(FaultROANonceNoted) {
		hasNonce = false
	}
	if !hasNonce && g.faults.has(FaultROANonceRequired) {
		return errMissing("SignatureNonce")
	}
	verify := func(secret signature.Secret) (bool, string) {
		if g.cfg.VerifyContentMD5 {
			if md5h, ok := headerPresent(r.Header, signature.HeaderContentMD5); ok {
				sum := md5.Sum(c.body)
				if md5h != base64.StdEncoding.EncodeToString(sum[:]) {
					return false, contentMD5Mismatch
				}
			}
		}
		return g.verifyROA(c, sig, secret)
	}
	if err := g.authenticate(c, date, true, nonce, hasNonce, akID, verify); err != nil {
		return err
	}
	return g.finish(w, c, append(query.Clone(), c.extra...))
}

func (g *Gateway) verifyROA(c *call, got string, secret signature.Secret) (bool, string) {
	m, _ := signature.NewMessage(c.r)
	m.Query = c.params
	if g.faults.roaFaulty() {
		sts := faultyROAStringToSign(g.faults, &m)
		return g.compare(hmacSHA1Base64(g.faults.roaFaultyKey(secret), sts), got), sts
	}
	v := g.verifier.Get().(*signature.Verifier)
	defer g.verifier.Put(v)
	ok, sts := g.outcome(v, v.ROA(&m, secret, got), got)
	if ok || g.faults.has(FaultROAOneForm) {
		return ok, sts
	}
	// The official clients sign two aspects differently, and the wire
	// cannot tell which form was signed, so each is accepted
	// (signature.Forms): the path decoded, as the spec and
	// alibaba-cloud-sdk-go sign it (docs/protocol.md §2.5), or escaped as sent, as
	// darabonba and the TypeScript client do (§3.2, §9 F9); an empty query
	// value as a bare "k", as the Go SDKs sign it, or "k=", as the
	// TypeScript, Node and Python clients do (§2.2, §9 F8). The echo is the
	// spec's form.
	decoded, escaped := m.Path, c.r.URL.EscapedPath()
	emptyValue := slices.ContainsFunc(c.params, func(p signature.Param) bool { return p.Value == "" })
	for _, form := range [...]struct{ escapedPath, emptyEquals bool }{{true, false}, {false, true}, {true, true}} {
		if form.escapedPath && escaped == decoded || form.emptyEquals && !emptyValue {
			continue // the same string to sign as a form already checked
		}
		m.Path = decoded
		if form.escapedPath {
			m.Path = escaped
		}
		if form.emptyEquals && v.ROAEmptyEquals(&m, secret, got) || !form.emptyEquals && v.ROA(&m, secret, got) {
			return true, ""
		}
	}
	return false, sts
}

// routeROA finds the action of a ROA or V3-ROA request by method and path
// and checks the version.
func (g *Gateway) routeROA(c *call, version string) *apiError {
	if c.prod == nil {
		// Addressed by IP: settle the product by version, but let the
		// generic route through whatever the version.
		for _, p := range g.cfg.Products {
			if a, _, ok := g.backends[p.Code].route(c.r.Method, c.r.URL.EscapedPath()); ok && a.anyVersion {
				if err := g.resolveVersion(c, version, true); err != nil {
					return err
				}
				break
			}
		}
		if c.prod == nil {
			if err := g.resolveVersion(c, version, false); err != nil {
				return err
			}
		}
		if c.style == signature.ROA || c.rp.format == "" {
			c.rp.format = g.acceptFormat(c)
		}
	}
	a, bound, ok := c.backend.route(c.r.Method, c.r.URL.EscapedPath())
	if !ok && g.faults.has(FaultRouteAnyMethod) {
		a, bound, ok = routeAnyMethod(c.backend, c.r.URL.EscapedPath())
	}
	if !ok {
		if err := g.resolveVersion(c, version, false); err != nil {
			return err
		}
		return errInvalidAction
	}
	if err := g.resolveVersion(c, version, a.anyVersion); err != nil {
		return err
	}
	c.action = a
	c.extra = append(c.extra, bound...)
	return nil
}

// faultyROAStringToSign builds the ROA string to sign the way a gateway with
// one of the ROA faults would.
func faultyROAStringToSign(fs faultSet, m *signature.Message) string {
	var b bytes.Buffer
	b.WriteString(m.Method + "\n")
	for _, h := range []string{"Accept", "Content-MD5", "Content-Type", "Date"} {
		v := signature.HeaderValue(m.Header, h)
		if h == "Accept" && fs.has(FaultROAAcceptNormalized) {
			v = "application/json"
		}
		b.WriteString(v + "\n")
	}
	if !fs.has(FaultROASkipACSHeaders) {
		b.Write(signature.AppendROACanonicalHeaders(nil, m.Header))
	}
	q := m.Query
	if fs.has(FaultROAEncodedResource) {
		q = q.Clone()
		for i := range q {
			q[i].Value = signature.PercentEncode(q[i].Value)
		}
	}
	path := m.Path
	if path == "" {
		path = "/"
	}
	b.Write(signature.AppendROACanonicalResource(nil, path, q))
	return b.String()
}
