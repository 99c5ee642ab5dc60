package conformance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/scenarios"
	"github.com/acsharness/acsharness/signature"
)

// Level grades a rule, and so what breaking it costs (scenarios/rules.yaml).
type Level string

// The three levels, strongest first.
const (
	// Must: sourced, and a real client or security depends on it. A
	// finding fails the run.
	Must Level = "must"
	// Should: the real gateway's observed form, which no known client
	// relies on. A finding is a warning; it fails the run under --strict.
	Should Level = "should"
	// May: an undocumented behaviour with documented alternatives, each of
	// which the suite accepts. A finding is a note and never fails a run.
	May Level = "may"
)

// Levels lists the levels, strongest first.
var Levels = []Level{Must, Should, May}

// How a rule is checked besides the scenarios that name it.
const (
	// CheckAnswer: on every answer of every case.
	CheckAnswer = "answer"
	// CheckRun: once per run, over all its answers.
	CheckRun = "run"
)

// Rule is one requirement of the protocol that a client can observe: what
// a gateway must, should or may do, in the project's own words, with the
// public sources it rests on.
type Rule struct {
	ID        string            `json:"id"`
	Level     Level             `json:"level"`
	Category  string            `json:"category"`
	Styles    []signature.Style `json:"styles,omitempty"`
	Statement string            `json:"statement"`
	// Spec is the section of the protocol spec the rule comes from.
	Spec    string   `json:"spec,omitempty"`
	Sources []string `json:"sources"`
	// Codes are error codes whose form the rule pins ("Missing{name}" is a
	// template); Status and Messages are that form, checked on every answer
	// carrying one of the codes.
	Codes    []string `json:"codes,omitempty"`
	Status   []int    `json:"status,omitempty"`
	Messages []string `json:"messages,omitempty"`
	// Check is CheckAnswer, CheckRun or "" (only the scenarios naming it).
	Check string `json:"check,omitempty"`

	File string `json:"-"`
	Line int    `json:"-"`
}

// AppliesTo reports whether the rule concerns requests of style st.
func (r *Rule) AppliesTo(st signature.Style) bool {
	return len(r.Styles) == 0 || slices.Contains(r.Styles, st)
}

// Rules is the rule table, in file order.
type Rules struct {
	List []Rule
	byID map[string]int
}

// Get returns the rule with id, or nil.
func (rs *Rules) Get(id string) *Rule {
	if rs == nil {
		return nil
	}
	if i, ok := rs.byID[id]; ok {
		return &rs.List[i]
	}
	return nil
}

// IDs returns the rule ids in file order.
func (rs *Rules) IDs() []string {
	out := make([]string, len(rs.List))
	for i := range rs.List {
		out[i] = rs.List[i].ID
	}
	return out
}

// level is the level of a finding against rule id: the rule's, or Must
// for a scenario that names no rule (its expectation is all it states).
func (rs *Rules) level(id string) Level {
	if r := rs.Get(id); r != nil {
		return r.Level
	}
	return Must
}

// errorForm returns the rule that pins the form of an error code answered
// to a request of style st, and the parameter name a template code binds.
// A literal code wins over a template; of two templates, the one with the
// longer literal prefix ("MissingParameter.{name}" over "Missing{name}").
func (rs *Rules) errorForm(code string, st signature.Style) (*Rule, string) {
	var best *Rule
	bestName, bestLen := "", -1
	for i := range rs.List {
		r := &rs.List[i]
		if len(r.Codes) == 0 || !r.AppliesTo(st) {
			continue
		}
		for _, c := range r.Codes {
			if c == code {
				return r, ""
			}
			prefix, suffix, ok := strings.Cut(c, "{name}")
			if !ok || len(code) <= len(prefix)+len(suffix) || !strings.HasPrefix(code, prefix) || !strings.HasSuffix(code, suffix) {
				continue
			}
			name := code[len(prefix) : len(code)-len(suffix)]
			if namePattern.MatchString(name) && len(prefix) > bestLen {
				best, bestName, bestLen = r, name, len(prefix)
			}
		}
	}
	return best, bestName
}

// namePattern is what "{name}" stands for in a code: a parameter name.
var namePattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// expandMessages returns the messages of r with {name} filled.
func (r *Rule) expandMessages(name string) []string {
	out := make([]string, len(r.Messages))
	for i, m := range r.Messages {
		out[i] = strings.ReplaceAll(m, "{name}", name)
	}
	return out
}

// messageMatches reports whether msg is one of r's messages; a {name} not
// bound by the code stands for any parameter name.
func (r *Rule) messageMatches(msg, name string) bool {
	for _, m := range r.Messages {
		if name != "" {
			m = strings.ReplaceAll(m, "{name}", name)
		}
		if !strings.Contains(m, "{name}") {
			if m == msg {
				return true
			}
			continue
		}
		pat := "^" + strings.ReplaceAll(regexp.QuoteMeta(m), regexp.QuoteMeta("{name}"), `[A-Za-z][A-Za-z0-9.]*`) + "$"
		if regexp.MustCompile(pat).MatchString(msg) {
			return true
		}
	}
	return false
}

// The keys of a rules file; scenarios/rules.schema.json lists the same.
var (
	rulesFileKeys = []string{"rules"}
	ruleKeys      = []string{"id", "level", "category", "styles", "statement", "spec", "sources", "codes", "status", "messages", "check"}
	ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$`)
	codePattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]*(\{name\}[A-Za-z0-9.]*)?$`)
)

// RuleKeys returns the keys each part of the rules format accepts.
func RuleKeys() map[string][]string {
	return map[string][]string{"file": rulesFileKeys, "rule": ruleKeys}
}

// ParseRules parses a rules file strictly; name is used in messages. Every
// problem is reported at once with file:line:column and the fix.
func ParseRules(name string, data []byte) (*Rules, error) {
	l := &loader{file: name}
	rs := l.parseRules(data)
	if len(l.problems) > 0 {
		return nil, &LoadError{Problems: l.problems}
	}
	return rs, nil
}

func (l *loader) parseRules(data []byte) *Rules {
	root := l.document(data, "rules", "a list of rules")
	if root == nil {
		return nil
	}
	f, typo := l.fields(root, "the rules file", rulesFileKeys)
	list := f["rules"]
	switch {
	case list == nil && typo["rules"]:
		return nil
	case list == nil:
		l.addf(root, "the rules file has no `rules:` list")
		return nil
	case list.Kind != yaml.SequenceNode:
		l.addf(list, "`rules` must be a list (each entry starting with `- id:`), not %s", kindName(list))
		return nil
	}
	rs := &Rules{byID: map[string]int{}}
	for _, n := range list.Content {
		r := l.rule(n)
		if r.ID == "" {
			continue
		}
		if i, dup := rs.byID[r.ID]; dup {
			l.addf(n, "rule id %q is already used at line %d: ids must be unique", r.ID, rs.List[i].Line)
			continue
		}
		rs.byID[r.ID] = len(rs.List)
		rs.List = append(rs.List, r)
	}
	return rs
}

func (l *loader) rule(n *yaml.Node) Rule {
	r := Rule{File: l.file, Line: n.Line}
	f, typo := l.fields(n, "a rule", ruleKeys)
	required := func(key, fix string) bool {
		if f[key] == nil && !typo[key] {
			l.addf(n, "rule %s has no %s: %s", r.ID, key, fix)
		}
		return f[key] != nil
	}
	r.ID = l.str(f["id"], "id")
	if required("id", "add `id: category.short-name`") && scalar(f["id"]) && !ruleIDPattern.MatchString(r.ID) {
		l.addf(f["id"], "rule id %q must be dotted lowercase words (e.g. nonce.replay)", r.ID)
	}
	level := l.str(f["level"], "level")
	if required("level", "add `level: must`, `should` or `may`") {
		l.oneOf(f["level"], "level", level, []string{string(Must), string(Should), string(May)})
	}
	r.Level = Level(level)
	r.Category = l.str(f["category"], "category")
	if required("category", "add one of "+strings.Join(Categories, ", ")) {
		l.oneOf(f["category"], "category", r.Category, Categories)
	}
	r.Styles = l.styles(f["styles"])
	r.Statement = strings.TrimSpace(l.str(f["statement"], "statement"))
	if required("statement", "say in a sentence what a gateway does") && scalar(f["statement"]) && r.Statement == "" {
		l.addf(f["statement"], "rule %s has an empty statement", r.ID)
	}
	r.Spec = l.str(f["spec"], "spec")
	r.Sources = l.strs(f["sources"], "sources")
	if required("sources", "list the public documents, observations or SDK files it rests on") && len(r.Sources) == 0 {
		l.addf(f["sources"], "rule %s lists no sources", r.ID)
	}
	r.Codes = l.strs(f["codes"], "codes")
	for _, c := range r.Codes {
		if !codePattern.MatchString(c) {
			l.addf(f["codes"], "code %q is not an error code (letters, digits and dots, with at most one {name})", c)
		}
	}
	if s := f["status"]; s != nil {
		nodes := []*yaml.Node{s}
		if s.Kind == yaml.SequenceNode {
			nodes = s.Content
		}
		for _, c := range nodes {
			if v, ok := l.integer(c, "status"); ok {
				if v < 100 || v > 599 {
					l.addf(c, "status %d is not an HTTP status (100 to 599)", v)
				}
				r.Status = append(r.Status, v)
			}
		}
	}
	r.Messages = l.strs(f["messages"], "messages")
	if len(r.Codes) == 0 && (f["status"] != nil || f["messages"] != nil) {
		l.addf(n, "rule %s gives a status or messages but no codes: add `codes:` with the error codes they belong to", r.ID)
	}
	r.Check = l.str(f["check"], "check")
	l.oneOf(f["check"], "check", r.Check, []string{CheckAnswer, CheckRun})
	return r
}

// document parses YAML data and returns its root node, or nil after a
// problem naming what the file must hold.
func (l *loader) document(data []byte, key, what string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
		}
		l.problems = append(l.problems, Problem{l.file, line, 1, fmt.Sprintf("not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))})
		return nil
	}
	if len(doc.Content) == 0 {
		l.addf(&doc, "the file is empty: it must hold `%s:` with %s", key, what)
		return nil
	}
	return doc.Content[0]
}

// loadBuiltinRules parses scenarios/rules.yaml once.
var loadBuiltinRules = sync.OnceValues(func() (*Rules, error) {
	return ParseRules("scenarios/rules.yaml", scenarios.Rules)
})

// BuiltinRules returns the rule table embedded in the binary
// (scenarios/rules.yaml).
func BuiltinRules() (*Rules, error) { return loadBuiltinRules() }

// ruleFile reports whether data is a rules file rather than a scenario
// file: its only top-level key is `rules`. The scenario loaders skip it,
// so that a folder may hold both, as scenarios/ does.
func ruleFile(data []byte) bool {
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) != nil || len(top) != 1 {
		return false
	}
	_, ok := top["rules"]
	return ok
}
