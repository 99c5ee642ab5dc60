package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// requestIDPattern is the RequestId shape: an uppercase 8-4-4-4-12 UUID of
// any version (pop-spec §5).
var requestIDPattern = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

// The markers after which gateways echo their string to sign (pop-spec §4).
var stsMarkers = []string{"server string to sign is:", "server StringToSign is ["}

// envelope is a response body's top-level fields.
type envelope struct {
	format string // JSON, XML, or "" when neither
	root   string // XML root
	fields map[string]string
	err    string // why the body could not be parsed
}

func parseEnvelope(contentType string, body []byte) envelope {
	env := envelope{fields: map[string]string{}}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/json" || (mt == "" && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))):
		env.format = "JSON"
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			env.err = "the body is not a JSON object: " + err.Error()
			return env
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				env.fields[k] = v
			case float64, bool:
				env.fields[k] = fmt.Sprint(v)
			}
		}
	case mt == "text/xml" || mt == "application/xml" || (mt == "" && bytes.HasPrefix(bytes.TrimSpace(body), []byte("<"))):
		env.format = "XML"
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
				return env
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
	default:
		env.err = fmt.Sprintf("Content-Type %q is neither JSON nor XML", contentType)
	}
	return env
}

// checker checks the answers of one step.
type checker struct {
	c      *Case
	style  signature.Style
	action string
	signed *signature.Signed
	creds  signature.Credentials
	// noEcho skips comparing an echoed string to sign with ours (under
	// load, where requests differ in nonce and time).
	noEcho bool
}

// check returns the expectation and observation as text, the failures,
// and a string-to-sign mismatch when the gateway echoed a different one.
func (k *checker) check(st *Step, answers []exchange) (string, string, []string, *Mismatch) {
	e := st.Expect
	wantErr := len(e.Code) > 0 || e.CodePattern != ""
	expected := k.describeExpect(e, wantErr, len(answers))
	var failures []string
	var mm *Mismatch
	var observed []string
	successes := 0
	for i, a := range answers {
		env := parseEnvelope(a.header.Get("Content-Type"), a.body)
		observed = append(observed, describe(a, env))
		ok := a.err == nil && a.status >= 200 && a.status < 300 && env.fields["Code"] == "" && env.root != "Error"
		if ok {
			successes++
		}
		var fs []string
		switch {
		case e.Successes != nil && ok:
			// A copy that won the race answers as any success does.
			fs = k.checkAnswer(Expect{Envelope: e.Envelope}, false, a, env, &mm)
		case e.Successes != nil:
			fs = k.checkAnswer(e, true, a, env, &mm)
		default:
			fs = k.checkAnswer(e, wantErr, a, env, &mm)
		}
		for _, f := range fs {
			if len(answers) > 1 {
				f = fmt.Sprintf("copy %d: %s", i+1, f)
			}
			if !slices.Contains(failures, f) {
				failures = append(failures, f)
			}
		}
	}
	if e.Successes != nil && successes != *e.Successes {
		failures = append([]string{fmt.Sprintf("%d of %d concurrent copies succeeded, expected exactly %d", successes, len(answers), *e.Successes)}, failures...)
	}
	obs := observed[0]
	if len(answers) > 1 {
		obs = fmt.Sprintf("%d/%d succeeded; %s", successes, len(answers), summarize(observed))
	}
	if len(failures) > 8 {
		failures = append(failures[:8], fmt.Sprintf("and %d more", len(failures)-8))
	}
	return expected, obs, failures, mm
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

// acceptableFormats lists the response formats an answer may come in: the
// one the step expects, else the one the request asked for; an error may
// also come in the product's default, since a gateway raises some errors
// before it reads Format (pop-spec §5). Without a format asked for, RPC
// answers in the product's default and ROA/V3 in JSON or the product's
// default (a gateway setting, pop-spec §5 [INF]).
func (k *checker) acceptableFormats(e Expect, wantErr bool) []string {
	if e.Format != "" {
		return []string{e.Format}
	}
	def := k.c.Profile.DefaultFormat
	asked, ok := k.requestedFormat()
	switch {
	case ok && !wantErr:
		return []string{asked}
	case ok:
		return []string{asked, def}
	case k.style == signature.RPC && !wantErr:
		return []string{def}
	case k.style == signature.RPC:
		return []string{"JSON", "XML"}
	}
	return []string{"JSON", def}
}

func (k *checker) checkAnswer(e Expect, wantErr bool, a exchange, env envelope, mm **Mismatch) []string {
	if a.err != nil {
		return []string{"no answer: " + a.err.Error()}
	}
	var f []string
	add := func(format string, args ...any) { f = append(f, fmt.Sprintf(format, args...)) }
	code := env.fields["Code"]
	if env.err != "" {
		add("%s", env.err)
	}
	if wantErr && slices.Contains(e.Code, "OK") && a.status == 200 && code == "" {
		// "OK" among the codes accepts a success, checked as any success.
		wantErr, e = false, Expect{Envelope: e.Envelope, Format: e.Format}
	}
	if wantErr {
		if len(e.Status) > 0 && !slices.Contains(e.Status, a.status) {
			add("status %d, expected %v", a.status, e.Status)
		} else if len(e.Status) == 0 && a.status < 400 {
			add("status %d, expected an error status", a.status)
		}
		switch {
		case len(e.Code) > 0 && !slices.Contains(e.Code, code):
			add("code %q, expected %s", code, strings.Join(e.Code, " or "))
		case e.CodePattern != "" && !regexp.MustCompile(e.CodePattern).MatchString(code):
			add("code %q does not match /%s/", code, e.CodePattern)
		}
	} else {
		if len(e.Status) > 0 && !slices.Contains(e.Status, a.status) {
			add("status %d, expected %v", a.status, e.Status)
		} else if len(e.Status) == 0 && a.status != 200 {
			add("status %d %s, expected 200", a.status, code)
		}
		if code != "" && a.status < 300 {
			add("a success carries the error code %q", code)
		}
	}
	if e.Message != "" && !regexp.MustCompile(e.Message).MatchString(env.fields["Message"]) {
		add("message %q does not match /%s/", env.fields["Message"], e.Message)
	}
	if env.format != "" {
		if ok := k.acceptableFormats(e, wantErr); !slices.Contains(ok, env.format) {
			add("answered %s, expected %s", env.format, strings.Join(ok, " or "))
		}
	}
	if e.XMLRoot != "" && env.root != k.root(e.XMLRoot) {
		add("XML root <%s>, expected <%s>", env.root, k.root(e.XMLRoot))
	}
	if e.Envelope == nil || *e.Envelope {
		f = append(f, k.checkEnvelope(a, env, wantErr)...)
	}
	if theirs, ok := echoedStringToSign(env.fields["Message"]); ok && !k.noEcho {
		ours := k.ourStringToSign()
		if ours != "" && theirs != ours {
			if *mm == nil {
				*mm = NewMismatch(ours, theirs)
			}
			if e.EchoStringToSign {
				add("the echoed server string to sign differs from ours at byte %d", firstDifference(ours, theirs))
			}
		}
	} else if e.EchoStringToSign && wantErr {
		add("the message does not carry the server string to sign after %q", stsMarkers[0])
	}
	return f
}

// checkEnvelope checks what every answer carries (pop-spec §5).
func (k *checker) checkEnvelope(a exchange, env envelope, isErr bool) []string {
	var f []string
	add := func(format string, args ...any) { f = append(f, fmt.Sprintf(format, args...)) }
	if env.err != "" {
		return f // already reported
	}
	id := env.fields["RequestId"]
	switch {
	case id == "":
		add("no RequestId in the body")
	case !requestIDPattern.MatchString(id):
		add("RequestId %q is not an uppercase UUID", id)
	}
	if h := a.header.Get("X-Acs-Request-Id"); h != id {
		add("x-acs-request-id %q differs from the body's RequestId %q", h, id)
	}
	ct := a.header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	wantTypes := []string{"application/json"}
	if env.format == "XML" {
		wantTypes = []string{"text/xml", "application/xml"}
	}
	if !slices.Contains(wantTypes, mt) || !strings.EqualFold(params["charset"], "utf-8") {
		want := "application/json;charset=utf-8"
		if env.format == "XML" {
			want = "text/xml;charset=utf-8"
		}
		add("Content-Type %q, expected %s", ct, want)
	}
	gotErr := env.fields["Code"] != "" || env.root == "Error" || a.status >= 400
	if gotErr && isErr {
		for _, field := range []string{"Code", "Message", "HostId", "Recommend"} {
			if env.fields[field] == "" {
				add("the error body has no %s", field)
			}
		}
		if env.format == "XML" && env.root != "Error" {
			add("the XML error root is <%s>, expected <Error>", env.root)
		}
	}
	if !gotErr && env.format == "XML" && env.root != k.action+"Response" {
		add("the XML success root is <%s>, expected <%sResponse>", env.root, k.action)
	}
	return f
}

// echoedStringToSign extracts the server string to sign from a message.
func echoedStringToSign(msg string) (string, bool) {
	for _, m := range stsMarkers {
		i := strings.Index(msg, m)
		if i < 0 {
			continue
		}
		rest := msg[i+len(m):]
		if strings.HasSuffix(m, "[") {
			if j := strings.IndexByte(rest, ']'); j >= 0 {
				rest = rest[:j]
			}
		}
		return rest, true
	}
	return "", false
}

// ourStringToSign is what a correct server computes for the request as
// sent: our own signer run over the final request.
func (k *checker) ourStringToSign() string {
	if k.signed.RawQuery != "" {
		return ""
	}
	c := k.signed.Clone()
	c.Resign(signature.Credentials{AccessKeyID: k.signed.AccessKeyID, AccessKeySecret: k.creds.AccessKeySecret})
	return c.Artifacts.StringToSign
}
