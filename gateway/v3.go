package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// V3 style (docs/protocol.md §3): ACS3-HMAC-SHA256 over the canonical request.

// v3Required are the headers a V3 request must carry, and the name each
// one's Missing code uses.
var v3Required = []struct{ header, name string }{
	{signature.HeaderACSAction, "Action"},
	{signature.HeaderACSVersion, "Version"},
	{signature.HeaderACSDate, "Date"},
	{signature.HeaderACSNonce, "SignatureNonce"},
	{signature.HeaderACSContentSHA256, "ContentSha256"},
}

// v3MustSign are the headers every V3 signature covers (docs/protocol.md §3.4).
var v3MustSign = []string{"host", signature.HeaderACSAction, signature.HeaderACSVersion, signature.HeaderACSDate,
	signature.HeaderACSNonce, signature.HeaderACSContentSHA256}

// serveV3 handles a request signed "Authorization: ACS3-HMAC-SHA256 ...".
func (g *Gateway) serveV3(w http.ResponseWriter, c *call, authHeader string) *apiError {
	r := c.r
	c.rp.format = g.acceptFormat(c)
	query, err := g.parseRequestQuery(c)
	if err != nil {
		return err
	}
	query = dedupe(query) // the first copy wins, as for ROA and RPC (docs/protocol.md §1.6)
	c.params = query
	auth, perr := signature.ParseV3Authorization(authHeader)
	if perr != nil && emptyV3Signature(authHeader, auth) {
		// An empty Signature= is a wrong signature, answered with the
		// server string to sign, not an incomplete one (docs/protocol.md §9 F4).
		perr = nil
	}
	if perr != nil && g.faults.any {
		auth, perr = g.v3AuthFault(auth, perr)
	}
	switch {
	case perr != nil && auth.Algorithm != "" && auth.Algorithm != signature.V3Algorithm && auth.Credential != "" && auth.Signature != "":
		return errInvalidSigMeth
	case perr != nil && auth.Credential == "" && !strings.Contains(perr.Error(), "unknown field") && !strings.Contains(perr.Error(), "has no '='"):
		return errMissing("AccessKeyId")
	case perr != nil:
		return errf(http.StatusBadRequest, CodeIncompleteSignature,
			"The request signature does not conform to Aliyun standards. The Authorization header must read \"ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>\".")
	}
	vals := map[string]string{}
	for _, req := range v3Required {
		v, ok := headerPresent(r.Header, req.header)
		if !ok {
			if req.name == "Version" && g.faults.has(FaultMissingVersionOK) && c.prod != nil {
				v = c.prod.Version
			} else if req.name == "SignatureNonce" && g.faults.has(FaultV3NonceOptional) {
				v = newRequestID()
			} else {
				return &apiError{http.StatusBadRequest, "Missing" + req.name, req.header + " is mandatory for this action."}
			}
		}
		vals[req.header] = v
	}
	version, actionName := vals[signature.HeaderACSVersion], vals[signature.HeaderACSAction]
	if r.URL.Path == "/" || r.URL.Path == "" {
		if err := g.resolveVersion(c, version, false); err != nil {
			return err
		}
		if c.rp.format == "" {
			c.rp.format = g.acceptFormat(c)
		}
		a, ok := g.actionFor(c.backend, actionName)
		if !ok || a.anyVersion {
			return errInvalidAction
		}
		c.action = a
	} else {
		if err := g.routeROA(c, version); err != nil {
			return err
		}
		if actionName != c.action.name {
			return errInvalidAction
		}
	}
	if err := g.bodyParams(c); err != nil {
		return err
	}
	verify := func(secret signature.Secret) (bool, string) { return g.verifyV3(c, auth, secret) }
	nonce, hasNonce := vals[signature.HeaderACSNonce], true
	if g.faults.has(FaultROANonceNoted) {
		hasNonce = false
	}
	if err := g.checkV3Coverage(c, auth); err != nil {
		return err
	}
	if err := g.authenticate(c, vals[signature.HeaderACSDate], false, nonce, hasNonce, auth.Credential, verify); err != nil {
		return err
	}
	return g.finish(w, c, append(query.Clone(), c.extra...))
}

// emptyV3Signature reports whether auth failed to parse only for an empty
// "Signature=" field: the algorithm, a credential and signed headers are
// all there.
func emptyV3Signature(header string, auth signature.V3Auth) bool {
	if auth.Algorithm != signature.V3Algorithm || auth.Credential == "" || len(auth.SignedHeaders) == 0 || auth.Signature != "" {
		return false
	}
	_, fields, _ := strings.Cut(strings.TrimSpace(header), " ")
	for part := range strings.SplitSeq(fields, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "Signature" && v == "" {
			return true
		}
	}
	return false
}

// checkV3Coverage requires SignedHeaders to cover the V3 headers and every
// x-acs-*, host and content-type header present (docs/protocol.md §3.4 step 2).
func (g *Gateway) checkV3Coverage(c *call, auth signature.V3Auth) *apiError {
	if g.faults.has(FaultV3UnsignedHeaders) {
		return nil
	}
	signed := make(map[string]bool, len(auth.SignedHeaders))
	for _, h := range auth.SignedHeaders {
		signed[strings.ToLower(h)] = true
	}
	m := signature.Message{Method: c.r.Method, Host: c.r.Host, Path: c.r.URL.Path, Header: c.r.Header}
	missing := signature.UnsignedV3Headers(&m, auth.SignedHeaders)
	for _, h := range v3MustSign {
		if h == signature.HeaderACSNonce && g.faults.has(FaultV3NonceOptional) {
			continue
		}
		if !signed[h] && !containsString(missing, h) {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return errf(http.StatusBadRequest, CodeIncompleteSignature,
			"The request signature does not conform to Aliyun standards. These headers must be signed: %s.", strings.Join(missing, ", "))
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (g *Gateway) verifyV3(c *call, auth signature.V3Auth, secret signature.Secret) (bool, string) {
	if !g.faults.has(FaultV3SkipBodyHash) {
		sum := sha256.Sum256(c.body)
		var hexSum [2 * sha256.Size]byte
		hex.Encode(hexSum[:], sum[:])
		if !strings.EqualFold(signature.HeaderValue(c.r.Header, signature.HeaderACSContentSHA256), string(hexSum[:])) {
			return false, bodyHashMismatch
		}
	}
	// The escaped path, as received, is canonicalized (docs/protocol.md §3.2).
	m := signature.Message{Method: c.r.Method, Host: c.r.Host, Path: c.r.URL.Path, RawPath: c.r.URL.EscapedPath(),
		Query: c.params, Header: c.r.Header}
	if g.faults.has(FaultV3EmptyPayloadHash) {
		m.Header = c.r.Header.Clone()
		m.Header.Set(signature.HeaderACSContentSHA256, signature.ContentSHA256(nil))
	}
	v := g.verifier.Get().(*signature.Verifier)
	defer g.verifier.Put(v)
	ok, sts := g.outcome(v, v.V3(&m, auth.SignedHeaders, secret, auth.Signature), auth.Signature)
	if !ok && g.faults.has(FaultV3EchoCanonical) {
		sts = v.Artifacts().Canonical
	}
	return ok, sts
}
