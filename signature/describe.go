package signature

import (
	"slices"
	"strings"
)

// Description is a signed request laid out for people and tools: what
// `acsharness sign` prints, one field per step of the signature.
type Description struct {
	Style        Style             `json:"style"`
	Method       string            `json:"method"`
	Canonical    string            `json:"canonical"`
	StringToSign string            `json:"string_to_sign"`
	Signature    string            `json:"signature"`
	URL          string            `json:"url"`
	Headers      map[string]string `json:"headers"`
	Body         string            `json:"body,omitempty"`
	Curl         string            `json:"curl"`
}

// secretHeaders and secretParams carry credentials other than the secret
// (which is never sent): an STS token is redacted from descriptions too.
var (
	secretHeaders = []string{HeaderACSSecurityToken}
	secretParams  = []string{ParamSecurityToken}
)

// Redacted returns a copy of s with its security token, if any, replaced by
// "[redacted]" in the query and the headers, for display.
func (s *Signed) Redacted() *Signed {
	c := s.Clone()
	for _, ps := range []Params{c.Query, c.Form} {
		for i, p := range ps {
			if slices.Contains(secretParams, p.Key) {
				ps[i].Value = redacted
			}
		}
	}
	for k := range c.Header {
		for _, name := range secretHeaders {
			if strings.EqualFold(k, name) {
				c.Header[k] = []string{redacted}
			}
		}
	}
	return c
}

// securityTokens returns the values s carries as a security token.
func (s *Signed) securityTokens() []Secret {
	var out []Secret
	for _, ps := range []Params{s.Query, s.Form} {
		for _, p := range ps {
			if slices.Contains(secretParams, p.Key) {
				out = append(out, Secret(p.Value))
			}
		}
	}
	for k, vs := range s.Header {
		for _, name := range secretHeaders {
			if strings.EqualFold(k, name) {
				for _, v := range vs {
					out = append(out, Secret(v))
				}
			}
		}
	}
	return out
}

// Describe lays out s with its artefacts, its URL, its headers and a curl
// command line that sends it; its security token, if any, is redacted from
// every one of them, the canonical form and the string to sign included.
func (s *Signed) Describe() Description {
	r := s.Redacted()
	tokens := s.securityTokens()
	d := Description{
		Style:        s.Style,
		Method:       s.Method,
		Canonical:    RedactSecrets(s.Artifacts.Canonical, tokens...),
		StringToSign: RedactSecrets(s.Artifacts.StringToSign, tokens...),
		Signature:    s.Artifacts.Signature,
		URL:          r.URL(),
		Headers:      map[string]string{},
		Body:         string(r.BodyBytes()),
		Curl:         r.Curl(),
	}
	if r.Host != r.Addr {
		d.Headers["Host"] = r.Host
	}
	for k, v := range r.Header {
		d.Headers[k] = strings.Join(v, ", ")
	}
	return d
}

// Curl returns a curl command line that sends s as it stands, every
// argument quoted for a POSIX shell.
func (s *Signed) Curl() string {
	var b strings.Builder
	b.WriteString("curl -sS -X ")
	b.WriteString(s.Method)
	b.WriteString(" ")
	b.WriteString(shellQuote(s.URL()))
	if s.Host != s.Addr {
		b.WriteString(" -H " + shellQuote("Host: "+s.Host))
	}
	keys := make([]string, 0, len(s.Header))
	for k := range s.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range s.Header[k] {
			b.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	if body := s.BodyBytes(); len(body) > 0 {
		b.WriteString(" --data-binary " + shellQuote(string(body)))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell: inside single quotes, where an
// embedded single quote closes the quoting, is escaped and reopens it.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
