package record

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

const redacted = "[redacted]"

// secretParams are the parameters a recording never keeps the value of,
// as a load run's results file does not: the signature, the nonce, the
// AccessKey ID and the security token.
var secretParams = []string{signature.ParamSignature, signature.ParamSignatureNonce, signature.ParamAccessKeyID, signature.ParamSecurityToken}

// secretHeaders are the headers whose value is never kept.
var secretHeaders = []string{signature.HeaderACSNonce, signature.HeaderACSSecurityToken, signature.HeaderACSAccessKeyID,
	"cookie", "proxy-authorization", "x-acs-accesskey-secret"}

// secretName matches parameter names that carry a credential whatever the
// API: a secret, a token, a password.
var secretName = regexp.MustCompile(`(?i)secret|token|password`)

// redactQuery returns a query string or form body with the values of the
// secret parameters redacted, re-encoded; an unparseable one whole.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	params, err := signature.ParseQuery(nil, raw)
	if err != nil {
		return "[redacted: a malformed query]"
	}
	for i := range params {
		if slices.Contains(secretParams, params[i].Key) || secretName.MatchString(params[i].Key) {
			params[i].Value = redacted
		}
	}
	return string(signature.AppendQuery(nil, params, true))
}

// redactAuthorization keeps the scheme and the signed-header list of an
// Authorization header and hides the key ID and the signature.
func redactAuthorization(v string) string {
	if auth, err := signature.ParseV3Authorization(v); err == nil || auth.Algorithm != "" && auth.SignedHeaders != nil {
		return auth.Algorithm + " Credential=" + redacted + ",SignedHeaders=" + strings.Join(auth.SignedHeaders, ";") + ",Signature=" + redacted
	}
	if strings.HasPrefix(v, "acs ") {
		return "acs " + redacted + ":" + redacted
	}
	return redacted
}

// bodySecrets finds secret-named fields in a raw (JSON, XML or text) body.
var bodySecrets = regexp.MustCompile(`(?i)((?:signature|security[-_]?token|access[-_]?key[-_]?(?:id|secret)|signature[-_]?nonce)(?:"\s*:\s*"|>|\s*[=:]\s*))[^"&<\s,;]*`)

// redactRequest returns what a recording keeps of a request.
func redactRequest(req *http.Request, body []byte) Request {
	out := Request{Method: req.Method, URI: req.URL.EscapedPath(), Host: req.Host, BodyBytes: req.ContentLength}
	if req.URL.RawQuery != "" {
		out.URI += "?" + redactQuery(req.URL.RawQuery)
	}
	names := make([]string, 0, len(req.Header))
	for k := range req.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range req.Header[k] {
			switch {
			case strings.EqualFold(k, signature.HeaderAuthorization):
				v = redactAuthorization(v)
			case slices.ContainsFunc(secretHeaders, func(s string) bool { return strings.EqualFold(k, s) }):
				v = redacted
			}
			out.Headers = append(out.Headers, [2]string{k, v})
		}
	}
	if out.BodyBytes < 0 {
		out.BodyBytes = int64(len(body))
	}
	b := string(body)
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		b = redactQuery(b)
	} else {
		b = bodySecrets.ReplaceAllString(b, "${1}"+redacted)
	}
	if len(b) > 4096 {
		b = b[:4096] + "…"
	}
	out.Body = b
	return out
}

// stsEcho is the string to sign a gateway echoes in a mismatch message
// (docs/protocol.md §4): it carries the key ID and the nonce.
var stsEcho = regexp.MustCompile(`(?s)(server (?:string to sign is:|StringToSign is \[|CanonicalRequest is \[)).*`)

// parseResponse reads the gateway's verdict from an answer: the code and
// message of a JSON or XML error envelope (docs/protocol.md §5), the echoed string
// to sign redacted.
func parseResponse(status int, contentType string, body []byte) Response {
	r := Response{Status: status, ContentType: contentType}
	if status < 300 {
		return r
	}
	var env struct {
		Code    string `json:"Code" xml:"Code"`
		Message string `json:"Message" xml:"Message"`
	}
	if json.Unmarshal(body, &env) != nil {
		_ = xml.Unmarshal(body, &env)
	}
	r.Code = env.Code
	r.Message = stsEcho.ReplaceAllString(env.Message, "${1}"+redacted)
	return r
}
