package load

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// secretParams are the query parameters a result never keeps.
var secretParams = []string{signature.ParamSignature, signature.ParamSignatureNonce, signature.ParamAccessKeyID, signature.ParamSecurityToken}

// redactURL replaces the values of signature material and key IDs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable URL]"
	}
	if u.RawQuery == "" {
		return raw
	}
	params, err := signature.ParseQuery(nil, u.RawQuery)
	if err != nil {
		u.RawQuery = "[redacted]"
		return u.String()
	}
	for i := range params {
		for _, s := range secretParams {
			if params[i].Key == s {
				params[i].Value = "redacted"
			}
		}
	}
	u.RawQuery = string(signature.AppendQuery(nil, params, true))
	return u.String()
}

var urlInError = regexp.MustCompile(`"(https?://[^"]*)"`)

// redactError removes signature material from a transport error, which
// quotes the request URL.
func redactError(e string) string {
	if !strings.Contains(e, "://") { // "" or a status line: no URL
		return e
	}
	return urlInError.ReplaceAllStringFunc(e, func(m string) string {
		return `"` + redactURL(m[1:len(m)-1]) + `"`
	})
}

// redacted is what a secret value becomes in results.bin.
const redacted = "redacted"

// rpcRedactor is the redaction of an RPC action's request URLs: prefix and
// the template's query with the signature, the nonce and the key ID (and a
// security token) as "redacted". Every other value is the template's, so
// the redacted URL changes only with the Timestamp: each redactor builds it
// once per second and finds the second in the URL with one search, where
// redactURL parses, decodes and re-encodes the whole query. A URL without
// the Timestamp (none of this item's) goes to redactURL.
func rpcRedactor(method string, query signature.Params, prefix []byte) (func() func(string) string, error) {
	q := make(signature.Params, 0, len(query))
	for _, p := range query {
		switch p.Key {
		case signature.ParamAccessKeyID, signature.ParamSecurityToken:
			p.Value = redacted
		}
		q = append(q, p)
	}
	// The template signs nothing here: it lays out the query.
	tmpl, err := signature.NewRPCTemplate(method, q, "")
	if err != nil {
		return nil, err
	}
	return func() func(string) string {
		var lastStamp, last string
		return func(u string) string {
			stamp, ok := queryValue(u, signature.ParamTimestamp)
			if !ok {
				return redactURL(u)
			}
			if stamp != lastStamp || last == "" {
				ts, err := url.QueryUnescape(stamp)
				if err != nil {
					return redactURL(u)
				}
				red := append([]byte(nil), prefix...)
				last = string(tmpl.AppendQuery(red, []byte(redacted), []byte(redacted), []byte(ts)))
				lastStamp = stamp
			}
			return last
		}
	}, nil
}

// queryValue finds the value of the parameter key in URL u's query, as
// written (still encoded), with one search: the first "key=" after the "?"
// that follows a "?" or "&".
func queryValue(u, key string) (string, bool) {
	q := strings.IndexByte(u, '?')
	if q < 0 {
		return "", false
	}
	for i := q; i < len(u); {
		j := strings.Index(u[i+1:], key)
		if j < 0 {
			return "", false
		}
		j += i + 1
		end := j + len(key)
		if (u[j-1] == '?' || u[j-1] == '&') && end < len(u) && u[end] == '=' {
			v := u[end+1:]
			if k := strings.IndexAny(v, "&#"); k >= 0 {
				v = v[:k]
			}
			return v, true
		}
		i = j
	}
	return "", false
}
