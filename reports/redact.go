package reports

import (
	"regexp"
	"strings"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/signature"
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
	// The signature of an RPC query (docs/protocol.md §1) or a V3 Authorization
	// header (docs/protocol.md §3: "...,Signature=<hex>"), or a JSON field.
	// SignatureMethod=, SignatureNonce= and SignatureVersion= stay.
	regexp.MustCompile(`(?i)(\bsignature(?:=|"\s*:\s*"))` + value),
	// The ROA Authorization header, "acs <key id>:<signature>" (docs/protocol.md §2).
	regexp.MustCompile(`(?i)(\bacs\s+[^\s:"'<>]+:)` + value),
	// Secrets as a parameter, a header line or a JSON field.
	regexp.MustCompile(`(?i)(\b(?:access[-_]?key[-_]?secret|client[-_]?secret|password)(?:"\s*:\s*"|\s*[=:]\s*))` + value),
	// The security token is a credential too (docs/protocol.md §1.2, SecurityToken):
	// as a parameter, a JSON field or a header line of a ROA or V3 string
	// to sign, "x-acs-security-token:<token>". A token is base64, so a
	// backslash ends it: a JSON-escaped echo of a string to sign goes on
	// "\nx-acs-signature-method:…" and that part stays readable.
	regexp.MustCompile(`(?i)(\b(?:x-acs-)?security[-_]?token(?:"\s*:\s*"|\s*[=:]\s*))[^&\s,;"'<>\\]+`),
	// The token in an RPC string to sign, where the query is encoded again
	// (docs/protocol.md §1.3): "%26SecurityToken%3D<value>%26", the value's own
	// escapes written %25XX; and once more where that string is itself
	// percent-encoded (%253D, %2525XX). "%26" comes before the name, so a
	// word boundary alone would not find it.
	regexp.MustCompile(`(?i)((?:\b|%26|%2526)security[-_]?token%3D)(?:[A-Za-z0-9._~-]|%25[0-9A-F]{2})+`),
	regexp.MustCompile(`(?i)((?:\b|%26|%2526)security[-_]?token%253D)(?:[A-Za-z0-9._~-]|%2525[0-9A-F]{2})+`),
	// A password in a URL's user info.
	regexp.MustCompile(`(://[^/@\s:]*:)[^/@\s]+(@)`),
}

// redactText hides signatures and secrets in s, keeping the names so a
// reader still sees which parameter or header was there.
func redactText(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	for _, re := range redactions {
		s = re.ReplaceAllString(s, "${1}"+redactedMark+"${2}")
	}
	return s
}

// secretHints are words one of which each of redactions needs to match,
// lower case: text without any of them passes through unchanged, without
// running seven regular expressions over it.
var secretHints = []string{"signature", "acs", "secret", "password", "token", "://"}

func mayHoldSecret(s string) bool {
	l := strings.ToLower(s)
	for _, h := range secretHints {
		if strings.Contains(l, h) {
			return true
		}
	}
	return false
}

// redactHeader hides a header's value whole when the header is a
// credential, and passes it through text otherwise.
func redactHeader(name, v string, text func(string) string) string {
	v = text(v)
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

func redactHeaders(h map[string]string, text func(string) string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = redactHeader(k, v, text)
	}
	return out
}

// redact returns a deep copy of r with every free-text field passed
// through redactText: the defensive pass behind every renderer.
func redact(r *conformance.Report) *conformance.Report {
	return redactWith(r, redactText)
}

// RedactSecrets returns a copy of r in which each secret's value (the
// AccessKey secrets and the STS token a run signed with) is replaced
// wherever it occurs, in every encoding (signature.RedactSecrets): in the
// string-to-sign mismatch, ours and theirs, in response bodies that echo a
// string to sign, anywhere. Every renderer also hides secrets by their
// names; a caller that knows the values calls this first, so that a value
// in a form no pattern foresaw is hidden too.
func RedactSecrets(r *conformance.Report, secrets ...signature.Secret) *conformance.Report {
	return redactWith(r, func(s string) string { return redactText(signature.RedactSecrets(s, secrets...)) })
}

// redactWith returns a deep copy of r with every free-text field passed
// through text.
func redactWith(r *conformance.Report, text func(string) string) *conformance.Report {
	out := *r
	out.Target = text(r.Target)
	out.Products = append([]string(nil), r.Products...)
	out.Findings = nil
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, text(f))
	}
	if d := r.Diagnosis; d != nil {
		dc := *d
		dc.Case, dc.Mismatch = text(d.Case), redactMismatch(d.Mismatch, text)
		out.Diagnosis = &dc
	}
	out.Results = make([]conformance.Result, len(r.Results))
	for i, res := range r.Results {
		res.Title = text(res.Title)
		res.Reason = text(res.Reason)
		res.Cause = text(res.Cause)
		res.Expected = text(res.Expected)
		res.Observed = text(res.Observed)
		res.Rules = append([]string(nil), res.Rules...)
		if res.Findings != nil {
			fs := make([]conformance.Finding, len(res.Findings))
			for j, f := range res.Findings {
				f.Message = text(f.Message)
				fs[j] = f
			}
			res.Findings = fs
		}
		res.Mismatch = redactMismatch(res.Mismatch, text)
		steps := make([]conformance.StepTrace, len(res.Steps))
		for j, st := range res.Steps {
			st.Name = text(st.Name)
			st.Request.URL = text(st.Request.URL)
			st.Request.Headers = redactHeaders(st.Request.Headers, text)
			st.Request.Body = text(st.Request.Body)
			st.Response.Headers = redactHeaders(st.Response.Headers, text)
			st.Response.Body = text(st.Response.Body)
			st.Response.Error = text(st.Response.Error)
			st.Statuses = append([]int(nil), st.Statuses...)
			st.Failures = nil
			for _, f := range res.Steps[j].Failures {
				st.Failures = append(st.Failures, text(f))
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

// redactMismatch passes a string-to-sign mismatch through text; the
// offset is recomputed, since redaction may have moved it.
func redactMismatch(m *conformance.Mismatch, text func(string) string) *conformance.Mismatch {
	if m == nil {
		return nil
	}
	out := conformance.NewMismatch(text(m.Ours), text(m.Theirs))
	out.Canonical, out.TheirCanonical = text(m.Canonical), text(m.TheirCanonical)
	return out
}
