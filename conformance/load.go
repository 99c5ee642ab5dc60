package conformance

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/internal/spelling"
	"github.com/acsharness/acsharness/signature"
)

// LoadError lists every problem found in scenario files, each naming
// file:line:column and the fix. Nothing runs when there is one.
type LoadError struct {
	Problems []Problem
}

// Problem is one mistake in a scenario file.
type Problem struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
}

func (e *LoadError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	fmt.Fprintf(&b, "%d problem(s) in scenario files:", n)
	for i, p := range e.Problems {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", n-20)
			break
		}
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// The keys each mapping of a scenario file may hold. The JSON Schema in
// scenarios/schema.json lists the same keys; a test keeps them in step.
var (
	fileKeys     = []string{"scenarios"}
	scenarioKeys = []string{"id", "title", "category", "spec", "rules", "styles", "products", "needs", "steps"}
	stepKeys     = []string{"name", "request", "sign", "tamper", "copies", "distinct_copies", "expect", "capture"}
	requestKeys  = []string{"style", "method", "action", "path", "params", "form", "headers", "body", "format", "host", "version", "no_probe_params"}
	signKeys     = []string{"secret", "key", "timestamp", "nonce", "omit", "set"}
	timeKeys     = []string{"offset", "literal", "name", "form"}
	tamperKeys   = []string{"set", "add", "drop", "rename", "headers", "drop_headers", "header_case", "flip_signature", "body", "raw_query", "space", "method", "resign", "unsign", "roa_form", "authorization"}
	expectKeys   = []string{"rule", "status", "code", "code_pattern", "message", "headers", "format", "xml_root", "envelope", "echo_string_to_sign", "successes", "also"}
	alsoKeys     = []string{"rule", "status", "code", "message", "headers"}
	captureKeys  = []string{"nonce", "request_id"}
)

// KnownKeys returns the keys each part of the scenario format accepts, by
// the JSON Schema definition that describes it.
func KnownKeys() map[string][]string {
	return map[string][]string{
		"file": fileKeys, "scenario": scenarioKeys, "step": stepKeys, "request": requestKeys, "sign": signKeys,
		"timestamp": timeKeys, "tamper": tamperKeys, "expect": expectKeys, "also": alsoKeys, "capture": captureKeys,
	}
}

// Enumerations of the format.
var (
	signKeyValues = []string{"", "unknown", "inactive", "second", "throttled", "sts", "main-with-sts-token"}
	needsValues   = []string{"inactive-key", "second-key", "throttled-key", "sts-key"}
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9._/-]*$`)
	noncePattern  = regexp.MustCompile(`^(fresh|empty|uuid|literal:.*|reuse:[A-Za-z0-9_-]+)$`)
	timeForms     = []string{"fraction", "offset", "zoneless", "iso8601", "ampm", "http-date"}
	yamlLineError = regexp.MustCompile(`line (\d+)`)
)

// loader walks YAML nodes, collecting problems with their positions.
type loader struct {
	file     string
	problems []Problem
}

func (l *loader) addf(n *yaml.Node, format string, a ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	l.problems = append(l.problems, Problem{l.file, line, col, fmt.Sprintf(format, a...)})
}

// fields checks that n is a mapping holding only known keys (suggesting the
// nearest one for a typo) and returns key → value node, and the known keys
// suggested for typos: a key misspelt is one mistake, so a caller does not
// also report it missing.
func (l *loader) fields(n *yaml.Node, what string, known []string) (map[string]*yaml.Node, map[string]bool) {
	vals, typos := map[string]*yaml.Node{}, map[string]bool{}
	if n.Kind != yaml.MappingNode {
		l.addf(n, "%s must be a mapping (key: value lines), not %s", what, kindName(n))
		return vals, typos
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(known, k.Value) {
			hint := ""
			if s := nearest(k.Value, known); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
				typos[s] = true
			}
			l.addf(k, "unknown key %q in %s%s; valid keys: %s", k.Value, what, hint, strings.Join(known, ", "))
			continue
		}
		if _, dup := vals[k.Value]; dup {
			l.addf(k, "key %q appears twice in %s: keep one", k.Value, what)
			continue
		}
		vals[k.Value] = v
	}
	return vals, typos
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", n.Value)
	}
	return "empty"
}

func (l *loader) str(n *yaml.Node, what string) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.addf(n, "%s must be a string, not %s", what, kindName(n))
		return ""
	}
	return n.Value
}

// integer reads a whole number; ok is false (and the problem reported
// once) when n is not one, so that callers check a range only on a number.
func (l *loader) integer(n *yaml.Node, what string) (v int, ok bool) {
	if n == nil {
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		l.addf(n, "%s must be a whole number, not %s", what, kindName(n))
		return 0, false
	}
	return v, true
}

// scalar reports whether n holds a plain value (a string, number or
// boolean): where it does not, str has already said so.
func scalar(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null"
}

func (l *loader) boolean(n *yaml.Node, what string) bool {
	if n == nil {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		l.addf(n, "%s must be true or false, not %s", what, kindName(n))
	}
	return b
}

func (l *loader) duration(n *yaml.Node, what string) time.Duration {
	if n == nil {
		return 0
	}
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		l.addf(n, "%s must be a duration such as 15m30s or -14m50s, not %s", what, kindName(n))
	}
	return d
}

// strs reads a string or a list of strings.
func (l *loader) strs(n *yaml.Node, what string) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		l.addf(n, "%s must be a string or a list of strings, not %s", what, kindName(n))
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, l.str(c, what+" entry"))
	}
	return out
}

// styles reads a style or a list of styles.
func (l *loader) styles(n *yaml.Node) []signature.Style {
	var out []signature.Style
	for _, st := range l.strs(n, "styles") {
		style, err := signature.ParseStyle(st)
		if err != nil {
			l.addf(n, "styles: %v", err)
			continue
		}
		out = append(out, style)
	}
	return out
}

// kvs reads a mapping of names to scalar values, keeping its order.
func (l *loader) kvs(n *yaml.Node, what string) []KV {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.addf(n, "%s must be a mapping of names to values, not %s", what, kindName(n))
		return nil
	}
	var out []KV
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			l.addf(v, "%s.%s must be a plain value, not %s", what, k.Value, kindName(v))
			continue
		}
		val := v.Value
		if v.Tag == "!!null" {
			val = ""
		}
		out = append(out, KV{k.Value, val})
	}
	return out
}

func (l *loader) oneOf(n *yaml.Node, what, v string, valid []string) {
	if scalar(n) && !slices.Contains(valid, v) {
		hint := ""
		if s := nearest(v, valid); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		l.addf(n, "%s %q is not valid%s; use one of %s", what, v, hint, strings.Join(nonEmpty(valid), ", "))
	}
}

func nonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ParseScenarios parses one scenario file; name is used in messages.
func ParseScenarios(name string, data []byte) ([]Scenario, error) {
	l := &loader{file: name}
	out := l.parse(data)
	if len(l.problems) > 0 {
		return nil, &LoadError{Problems: l.problems}
	}
	return out, nil
}

func (l *loader) parse(data []byte) []Scenario {
	root := l.document(data, "scenarios", "a list of scenarios")
	if root == nil {
		return nil
	}
	f, typo := l.fields(root, "the file", fileKeys)
	list := f["scenarios"]
	if list == nil && typo["scenarios"] {
		return nil
	}
	if list == nil {
		l.addf(root, "the file has no `scenarios:` list")
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		l.addf(list, "`scenarios` must be a list (each entry starting with `- id:`), not %s", kindName(list))
		return nil
	}
	var out []Scenario
	for _, n := range list.Content {
		out = append(out, l.scenario(n))
	}
	return out
}

func (l *loader) scenario(n *yaml.Node) Scenario {
	s := Scenario{File: l.file, Line: n.Line}
	f, typo := l.fields(n, "a scenario", scenarioKeys)
	s.ID = l.str(f["id"], "id")
	where := "scenario " + s.ID
	switch {
	case f["id"] == nil && typo["id"]:
	case f["id"] == nil:
		l.addf(n, "a scenario has no id: add `id: category/short-name`")
	case scalar(f["id"]) && !idPattern.MatchString(s.ID):
		l.addf(f["id"], "id %q must be lowercase letters, digits and . _ / - (e.g. signature/wrong-secret)", s.ID)
	}
	s.Title = l.str(f["title"], "title")
	if f["title"] == nil && !typo["title"] {
		l.addf(n, "%s has no title: add `title:` saying what it checks", where)
	}
	s.Category = l.str(f["category"], "category")
	if f["category"] == nil && !typo["category"] {
		l.addf(n, "%s has no category: add one of %s", where, strings.Join(Categories, ", "))
	} else {
		l.oneOf(f["category"], "category", s.Category, Categories)
	}
	s.Spec = l.str(f["spec"], "spec")
	s.Rules = l.ruleRefs(f["rules"])
	s.Styles = l.styles(f["styles"])
	s.Products = l.strs(f["products"], "products")
	s.Needs = l.strs(f["needs"], "needs")
	for _, need := range s.Needs {
		l.oneOf(f["needs"], "needs", need, needsValues)
	}
	l.rulesCoverStyles(f["rules"], s)
	steps := f["steps"]
	switch {
	case steps == nil && typo["steps"]:
	case steps == nil:
		l.addf(n, "%s has no steps: add `steps:` with at least one request and its `expect:`", where)
	case steps.Kind != yaml.SequenceNode || len(steps.Content) == 0:
		l.addf(steps, "steps must be a non-empty list (each entry starting with `- request:` or `- expect:`)")
	default:
		captured := map[string]bool{}
		for i, sn := range steps.Content {
			s.Steps = append(s.Steps, l.step(sn, i+1, s, captured))
		}
	}
	return s
}

func (l *loader) step(n *yaml.Node, index int, sc Scenario, captured map[string]bool) Step {
	st := Step{Line: n.Line, Copies: 1}
	f, typo := l.fields(n, fmt.Sprintf("step %d", index), stepKeys)
	st.Name = l.str(f["name"], "name")
	if f["request"] != nil {
		st.Request = l.request(f["request"], sc)
	}
	if f["sign"] != nil {
		st.Sign = l.sign(f["sign"], captured)
	}
	if f["tamper"] != nil {
		st.Tamper = l.tamper(f["tamper"])
	}
	if v, ok := l.integer(f["copies"], "copies"); ok {
		st.Copies = v
		if v < 1 || v > 64 {
			l.addf(f["copies"], "copies must be between 1 and 64, not %d", v)
		}
	}
	st.Distinct = l.boolean(f["distinct_copies"], "distinct_copies")
	if st.Distinct && st.Copies < 2 {
		l.addf(f["distinct_copies"], "distinct_copies needs `copies: N` (N ≥ 2)")
	}
	switch {
	case f["expect"] != nil:
		st.Expect = l.expect(f["expect"], st, sc)
	case !typo["expect"]:
		l.addf(n, "step %d has no `expect:`: say what the answer must be (e.g. `expect: {code: SignatureDoesNotMatch}`)", index)
	}
	if c := f["capture"]; c != nil {
		cf, _ := l.fields(c, "capture", captureKeys)
		st.Capture = map[string]string{}
		for k, v := range cf {
			name := l.str(v, "capture."+k)
			st.Capture[k] = name
			captured[name] = true
		}
	}
	return st
}

func (l *loader) request(n *yaml.Node, sc Scenario) RequestSpec {
	var r RequestSpec
	f, _ := l.fields(n, "request", requestKeys)
	if v := l.str(f["style"], "style"); scalar(f["style"]) {
		st, err := signature.ParseStyle(v)
		if err != nil {
			l.addf(f["style"], "request.style: %v", err)
		}
		r.Style = st
		if len(sc.Styles) > 0 && !slices.Contains(sc.Styles, st) && err == nil {
			l.addf(f["style"], "request.style %s is not among the scenario's styles %v: add it there or drop this line", st, sc.Styles)
		}
	}
	r.Method = strings.ToUpper(l.str(f["method"], "method"))
	r.Action = l.str(f["action"], "action")
	r.Path = l.str(f["path"], "path")
	if scalar(f["path"]) && !strings.HasPrefix(r.Path, "/") {
		l.addf(f["path"], "path %q must start with /", r.Path)
	}
	r.Params = l.kvs(f["params"], "params")
	r.Form = l.kvs(f["form"], "form")
	r.Headers = l.kvs(f["headers"], "headers")
	r.Body = l.str(f["body"], "body")
	if f["body"] != nil && f["form"] != nil {
		l.addf(f["body"], "a request carries a raw body or form parameters, not both: drop one")
	}
	r.Format = strings.ToUpper(l.str(f["format"], "format"))
	l.oneOf(f["format"], "format", r.Format, []string{"JSON", "XML", "NONE"})
	r.Host = l.str(f["host"], "host")
	r.Version = l.str(f["version"], "version")
	r.NoProbeParams = l.boolean(f["no_probe_params"], "no_probe_params")
	return r
}

func (l *loader) sign(n *yaml.Node, captured map[string]bool) SignSpec {
	var s SignSpec
	f, _ := l.fields(n, "sign", signKeys)
	s.Secret = l.str(f["secret"], "secret")
	l.oneOf(f["secret"], "sign.secret", s.Secret, []string{"wrong"})
	s.Key = l.str(f["key"], "key")
	l.oneOf(f["key"], "sign.key", s.Key, signKeyValues)
	if t := f["timestamp"]; t != nil {
		tf, _ := l.fields(t, "sign.timestamp", timeKeys)
		s.Timestamp.Offset = l.duration(tf["offset"], "timestamp.offset")
		s.Timestamp.Literal = l.str(tf["literal"], "timestamp.literal")
		s.Timestamp.Name = l.str(tf["name"], "timestamp.name")
		s.Timestamp.Form = l.str(tf["form"], "timestamp.form")
		l.oneOf(tf["form"], "timestamp.form", s.Timestamp.Form, timeForms)
		if tf["offset"] != nil && tf["literal"] != nil {
			l.addf(tf["literal"], "timestamp.offset and timestamp.literal exclude each other: keep one")
		}
		if tf["form"] != nil && tf["literal"] != nil {
			l.addf(tf["literal"], "timestamp.form and timestamp.literal exclude each other: keep one")
		}
	}
	s.Nonce = l.str(f["nonce"], "nonce")
	if scalar(f["nonce"]) {
		switch {
		case !noncePattern.MatchString(s.Nonce):
			l.addf(f["nonce"], "nonce %q is not valid: use fresh, empty, uuid, literal:<value> or reuse:<capture name>", s.Nonce)
		case strings.HasPrefix(s.Nonce, "reuse:") && !captured[strings.TrimPrefix(s.Nonce, "reuse:")]:
			l.addf(f["nonce"], "nonce %q reuses a capture no earlier step makes: add `capture: {nonce: %s}` to an earlier step",
				s.Nonce, strings.TrimPrefix(s.Nonce, "reuse:"))
		}
	}
	s.Omit = l.strs(f["omit"], "omit")
	s.Set = l.kvs(f["set"], "set")
	return s
}

func (l *loader) tamper(n *yaml.Node) TamperSpec {
	var t TamperSpec
	f, _ := l.fields(n, "tamper", tamperKeys)
	t.Set = l.kvs(f["set"], "tamper.set")
	t.Add = l.kvs(f["add"], "tamper.add")
	t.Drop = l.strs(f["drop"], "tamper.drop")
	t.Rename = l.kvs(f["rename"], "tamper.rename")
	t.Headers = l.kvs(f["headers"], "tamper.headers")
	t.DropHeaders = l.strs(f["drop_headers"], "tamper.drop_headers")
	t.HeaderCase = l.kvs(f["header_case"], "tamper.header_case")
	for _, hc := range t.HeaderCase {
		if !strings.EqualFold(hc.Key, hc.Value) {
			l.addf(f["header_case"], "header_case maps %q to %q: both must spell the same name in another case", hc.Key, hc.Value)
		}
	}
	t.FlipSig = l.boolean(f["flip_signature"], "flip_signature")
	if f["body"] != nil {
		b := l.str(f["body"], "tamper.body")
		t.Body = &b
	}
	t.RawQuery = l.str(f["raw_query"], "raw_query")
	if f["raw_query"] != nil && (f["set"] != nil || f["add"] != nil || f["drop"] != nil || f["rename"] != nil) {
		l.addf(f["raw_query"], "raw_query replaces the whole query: it cannot be combined with set, add, drop or rename")
	}
	t.Space = l.str(f["space"], "space")
	l.oneOf(f["space"], "tamper.space", t.Space, []string{"plus", "percent"})
	t.Method = strings.ToUpper(l.str(f["method"], "tamper.method"))
	t.Resign = l.boolean(f["resign"], "resign")
	t.Unsign = l.strs(f["unsign"], "tamper.unsign")
	t.ROAForm = l.str(f["roa_form"], "tamper.roa_form")
	l.oneOf(f["roa_form"], "tamper.roa_form", t.ROAForm, []string{"empty-equals", "escaped-path"})
	t.Authorization = l.str(f["authorization"], "tamper.authorization")
	if scalar(f["authorization"]) && t.Authorization == "" {
		l.addf(f["authorization"], "tamper.authorization is a template for the whole header (e.g. \"ACS3-HMAC-SHA256 Credential=,SignedHeaders={signed_headers},Signature={signature}\"): it cannot be empty")
	}
	return t
}

func (l *loader) expect(n *yaml.Node, st Step, sc Scenario) Expect {
	var e Expect
	f, _ := l.fields(n, "expect", expectKeys)
	e.Rule = l.stepRule(f["rule"], "expect.rule", sc)
	e.Status = l.statuses(f["status"])
	e.Code = l.strs(f["code"], "code")
	e.CodePattern = l.str(f["code_pattern"], "code_pattern")
	if f["code"] != nil && f["code_pattern"] != nil {
		l.addf(f["code_pattern"], "code and code_pattern exclude each other: keep one")
	}
	if e.CodePattern != "" {
		if _, err := regexp.Compile(e.CodePattern); err != nil {
			l.addf(f["code_pattern"], "code_pattern is not a regular expression: %v", err)
		}
	}
	e.Message = l.str(f["message"], "message")
	if e.Message != "" {
		if _, err := regexp.Compile(e.Message); err != nil {
			l.addf(f["message"], "message is not a regular expression: %v", err)
		}
	}
	e.Headers = l.headerPatterns(f["headers"], "expect.headers")
	e.Format = strings.ToUpper(l.str(f["format"], "format"))
	l.oneOf(f["format"], "expect.format", e.Format, []string{"JSON", "XML"})
	e.XMLRoot = l.str(f["xml_root"], "xml_root")
	if e.XMLRoot != "" && e.Format == "JSON" {
		l.addf(f["xml_root"], "xml_root needs an XML answer, but format is JSON: drop one")
	}
	if f["envelope"] != nil {
		b := l.boolean(f["envelope"], "envelope")
		e.Envelope = &b
	}
	e.EchoStringToSign = l.boolean(f["echo_string_to_sign"], "echo_string_to_sign")
	if e.EchoStringToSign && len(e.Code) == 0 && e.CodePattern == "" {
		l.addf(f["echo_string_to_sign"], "echo_string_to_sign needs an error: add `code: [SignatureDoesNotMatch, IncompleteSignature]`")
	}
	if a := f["also"]; a != nil {
		e.Also = l.also(a, sc)
	}
	if s := f["successes"]; s != nil {
		v, ok := l.integer(s, "successes")
		e.Successes = &v
		switch {
		case !ok:
		case st.Copies < 2:
			l.addf(s, "successes counts concurrent copies: add `copies: N` (N ≥ 2) to the step")
		case v > st.Copies:
			l.addf(s, "successes %d is more than the %d copies sent", v, st.Copies)
		}
	}
	return e
}

// statuses reads one HTTP status or a list of them.
func (l *loader) statuses(s *yaml.Node) []int {
	if s == nil {
		return nil
	}
	nodes := []*yaml.Node{s}
	if s.Kind == yaml.SequenceNode {
		nodes = s.Content
	}
	var out []int
	for _, c := range nodes {
		v, ok := l.integer(c, "status")
		if !ok {
			continue
		}
		if v < 100 || v > 599 {
			l.addf(c, "status %d is not an HTTP status (100 to 599)", v)
		}
		out = append(out, v)
	}
	return out
}

// also reads a graded expectation: what the answer should also be, judged
// by a rule of its own (a `should` or `may` rule, typically) once the
// step's main expectation holds.
func (l *loader) also(n *yaml.Node, sc Scenario) *Expect {
	f, typo := l.fields(n, "expect.also", alsoKeys)
	a := &Expect{Rule: l.stepRule(f["rule"], "expect.also.rule", sc)}
	if f["rule"] == nil && !typo["rule"] {
		l.addf(n, "expect.also needs the `rule:` its failure breaks (one of the scenario's rules)")
	}
	a.Status = l.statuses(f["status"])
	a.Code = l.strs(f["code"], "expect.also.code")
	a.Message = l.str(f["message"], "expect.also.message")
	if a.Message != "" {
		if _, err := regexp.Compile(a.Message); err != nil {
			l.addf(f["message"], "expect.also.message is not a regular expression: %v", err)
		}
	}
	a.Headers = l.headerPatterns(f["headers"], "expect.also.headers")
	if len(a.Status) == 0 && len(a.Code) == 0 && a.Message == "" && len(a.Headers) == 0 {
		l.addf(n, "expect.also says nothing: give a status, a code, a message or headers")
	}
	return a
}

// headerPatterns reads response headers and the regular expressions their
// values must match.
func (l *loader) headerPatterns(n *yaml.Node, what string) []KV {
	kvs := l.kvs(n, what)
	for _, kv := range kvs {
		if _, err := regexp.Compile(kv.Value); err != nil {
			l.addf(n, "%s.%s is not a regular expression: %v", what, kv.Key, err)
		}
	}
	return kvs
}

// ruleRefs reads a scenario's rules: ids of the built-in rule table.
func (l *loader) ruleRefs(n *yaml.Node) []string {
	ids := l.strs(n, "rules")
	if len(ids) == 0 {
		return nil
	}
	rs, err := BuiltinRules()
	if err != nil {
		l.addf(n, "the built-in rules do not load: %v", err)
		return ids
	}
	for _, id := range ids {
		if rs.Get(id) == nil {
			hint := ""
			if s := nearest(id, rs.IDs()); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			l.addf(n, "rule %q is not in the rule table%s: see `acsharness conform --list --rules`", id, hint)
		}
	}
	return ids
}

// rulesCoverStyles checks that each style a scenario runs in has a rule of
// its list that applies to it: a failure there must name a rule.
func (l *loader) rulesCoverStyles(n *yaml.Node, s Scenario) {
	rs, err := BuiltinRules()
	if err != nil || len(s.Rules) == 0 {
		return
	}
	styles := s.Styles
	if len(styles) == 0 {
		styles = signature.Styles
	}
	var uncovered []string
	for _, st := range styles {
		covered := false
		for _, id := range s.Rules {
			if r := rs.Get(id); r == nil || r.AppliesTo(st) {
				covered = true
				break
			}
		}
		if !covered {
			uncovered = append(uncovered, string(st))
		}
	}
	if len(uncovered) > 0 {
		l.addf(n, "none of the rules of scenario %s applies to %s requests: add one that does, or narrow `styles:`", s.ID, strings.Join(uncovered, " and "))
	}
}

// stepRule reads the rule a step's expectation (or its `also`) is judged
// by: one of the scenario's rules.
func (l *loader) stepRule(n *yaml.Node, what string, sc Scenario) string {
	id := l.str(n, what)
	if scalar(n) && !slices.Contains(sc.Rules, id) {
		l.addf(n, "%s %q is not among the scenario's rules %v: add it to `rules:`", what, id, sc.Rules)
	}
	return id
}

// Nearest returns the valid word closest to s, if close enough to be a
// typo, or "": the did-you-mean of the scenario loader, shared with the
// command line's config files.
func Nearest(s string, valid []string) string { return nearest(s, valid) }

// nearest returns the valid word closest to s, if close enough to be a
// typo (Damerau–Levenshtein: "stpes" is one edit from "steps"), or "".
func nearest(s string, valid []string) string { return spelling.Nearest(s, valid) }

// LoadFS loads every *.yaml and *.yml file of fsys (recursively) in name
// order. Problems from all files are reported together, and so are
// duplicated ids and products no profile knows.
func LoadFS(fsys fs.FS, root string, products []string) ([]Scenario, error) {
	var names []string
	err := fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []namedData
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		files = append(files, namedData{name, b})
	}
	return loadAll(files, products)
}

// LoadPaths loads scenario files and folders from disk.
func LoadPaths(paths []string, products []string) ([]Scenario, error) {
	var files []namedData
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, &LoadError{Problems: []Problem{{p, 0, 0, fmt.Sprintf("cannot read: %v", err)}}}
		}
		if !info.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			if ruleFile(b) {
				return nil, &LoadError{Problems: []Problem{{p, 1, 1, "this is a rules file (its only key is `rules`), not scenarios: scenarios name rules with `rules:`, the rule table is built in"}}}
			}
			files = append(files, namedData{p, b})
			continue
		}
		var names []string
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				names = append(names, path)
			}
			return nil
		})
		if len(names) == 0 {
			return nil, &LoadError{Problems: []Problem{{p, 0, 0, "the folder holds no .yaml scenario files"}}}
		}
		sort.Strings(names)
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			files = append(files, namedData{name, b})
		}
	}
	return loadAll(files, products)
}

type namedData struct {
	name string
	data []byte
}

func loadAll(files []namedData, products []string) ([]Scenario, error) {
	var all []Scenario
	var problems []Problem
	for _, f := range files {
		if ruleFile(f.data) {
			continue // scenarios/rules.yaml beside the scenario files
		}
		l := &loader{file: f.name}
		all = append(all, l.parse(f.data)...)
		problems = append(problems, l.problems...)
	}
	problems = append(problems, Validate(all, products)...)
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	return all, nil
}

// Validate checks what spans scenarios: unique ids, and products that a
// profile knows.
func Validate(all []Scenario, products []string) []Problem {
	var problems []Problem
	seen := map[string]Scenario{}
	for _, s := range all {
		if s.ID == "" {
			continue
		}
		for _, p := range s.Products {
			if products != nil && !slices.Contains(products, p) {
				problems = append(problems, Problem{s.File, s.Line, 1, fmt.Sprintf("scenario %s names product %q, which no profile defines: use one of %s", s.ID, p, strings.Join(products, ", "))})
			}
		}
		if first, dup := seen[s.ID]; dup {
			problems = append(problems, Problem{s.File, s.Line, 1, fmt.Sprintf("id %q is already used at %s:%d: ids must be unique", s.ID, first.File, first.Line)})
			continue
		}
		seen[s.ID] = s
	}
	return problems
}
