package reports

import (
	"regexp"
	"strings"

	"github.com/acsharness/acsharness/conformance"
)

// redactedMark replaces what reports hide; the runner uses the same.
const redactedMark = "[redacted]"

// value is what follows a secret's name: up to a separator of a query
// string, a header list, a JSON string or an HTML attribute.
const value = `[^&\s,;"'<>]+`

// redactions hide signature material and secrets wherever they occur in
// free text: a URL, a header value, a body, an error message. Each keeps
// its first group (the name) and second (a delimiter), and hides the rest.
var redactions = []*regexp.Regexp{
	// The signature of an RPC query (pop-spec §1) or a V3 Authorization
	// header (pop-spec §3: "...,Signature=<hex>"), or a JSON field.
	// SignatureMethod=, SignatureNonce= and SignatureVersion= stay.
	regexp.MustCompile(`(?i)(\bsignature(?:=|"\s*:\s*"))` + value),
	// The ROA Authorization header, "acs <key id>:<signature>" (pop-spec §2).
	regexp.MustCompile(`(?i)(\bacs\s+[^\s:"'<>]+:)` + value),
	// Secrets and security tokens as a parameter, a header line or a JSON
	// field: the token is a credential (pop-spec §1.2, SecurityToken).
	regexp.MustCompile(`(?i)(\b(?:access[-_]?key[-_]?secret|(?:x-acs-)?security[-_]?token|client[-_]?secret|password)(?:"\s*:\s*"|\s*[=:]\s*))` + value),
	// A password in a URL's user info.
	regexp.MustCompile(`(://[^/@\s:]*:)[^/@\s]+(@)`),
}

// redactText hides signatures and secrets in s, keeping the names so a
// reader still sees which parameter or header was there.
func redactText(s string) string {
	for _, re := range redactions {
		s = re.ReplaceAllString(s, "${1}"+redactedMark+"${2}")
	}
	return s
}

// redactHeader hides a header's value whole when the header is a
// credential, and its signature part otherwise.
func redactHeader(name, v string) string {
	v = redactText(v)
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization":
		if !strings.Contains(v, redactedMark) {
			return redactedMark
		}
	case "x-acs-security-token", "x-acs-accesskey-secret", "cookie", "set-cookie":
		return redactedMark
	}
	return v
}

func redactHeaders(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = redactHeader(k, v)
	}
	return out
}

// redact returns a deep copy of r with every free-text field passed
// through redactText: the defensive pass behind every renderer.
func redact(r *conformance.Report) *conformance.Report {
	out := *r
	out.Target = redactText(r.Target)
	out.Products = append([]string(nil), r.Products...)
	out.Results = make([]conformance.Result, len(r.Results))
	for i, res := range r.Results {
		res.Title = redactText(res.Title)
		res.Reason = redactText(res.Reason)
		res.Expected = redactText(res.Expected)
		res.Observed = redactText(res.Observed)
		res.Rules = append([]string(nil), res.Rules...)
		if res.Findings != nil {
			fs := make([]conformance.Finding, len(res.Findings))
			for j, f := range res.Findings {
				f.Message = redactText(f.Message)
				fs[j] = f
			}
			res.Findings = fs
		}
		if res.Mismatch != nil {
			// The offset is recomputed: redaction may have moved it.
			ours, theirs := redactText(res.Mismatch.Ours), redactText(res.Mismatch.Theirs)
			res.Mismatch = conformance.NewMismatch(ours, theirs)
		}
		steps := make([]conformance.StepTrace, len(res.Steps))
		for j, st := range res.Steps {
			st.Name = redactText(st.Name)
			st.Request.URL = redactText(st.Request.URL)
			st.Request.Headers = redactHeaders(st.Request.Headers)
			st.Request.Body = redactText(st.Request.Body)
			st.Response.Headers = redactHeaders(st.Response.Headers)
			st.Response.Body = redactText(st.Response.Body)
			st.Response.Error = redactText(st.Response.Error)
			st.Statuses = append([]int(nil), st.Statuses...)
			st.Failures = nil
			for _, f := range res.Steps[j].Failures {
				st.Failures = append(st.Failures, redactText(f))
			}
			steps[j] = st
		}
		if res.Steps != nil {
			res.Steps = steps
		}
		out.Results[i] = res
	}
	return &out
}
