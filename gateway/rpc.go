package gateway

import (
	"net/http"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// RPC style (docs/protocol.md §1): common parameters in the query or a form body,
// HMAC-SHA1 over the percent-encoded canonical query.

// rpcRequired are the common RPC parameters, in the order they are checked
// (docs/protocol.md §4.2 step 3), and the rpc* constants their positions.
var rpcRequired = [...]string{
	signature.ParamAction, signature.ParamVersion, signature.ParamAccessKeyID, signature.ParamSignature,
	signature.ParamSignatureMethod, signature.ParamSignatureVersion, signature.ParamSignatureNonce, signature.ParamTimestamp,
}

const (
	rpcAction = iota
	rpcVersion
	rpcAccessKeyID
	rpcSignature
	rpcSignatureMethod
	rpcSignatureVersion
	rpcSignatureNonce
	rpcTimestamp
)

// rpcIndex returns the position in rpcRequired of a common parameter's
// exact name, or -1.
func rpcIndex(name string) int {
	switch name {
	case signature.ParamAction:
		return rpcAction
	case signature.ParamVersion:
		return rpcVersion
	case signature.ParamAccessKeyID:
		return rpcAccessKeyID
	case signature.ParamSignature:
		return rpcSignature
	case signature.ParamSignatureMethod:
		return rpcSignatureMethod
	case signature.ParamSignatureVersion:
		return rpcSignatureVersion
	case signature.ParamSignatureNonce:
		return rpcSignatureNonce
	case signature.ParamTimestamp:
		return rpcTimestamp
	}
	return -1
}

func (g *Gateway) serveRPC(w http.ResponseWriter, c *call) *apiError {
	r := c.r
	if c.prod != nil {
		c.rp.format = g.cfg.defaultFormat(c.prod)
	}
	params, err := g.parseRequestQuery(c)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost && isForm(r) {
		if params, err = g.parseQuery(params, string(c.body)); err != nil {
			return err
		}
		*c.pooled = params
	}
	c.params = dedupe(params)
	// The response format is known as early as possible, so that even the
	// first errors answer in it.
	format, hasFormat := g.getParam(c.params, signature.ParamFormat)
	formatOK := true
	if hasFormat {
		switch {
		case format == FormatJSON || format == FormatXML:
		case strings.EqualFold(format, FormatJSON) || strings.EqualFold(format, FormatXML):
			formatOK = !g.faults.has(FaultStrictFormatCase)
		default:
			formatOK = g.faults.has(FaultAnyFormat)
		}
		if formatOK {
			c.rp.format = strings.ToUpper(format)
			g.formatFault(c)
		}
	}
	// Step 3: the common parameters.
	// One pass over the parameters finds the common ones by name; a name
	// still missing is looked up as the faults spell it.
	var vals [len(rpcRequired)]string // by position in rpcRequired: no map per request
	var found [len(rpcRequired)]bool
	for _, p := range c.params {
		if i := rpcIndex(p.Key); i >= 0 && !found[i] {
			vals[i], found[i] = p.Value, true
		}
	}
	for i, name := range rpcRequired {
		if found[i] {
			continue
		}
		v, ok := g.getParam(c.params, name)
		if !ok {
			if name == signature.ParamVersion && g.faults.has(FaultMissingVersionOK) && c.prod != nil {
				v, ok = c.prod.Version, true
			} else {
				return errMissing(name)
			}
		}
		vals[i] = v
	}
	// Step 4: Format, SignatureMethod, SignatureVersion.
	if !formatOK {
		return errInvalidFormat
	}
	if !g.methodOK(vals[rpcSignatureMethod]) || !g.versionOK(vals[rpcSignatureVersion]) {
		return errInvalidSigMeth
	}
	// Step 5: version, then action.
	if err := g.resolveVersion(c, vals[rpcVersion], false); err != nil {
		return err
	}
	if !hasFormat {
		c.rp.format = g.productFormat(c.prod)
	}
	a, ok := g.actionFor(c.backend, vals[rpcAction])
	if !ok || a.anyVersion {
		return errInvalidAction
	}
	c.action = a
	// Steps 6 to 9: time, nonce, key, signature.
	verify := func(secret signature.Secret) (bool, string) {
		return g.verifyRPC(c, vals[rpcSignature], secret)
	}
	if err := g.authenticate(c, vals[rpcTimestamp], false, vals[rpcSignatureNonce], true,
		vals[rpcAccessKeyID], verify); err != nil {
		return err
	}
	return g.finish(w, c, c.params)
}

func (g *Gateway) methodOK(m string) bool {
	if m == signature.SignatureMethodHMACSHA1 || g.faults.has(FaultAnySignatureMethod) {
		return true
	}
	return g.cfg.SignatureMethodCase == MethodInsensitive && strings.EqualFold(m, signature.SignatureMethodHMACSHA1)
}

// versionOK reports whether v is the SignatureVersion, 1.0.
func (g *Gateway) versionOK(v string) bool {
	return v == signature.SignatureVersion10 || g.faults.has(FaultAnySignatureMethod)
}

// formatFault applies the json-for-xml fault to a format asked for.
func (g *Gateway) formatFault(c *call) {
	if g.faults.has(FaultJSONForXML) && c.rp.format == FormatXML {
		c.rp.format = FormatJSON
	}
}

// verifyRPC checks an RPC signature and returns the server string to sign.
func (g *Gateway) verifyRPC(c *call, got string, secret signature.Secret) (bool, string) {
	params := c.params
	if g.faults.has(FaultRPCIgnoreForm) {
		params, _ = g.parseQuery(nil, c.r.URL.RawQuery)
		params = dedupe(params)
	}
	if g.faults.has(FaultRPCSignsHeaders) {
		params = append(params.Clone(), acsHeaderParams(c.r.Header)...)
	}
	if g.faults.has(FaultSTSTokenUnsigned) {
		params = params.Without(signature.ParamSecurityToken)
	}
	if g.faults.has(FaultSTSStoredToken) {
		if k, ok := g.keys.byID[c.akID]; ok && k.SecurityToken != "" {
			params = params.Clone().Set(signature.ParamSecurityToken, string(k.SecurityToken))
		}
	}
	if g.faults.rpcCanonicalFaulty() {
		sts := faultyRPCStringToSign(g.faults, c.r.Method, params)
		return g.compare(hmacSHA1Base64(g.faults.rpcFaultyKey(secret), sts), got), sts
	}
	v := g.verifier.Get().(*signature.Verifier)
	defer g.verifier.Put(v)
	ok, sts := g.outcome(v, v.RPC(c.r.Method, params, secret, got), got)
	if !ok && g.faults.has(FaultMethodUnsigned) && v.RPC(otherMethod(c.r.Method), params, secret, got) {
		return true, ""
	}
	return ok, sts
}
