package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// The rules the checker applies on its own, to every answer or to a
// situation, rather than through a scenario's expectation. Each is a rule
// of scenarios/rules.yaml; a test keeps the two in step.
const (
	ruleAnswer           = "http.answer"
	ruleBody             = "env.body"
	ruleRequestID        = "env.request-id"
	ruleRequestIDShape   = "env.request-id.shape"
	ruleRequestIDUnique  = "env.request-id.unique"
	ruleCTJSON           = "env.content-type.json"
	ruleCTXML            = "env.content-type.xml"
	ruleCTXMLError       = "env.content-type.xml-error"
	ruleCTExact          = "env.content-type.exact"
	ruleErrorStatus      = "env.error.status"
	ruleErrorFields      = "env.error.fields"
	ruleErrorXMLRoot     = "env.error.xml-root"
	ruleHostID           = "env.error.host-id"
	ruleRecommend        = "env.error.recommend"
	ruleJSONOrder        = "env.error.json-order"
	ruleSuccessXMLRoot   = "env.success.xml-root"
	ruleTraceID          = "env.trace-id"
	ruleCORS             = "env.cors"
	ruleCORSExpose       = "env.cors.expose"
	ruleFormatRPC        = "env.format.rpc"
	ruleFormatRPCDefault = "env.format.rpc-default"
	ruleFormatAccept     = "env.format.accept"
	ruleFormatAcceptDef  = "env.format.accept-default"
	ruleFormatEarly      = "env.format.early-error"
	ruleMismatchMessage  = "sig.mismatch.message"
	ruleMismatchEcho     = "sig.mismatch.echo"
	ruleMismatchEchoV3   = "sig.mismatch.echo-v3"
	ruleNonceRetention   = "nonce.retention"
)

// checkerRules lists the rules above: each must be in the rule table.
var checkerRules = []string{
	ruleAnswer, ruleBody, ruleRequestID, ruleRequestIDShape, ruleRequestIDUnique, ruleCTJSON, ruleCTXML, ruleCTXMLError,
	ruleCTExact, ruleErrorStatus, ruleErrorFields, ruleErrorXMLRoot, ruleHostID, ruleRecommend, ruleJSONOrder,
	ruleSuccessXMLRoot, ruleTraceID, ruleCORS, ruleCORSExpose, ruleFormatRPC, ruleFormatRPCDefault, ruleFormatAccept, ruleFormatAcceptDef,
	ruleFormatEarly, ruleMismatchMessage, ruleMismatchEcho, ruleMismatchEchoV3, ruleNonceRetention,
}

// Exact Content-Type values of the two formats (docs/protocol.md §5).
const (
	contentTypeJSON = "application/json;charset=utf-8"
	contentTypeXML  = "text/xml;charset=utf-8"
)

// requestIDPattern is the RequestId shape: an uppercase 8-4-4-4-12 UUID of
// any version (docs/protocol.md §5).
var requestIDPattern = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

// traceIDPattern is the x-acs-trace-id shape: 32 hex digits (docs/protocol.md §5).
var traceIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// The markers after which gateways echo their string to sign (docs/protocol.md §4).
const (
	markerRPC = "server string to sign is:"
	markerV3  = "server StringToSign is ["
)

// The observed mismatch messages (docs/protocol.md §4), before the string to sign.
const (
	msgMismatch   = "Specified signature is not matched with our calculation. " + markerRPC
	msgIncomplete = "The request signature does not conform to Aliyun standards. " + markerRPC
	msgMismatchV3 = "Specified signature does not match our calculation. " + markerV3
)

// v3CanonicalTail is the part a third-party note says may follow a V3
// mismatch message (docs/protocol.md §4, unverified): accepted, not required.
var v3CanonicalTail = regexp.MustCompile(`(?s)^ ?server CanonicalRequest is \[.*\]$`)

// Error codes the checker knows by name.
const (
	codeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	codeIncompleteSignature   = "IncompleteSignature"
	codeInvalidProduct        = "InvalidProduct.NotFound"
	codeNonceUsed             = "SignatureNonceUsed"
)

// earlyCodes are the errors a gateway raises before it reads Format
// (docs/protocol.md §4.2 steps 1 to 4, §5): they may come in the product's default
// format whatever was asked.
var earlyCodes = []string{
	codeInvalidProduct, "UnsupportedHTTPMethod", "InvalidParameter.Format", "RequestParameterMalformed",
	"RequestHeaderTooLarge", "RequestBodyTooLarge", "InvalidParameter.TooMany",
}

// commonNames are the parameters and headers checked before Format: their
// Missing<Name> is an early error.
var commonNames = []string{"Action", "Version", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Date"}

// gatewayCodes are the errors the gateway raises itself, answered in its
// own field order (docs/protocol.md §9 F10); any other comes from a backend.
var gatewayCodes = []string{
	codeInvalidProduct, "UnsupportedHTTPMethod", "InvalidParameter.Format", "InvalidSignatureMethod", "InvalidVersion",
	"InvalidAction.NotFound", "InvalidTimeStamp.Format", "InvalidTimeStamp.Expired", codeNonceUsed, "InvalidAccessKeyId",
	"InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", codeSignatureDoesNotMatch, codeIncompleteSignature,
	"Throttling", "Throttling.User", "Throttling.Api", "RequestParameterMalformed",
}

// The two observed orders of the fields of a JSON error (docs/protocol.md §5, §9 F10).
var (
	gatewayOrder  = []string{"RequestId", "Message", "Recommend", "HostId", "Code"}
	businessOrder = []string{"RequestId", "HostId", "Code", "Message", "Recommend"}
)

// envelope is a response body's top-level fields.
type envelope struct {
	format string // JSON or XML, by Content-Type or, failing that, by the body
	root   string // XML root
	fields map[string]string
	order  []string // JSON: the keys in the order sent
	err    string   // why the body could not be parsed
}

// parseEnvelope reads a body as the format its Content-Type announces, or,
// when that is neither JSON nor XML, as the format the body looks like (so
// that a wrong Content-Type is one finding, not a cascade).
func parseEnvelope(contentType string, body []byte) envelope {
	env := envelope{fields: map[string]string{}}
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	switch {
	case mt == "application/json" || mt == "text/json":
		env.format = "JSON"
	case mt == "text/xml" || mt == "application/xml":
		env.format = "XML"
	case bytes.HasPrefix(trimmed, []byte("{")):
		env.format = "JSON"
	case bytes.HasPrefix(trimmed, []byte("<")):
		env.format = "XML"
	default:
		env.err = fmt.Sprintf("the body is neither JSON nor XML (Content-Type %q)", contentType)
		return env
	}
	if env.format == "JSON" {
		env.parseJSON(body)
	} else {
		env.parseXML(body)
	}
	return env
}

// parseJSON reads the top-level members of a JSON object, in order.
func (env *envelope) parseJSON(body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		env.err = "the body is not a JSON object"
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			env.err = "the body is not a JSON object: " + err.Error()
			return
		}
		key, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			env.err = "the body is not a JSON object: " + err.Error()
			return
		}
		env.order = append(env.order, key)
		switch v := v.(type) {
		case string:
			env.fields[key] = v
		case json.Number, bool:
			env.fields[key] = fmt.Sprint(v)
		}
	}
	if _, err := dec.Token(); err != nil {
		env.err = "the body is not a JSON object: " + err.Error()
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		env.err = "the body holds more than one JSON value"
	}
}

// parseXML reads the children of an XML document's root; the prolog may be
// quoted either way (docs/protocol.md §7.11, §9 F6).
func (env *envelope) parseXML(body []byte) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	var name string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			env.err = "the body is not well-formed XML: " + err.Error()
			return
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				env.root = tok.Name.Local
			}
			if depth == 2 {
				name = tok.Name.Local
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 2 {
				env.fields[name] += string(tok)
			}
		}
	}
	if env.root == "" {
		env.err = "the XML body has no root element"
	}
}

// isError reports whether an answer is an error: an error status, an error
// Code or an <Error> root.
func (env *envelope) isError(status int) bool {
	return status >= 400 || env.fields["Code"] != "" || env.root == "Error"
}

// checker checks the answers of one step.
type checker struct {
	c      *Case
	rules  *Rules
	style  signature.Style
	action string
	signed *signature.Signed
	creds  signature.Credentials
	// rule is the rule the step's expectation is judged by.
	rule string
	// noEcho skips comparing an echoed string to sign with ours (under
	// load, where requests differ in nonce and time).
	noEcho bool

	// missed is set when an answer's status or code was not the one
	// expected (or there was no answer): the expected/observed line then
	// says what went wrong by itself.
	missed bool
	// sameEcho is set when an answer refused the signature and echoed a
	// string to sign equal to ours: only the key can differ.
	sameEcho bool
}

// findings collects what departs from rules, without repeats.
type findings struct {
	rules *Rules
	list  []Finding
}

func (f *findings) add(rule, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, x := range f.list {
		if x.Rule == rule && x.Message == msg {
			return
		}
	}
	f.list = append(f.list, Finding{Rule: rule, Level: f.rules.level(rule), Message: msg})
}

// check returns the expectation and observation as text, the findings,
// and a string-to-sign mismatch when the gateway echoed a different one.
func (k *checker) check(st *Step, answers []exchange) (string, string, []Finding, *Mismatch) {
	e := st.Expect
	wantErr := len(e.Code) > 0 || e.CodePattern != ""
	expected := k.describeExpect(e, wantErr, len(answers))
	var all []Finding
	var mm *Mismatch
	var observed []string
	successes := 0
	for i, a := range answers {
		env := parseEnvelope(a.header.Get("Content-Type"), a.body)
		observed = append(observed, describe(a, env))
		ok := a.err == nil && a.status >= 200 && a.status < 300 && !env.isError(a.status)
		if ok {
			successes++
		}
		var fs []Finding
		switch {
		case e.Successes != nil && ok:
			// A copy that won the race answers as any success does.
			fs = k.checkAnswer(Expect{Rule: e.Rule, Envelope: e.Envelope}, false, a, env, &mm)
		case e.Successes != nil:
			fs = k.checkAnswer(e, true, a, env, &mm)
		default:
			fs = k.checkAnswer(e, wantErr, a, env, &mm)
		}
		for _, f := range fs {
			if len(answers) > 1 {
				f.Message = fmt.Sprintf("copy %d: %s", i+1, f.Message)
			}
			if !slices.Contains(all, f) {
				all = append(all, f)
			}
		}
	}
	if e.Successes != nil && successes != *e.Successes {
		k.missed = true
		f := Finding{Rule: k.rule, Level: k.rules.level(k.rule),
			Message: fmt.Sprintf("%d of %d concurrent copies succeeded, expected exactly %d", successes, len(answers), *e.Successes)}
		all = append([]Finding{f}, all...)
	}
	obs := observed[0]
	if len(answers) > 1 {
		obs = fmt.Sprintf("%d/%d succeeded; %s", successes, len(answers), summarize(observed))
	}
	if len(all) > 12 {
		all = append(all[:12], Finding{Rule: all[12].Rule, Level: all[12].Level, Message: fmt.Sprintf("and %d more", len(all)-12)})
	}
	return expected, obs, all, mm
}

func summarize(obs []string) string {
	counts := map[string]int{}
	var order []string
	for _, o := range obs {
		if counts[o] == 0 {
			order = append(order, o)
		}
		counts[o]++
	}
	var parts []string
	for _, o := range order {
		parts = append(parts, fmt.Sprintf("%d× %s", counts[o], o))
	}
	return strings.Join(parts, ", ")
}

func describe(a exchange, env envelope) string {
	if a.err != nil {
		return "no answer: " + a.err.Error()
	}
	s := strconv.Itoa(a.status)
	if code := env.fields["Code"]; code != "" {
		s += " " + code
	} else if a.status < 300 {
		s += " success"
	}
	if env.format != "" {
		s += " " + env.format
	}
	if msg := env.fields["Message"]; msg != "" {
		if len(msg) > 120 {
			msg = msg[:120] + "…"
		}
		s += " (" + msg + ")"
	}
	return s
}

func (k *checker) describeExpect(e Expect, wantErr bool, copies int) string {
	var parts []string
	if e.Successes != nil {
		parts = append(parts, fmt.Sprintf("exactly %d of %d copies succeed, the others", *e.Successes, copies))
	}
	status := "200"
	if len(e.Status) > 0 {
		var ss []string
		for _, s := range e.Status {
			ss = append(ss, strconv.Itoa(s))
		}
		status = strings.Join(ss, "|")
	} else if wantErr {
		status = "4xx"
	}
	parts = append(parts, status)
	switch {
	case len(e.Code) > 0:
		parts = append(parts, strings.Join(e.Code, "|"))
	case e.CodePattern != "":
		parts = append(parts, "code ~ /"+e.CodePattern+"/")
	default:
		parts = append(parts, "success")
	}
	if e.Format != "" {
		parts = append(parts, e.Format)
	}
	if e.XMLRoot != "" {
		parts = append(parts, "<"+k.root(e.XMLRoot)+">")
	}
	if e.Message != "" {
		parts = append(parts, "message ~ /"+e.Message+"/")
	}
	if e.EchoStringToSign {
		parts = append(parts, "echoing our string to sign")
	}
	return strings.Join(parts, " ")
}

func (k *checker) root(tmpl string) string {
	return strings.ReplaceAll(tmpl, "{action}", k.action)
}

// requestedFormat is the format the request asked for, and whether it
// asked at all.
func (k *checker) requestedFormat() (string, bool) {
	s := k.signed
	if k.style == signature.RPC {
		v, ok := s.Query.Get(signature.ParamFormat)
		if !ok && s.Form != nil {
			v, ok = s.Form.Get(signature.ParamFormat)
		}
		switch strings.ToUpper(v) {
		case "JSON", "XML":
			return strings.ToUpper(v), ok
		}
		return "", false
	}
	accept := strings.ToLower(signature.HeaderValue(s.Header, signature.HeaderAccept))
	switch {
	case strings.Contains(accept, "xml"):
		return "XML", true
	case strings.Contains(accept, "json"):
		return "JSON", true
	}
	return "", false
}

// early reports whether an error is one a gateway raises before it reads
// Format (docs/protocol.md §4.2, §5): a code of earlyCodes, a missing common
// parameter, or any error to a query sent raw (it may not even parse).
func (k *checker) early(code string) bool {
	if slices.Contains(earlyCodes, code) || k.signed.RawQuery != "" {
		return true
	}
	name, ok := strings.CutPrefix(code, "Missing")
	return ok && slices.Contains(commonNames, name)
}

// checkFormat checks the answer's format against what the request asked
// (docs/protocol.md §5): the format asked for, the product's default without one,
// either for an error raised before Format is read.
func (k *checker) checkFormat(f *findings, env envelope, code string) {
	def := k.c.Profile.DefaultFormat
	asked, ok := k.requestedFormat()
	var want []string
	rule := ruleFormatRPC
	switch {
	case code == codeInvalidProduct:
		return // no product, so no default: either format
	case ok:
		want = []string{asked}
		if k.style != signature.RPC {
			rule = ruleFormatAccept
		}
	case k.style == signature.RPC:
		want, rule = []string{def}, ruleFormatRPCDefault
	default:
		want, rule = []string{"JSON", def}, ruleFormatAcceptDef
	}
	if code != "" && k.early(code) && !slices.Contains(want, def) {
		want = append(want, def) // env.format.early-error allows it
	}
	if !slices.Contains(want, env.format) {
		what := "Format=" + asked
		if k.style != signature.RPC {
			what = "Accept " + asked
		}
		if !ok {
			what = "no format"
		}
		f.add(rule, "answered %s to a request asking %s, expected %s", env.format, what, strings.Join(want, " or "))
	}
}

func (k *checker) checkAnswer(e Expect, wantErr bool, a exchange, env envelope, mm **Mismatch) []Finding {
	f := &findings{rules: k.rules}
	if a.err != nil {
		k.missed = true
		f.add(ruleAnswer, "no answer: %v", a.err)
		return f.list
	}
	rule := k.rule
	if e.Rule != "" {
		rule = e.Rule
	}
	code := env.fields["Code"]
	if env.err != "" && (e.Envelope == nil || *e.Envelope) {
		f.add(ruleBody, "%s", env.err)
	}
	if wantErr && slices.Contains(e.Code, "OK") && a.status == 200 && code == "" {
		// "OK" among the codes accepts a success, checked as any success.
		wantErr, e = false, Expect{Rule: e.Rule, Envelope: e.Envelope, Format: e.Format}
	}
	main := len(f.list)
	k.checkExpectation(f, rule, e, wantErr, false, a, env)
	mainHeld := len(f.list) == main
	if e.Format != "" {
		if env.format != "" && env.format != e.Format {
			f.add(rule, "answered %s, expected %s", env.format, e.Format)
		}
	} else if env.format != "" {
		k.checkFormat(f, env, code)
	}
	if e.XMLRoot != "" && env.root != k.root(e.XMLRoot) {
		f.add(rule, "XML root <%s>, expected <%s>", env.root, k.root(e.XMLRoot))
	}
	if env.err == "" && (e.Envelope == nil || *e.Envelope) {
		k.checkEnvelope(f, a, env)
		k.checkErrorForm(f, a, env)
	}
	k.checkMismatch(f, e, wantErr, env, mm)
	if e.Also != nil && mainHeld {
		k.checkExpectation(f, e.Also.Rule, *e.Also, true, true, a, env)
	}
	return f.list
}

// checkExpectation checks status, code and message against e, naming rule.
// An error expected without a status must be a client error (4xx), unless
// e is a graded `also`, which checks only what it states.
func (k *checker) checkExpectation(f *findings, rule string, e Expect, wantErr, also bool, a exchange, env envelope) {
	code := env.fields["Code"]
	// miss records a wrong status or code: the main expectation's makes
	// the expected/observed line tell the failure by itself.
	miss := func(format string, args ...any) {
		k.missed = k.missed || !also
		f.add(rule, format, args...)
	}
	if wantErr {
		switch {
		case len(e.Status) > 0 && !slices.Contains(e.Status, a.status):
			miss("status %d, expected %v", a.status, e.Status)
		case len(e.Status) == 0 && !also && (a.status < 400 || a.status > 499):
			miss("status %d, expected a client error (4xx)", a.status)
		}
		switch {
		case len(e.Code) > 0 && !slices.Contains(e.Code, code):
			miss("code %q, expected %s", code, strings.Join(e.Code, " or "))
		case e.CodePattern != "" && !regexp.MustCompile(e.CodePattern).MatchString(code):
			miss("code %q does not match /%s/", code, e.CodePattern)
		}
	} else {
		if len(e.Status) > 0 && !slices.Contains(e.Status, a.status) {
			miss("status %d, expected %v", a.status, e.Status)
		} else if len(e.Status) == 0 && a.status != 200 {
			miss("status %d %s, expected 200", a.status, code)
		}
		if code != "" && a.status < 300 {
			miss("a success carries the error code %q", code)
		}
	}
	if e.Message != "" && !regexp.MustCompile(e.Message).MatchString(env.fields["Message"]) {
		f.add(rule, "message %q does not match /%s/", env.fields["Message"], e.Message)
	}
	for _, kv := range e.Headers {
		if msg := checkHeader(a.header, kv.Key, kv.Value); msg != "" {
			f.add(rule, "%s", msg)
		}
	}
}

// checkHeader returns what is wrong with the response header names (one
// name, or alternatives "a|b") against the pattern, or "".
func checkHeader(h http.Header, names, pattern string) string {
	re := regexp.MustCompile(pattern)
	var seen []string
	for _, name := range strings.Split(names, "|") {
		v, ok := h[http.CanonicalHeaderKey(name)]
		if !ok {
			continue
		}
		if len(v) > 0 && re.MatchString(v[0]) {
			return ""
		}
		seen = append(seen, fmt.Sprintf("%s %q", name, strings.Join(v, ", ")))
	}
	if len(seen) == 0 {
		return fmt.Sprintf("no %s header", strings.ReplaceAll(names, "|", " or "))
	}
	return fmt.Sprintf("header %s does not match /%s/", strings.Join(seen, ", "), pattern)
}

// checkEnvelope checks what every answer carries (docs/protocol.md §5).
func (k *checker) checkEnvelope(f *findings, a exchange, env envelope) {
	id := env.fields["RequestId"]
	switch {
	case id == "":
		f.add(ruleRequestID, "no RequestId in the body")
	case !requestIDPattern.MatchString(id):
		f.add(ruleRequestIDShape, "RequestId %q is not an uppercase UUID", id)
	}
	if h := a.header.Get("X-Acs-Request-Id"); h != id {
		f.add(ruleRequestID, "x-acs-request-id %q differs from the body's RequestId %q", h, id)
	}
	isErr := env.isError(a.status)
	k.checkContentType(f, a.header.Get("Content-Type"), env.format, isErr)
	if t := a.header.Get("X-Acs-Trace-Id"); !traceIDPattern.MatchString(t) {
		f.add(ruleTraceID, "x-acs-trace-id %q, expected 32 hex digits", t)
	}
	if o := a.header.Get("Access-Control-Allow-Origin"); o != "*" {
		f.add(ruleCORS, "Access-Control-Allow-Origin %q, expected *", o)
	}
	if x := a.header.Get("Access-Control-Expose-Headers"); x != "*" && !strings.Contains(strings.ToLower(x), "x-acs-request-id") {
		f.add(ruleCORSExpose, "Access-Control-Expose-Headers %q does not expose x-acs-request-id", x)
	}
	code := env.fields["Code"]
	switch {
	case (code != "" || env.root == "Error") && a.status < 400:
		f.add(ruleErrorStatus, "an error (%s) answered with status %d", code, a.status)
	case a.status >= 200 && a.status < 300 && env.root == "Error":
		f.add(ruleErrorStatus, "an <Error> answered with status %d", a.status)
	}
	if !isErr {
		if env.format == "XML" && env.root != k.action+"Response" {
			f.add(ruleSuccessXMLRoot, "the XML success root is <%s>, expected <%sResponse>", env.root, k.action)
		}
		return
	}
	for _, field := range []string{"Code", "Message"} {
		if env.fields[field] == "" {
			f.add(ruleErrorFields, "the error body has no %s", field)
		}
	}
	if env.format == "XML" && env.root != "Error" {
		f.add(ruleErrorXMLRoot, "the XML error root is <%s>, expected <Error>", env.root)
	}
	host := hostOnly(k.signed.Host)
	switch h := env.fields["HostId"]; {
	case h == "":
		f.add(ruleHostID, "the error body has no HostId")
	case h != host:
		f.add(ruleHostID, "HostId %q, expected the host the request named, %q", h, host)
	}
	if msg := checkRecommend(env.fields["Recommend"], code, id); msg != "" {
		f.add(ruleRecommend, "%s", msg)
	}
	if env.format == "JSON" {
		k.checkOrder(f, env, code)
	}
}

// checkContentType checks the Content-Type of an answer in format.
func (k *checker) checkContentType(f *findings, ct, format string, isErr bool) {
	mt, params, _ := mime.ParseMediaType(ct)
	charsetOK := params["charset"] == "" || strings.EqualFold(params["charset"], "utf-8")
	exact := contentTypeJSON
	switch {
	case format == "JSON" && (mt != "application/json" || !charsetOK):
		f.add(ruleCTJSON, "Content-Type %q for a JSON body, expected %s", ct, contentTypeJSON)
		return
	case format == "XML" && isErr && ct != contentTypeXML:
		f.add(ruleCTXMLError, "Content-Type %q for an XML error, expected exactly %s (darabonba reads an error as XML only then)", ct, contentTypeXML)
		return
	case format == "XML" && (mt != "text/xml" && mt != "application/xml" || !charsetOK):
		f.add(ruleCTXML, "Content-Type %q for an XML body, expected %s", ct, contentTypeXML)
		return
	case format == "XML":
		exact = contentTypeXML
	}
	if ct != exact {
		f.add(ruleCTExact, "Content-Type %q, expected exactly %s", ct, exact)
	}
}

// checkOrder checks the order of a JSON error's fields (docs/protocol.md §5, §9 F10).
func (k *checker) checkOrder(f *findings, env envelope, code string) {
	var got []string
	for _, key := range env.order {
		if slices.Contains(gatewayOrder, key) {
			got = append(got, key)
		}
	}
	inOrder := func(want []string) bool {
		i := 0
		for _, key := range got {
			j := slices.Index(want[i:], key)
			if j < 0 {
				return false
			}
			i += j + 1
		}
		return true
	}
	if inOrder(gatewayOrder) || !slices.Contains(gatewayCodes, code) && inOrder(businessOrder) {
		return
	}
	want := strings.Join(gatewayOrder, ", ")
	if !slices.Contains(gatewayCodes, code) {
		want += " (or, for a backend error, " + strings.Join(businessOrder, ", ") + ")"
	}
	f.add(ruleJSONOrder, "JSON error fields in the order %s, expected %s", strings.Join(got, ", "), want)
}

// recommendHosts are the troubleshooting links' hosts seen since 2018, by
// the query parameter that names the code (docs/protocol.md §5, §9 F12).
var recommendHosts = map[string]string{
	"api.aliyun.com": "q", "api.alibabacloud.com": "q", "next.api.aliyun.com": "q",
	"troubleshoot.api.aliyun.com": "q", "error-center.aliyun.com": "Keyword",
}

// checkRecommend returns what is wrong with a Recommend link, or "".
func checkRecommend(rec, code, requestID string) string {
	if rec == "" {
		return "the error body has no Recommend"
	}
	u, err := url.Parse(rec)
	if err != nil || u.Scheme != "https" {
		return fmt.Sprintf("Recommend %q is not an https link", rec)
	}
	param, ok := recommendHosts[u.Host]
	if !ok {
		return fmt.Sprintf("Recommend %q points at %q, not a troubleshooting host of the real gateway (api.aliyun.com, api.alibabacloud.com, …)", rec, u.Host)
	}
	q := u.Query()
	switch {
	case q.Get(param) != code:
		return fmt.Sprintf("Recommend %q names the code %q, expected the answer's %q", rec, q.Get(param), code)
	case q.Has("product") && q.Get("product") == "":
		return fmt.Sprintf("Recommend %q has an empty product= (leave it out when no product is known)", rec)
	case q.Has("requestId") && q.Get("requestId") != requestID:
		return fmt.Sprintf("Recommend %q names the request %q, expected the answer's RequestId %q", rec, q.Get("requestId"), requestID)
	}
	return ""
}

// checkErrorForm checks an error's status and message against the rule
// that pins its code (scenarios/rules.yaml).
func (k *checker) checkErrorForm(f *findings, a exchange, env envelope) {
	code := env.fields["Code"]
	if code == "" {
		return
	}
	r, name := k.rules.errorForm(code, k.style)
	if r == nil {
		return
	}
	if len(r.Status) > 0 && !slices.Contains(r.Status, a.status) {
		f.add(r.ID, "%s answered with status %d, expected %s", code, a.status, joinInts(r.Status, " or "))
	}
	if msg := env.fields["Message"]; len(r.Messages) > 0 && !r.messageMatches(msg, name) {
		f.add(r.ID, "%s answered with the message %q, expected %q", code, msg, strings.Join(r.expandMessages(name), `" or "`))
	}
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// checkMismatch checks the message of a signature mismatch: its exact
// form, and, when the step expects it, the echoed string to sign equal to
// ours (docs/protocol.md §4, §5).
func (k *checker) checkMismatch(f *findings, e Expect, wantErr bool, env envelope, mm **Mismatch) {
	code, msg := env.fields["Code"], env.fields["Message"]
	theirs, echoed := echoedStringToSign(msg)
	if echoed && (code == codeSignatureDoesNotMatch || code == codeIncompleteSignature) {
		if want := mismatchMessage(code, k.style, theirs); !mismatchFormOK(msg, want, code, k.style) {
			f.add(ruleMismatchMessage, "the %s message reads %q, expected %q", code, clip(msg, 160), clip(want, 160))
		}
	}
	echoRule := ruleMismatchEcho
	if k.style == signature.V3 {
		echoRule = ruleMismatchEchoV3
	}
	if echoed && !k.noEcho {
		art := k.ourArtifacts()
		ours := art.StringToSign
		if ours != "" && ours == theirs && (code == codeSignatureDoesNotMatch || code == codeIncompleteSignature) {
			k.sameEcho = true
		}
		if ours != "" && theirs != ours {
			if *mm == nil {
				*mm = NewMismatch(ours, theirs)
				(*mm).Canonical = art.Canonical
				(*mm).TheirCanonical, _ = echoedCanonicalRequest(msg)
			}
			if e.EchoStringToSign {
				f.add(echoRule, "the echoed server string to sign differs from ours at byte %d", firstDifference(ours, theirs))
			}
		}
	} else if e.EchoStringToSign && wantErr && !echoed {
		marker := markerRPC
		if k.style == signature.V3 {
			marker = markerV3
		}
		f.add(echoRule, "the message does not carry the server string to sign after %q", marker)
	}
}

// mismatchMessage is the observed message of a mismatch (docs/protocol.md §4).
func mismatchMessage(code string, st signature.Style, sts string) string {
	switch {
	case code == codeIncompleteSignature:
		return msgIncomplete + sts
	case st == signature.V3:
		return msgMismatchV3 + sts + "]"
	}
	return msgMismatch + sts
}

// mismatchFormOK reports whether msg is the observed form want, allowing
// the unverified canonical-request tail of a V3 mismatch.
func mismatchFormOK(msg, want, code string, st signature.Style) bool {
	if msg == want {
		return true
	}
	tail, ok := strings.CutPrefix(msg, want)
	return ok && st == signature.V3 && code == codeSignatureDoesNotMatch && v3CanonicalTail.MatchString(tail)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// echoedStringToSign extracts the server string to sign from a message.
func echoedStringToSign(msg string) (string, bool) {
	for _, m := range []string{markerRPC, markerV3} {
		i := strings.Index(msg, m)
		if i < 0 {
			continue
		}
		rest := msg[i+len(m):]
		if m == markerV3 {
			if j := strings.IndexByte(rest, ']'); j >= 0 {
				rest = rest[:j]
			}
		}
		return rest, true
	}
	return "", false
}

// ourArtifacts are what a correct server computes for the request as
// sent, its canonical form and string to sign: our own signer run over the
// final request (none for a raw query, which our signer cannot read).
func (k *checker) ourArtifacts() signature.Artifacts {
	if k.signed.RawQuery != "" {
		return signature.Artifacts{}
	}
	c := k.signed.Clone()
	c.Resign(signature.Credentials{AccessKeyID: k.signed.AccessKeyID, AccessKeySecret: k.creds.AccessKeySecret})
	return c.Artifacts
}

// hostOnly strips the port from a Host header.
func hostOnly(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		return strings.Trim(host[:i], "[]")
	}
	return strings.Trim(host, "[]")
}
