package reports

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// ProtocolSources is what the generated parts of docs/protocol.md are made
// of: the rule table with the cases that check each rule, the golden
// vectors, and the forms official clients disagree on.
type ProtocolSources struct {
	Rows    []conformance.RuleCases
	Vectors []corpus.Case
	Forms   []signature.Form
}

// ProtocolRegenerate is the command that rewrites the generated parts of
// docs/protocol.md; every generated block names it.
const ProtocolRegenerate = "go test ./reports -run TestProtocolDoc -update"

// The markers of a generated block: "<!-- generated:KIND ARG ... -->" on a
// line of its own opens one, protocolEnd closes it. Everything between them
// is rewritten by ProtocolDoc; everything outside is hand-written.
const (
	protocolBegin = "<!-- generated:"
	protocolEnd   = "<!-- /generated -->"
)

// ProtocolDoc returns doc, the text of docs/protocol.md, with its generated
// parts made from src:
//
//   - "rules": for every section a rule cites, the rules placed there (rule,
//     level, styles, statement, the error form it pins, its sources and the
//     scenarios that check it) and the rules placed elsewhere that also cite
//     it. These blocks are placed by ProtocolDoc itself, at the end of their
//     section's own text, so that a rule added to scenarios/rules.yaml lands
//     in its section on the next -update; a rule citing a section the
//     document has no heading for is an error.
//   - "vector ID": one golden vector worked through step by step; the ID is
//     the corpus case's ("golden/rpc-official/ecs-describe-regions-get").
//   - "vectors FAMILY": a family of vectors as a table, each row what it adds
//     to the family's first case.
//   - "forms": the table of signature.Forms.
//   - "index": every rule, its level and the section that holds it.
//
// Vector, vectors, forms and index blocks stay where the author put them.
// A section is a heading "## §N title" (or ### / ####); §9's findings are
// the rows "| FN |" of its table.
func ProtocolDoc(doc string, src ProtocolSources) (string, error) {
	lines, err := stripRuleBlocks(strings.Split(doc, "\n"))
	if err != nil {
		return "", err
	}
	secs := protocolSections(lines)
	heads := map[string]bool{}
	for _, s := range secs {
		heads[s.num] = true
	}
	findings := protocolFindings(lines, secs)

	placed := map[string][]conformance.RuleCases{}
	also := map[string][]conformance.RuleCases{}
	home := map[string]string{}
	for _, row := range src.Rows {
		r := row.Rule
		cite, err := ParseSpecCitation(r.Spec)
		if err != nil {
			return "", fmt.Errorf("rule %s (%s:%d): %w", r.ID, r.File, r.Line, err)
		}
		for _, n := range append([]string{cite.Home}, cite.Sections...) {
			if !heads[n] {
				return "", fmt.Errorf("rule %s (%s:%d) cites §%s, which docs/protocol.md has no heading for: add a heading \"### §%s …\" in its place",
					r.ID, r.File, r.Line, n, n)
			}
		}
		for _, f := range cite.Findings {
			if !findings[f] {
				return "", fmt.Errorf("rule %s (%s:%d) cites §9 %s, which is not a row of the table of §9 in docs/protocol.md", r.ID, r.File, r.Line, f)
			}
		}
		home[r.ID] = cite.Home
		placed[cite.Home] = append(placed[cite.Home], row)
		for _, n := range cite.Sections {
			if n != cite.Home {
				also[n] = append(also[n], row)
			}
		}
	}

	var out []string
	if len(secs) > 0 {
		out = append(out, lines[:secs[0].line]...)
	} else {
		out = lines
	}
	for i, s := range secs {
		end := len(lines)
		if i+1 < len(secs) {
			end = secs[i+1].line
		}
		body := lines[s.line:end]
		if len(placed[s.num]) == 0 && len(also[s.num]) == 0 {
			out = append(out, body...)
			continue
		}
		last := len(body)
		for last > 1 && strings.TrimSpace(body[last-1]) == "" {
			last--
		}
		out = append(out, body[:last]...)
		out = append(out, "")
		out = append(out, ruleBlock(s.num, placed[s.num], also[s.num], home)...)
		out = append(out, "")
	}
	return fillBlocks(out, src, home)
}

// SpecCitation is a rule's spec field read: Home is the section whose text
// the rule belongs to, Sections every section the field names (a range
// "§1.1–§1.6" expanded), Findings the rows of §9's table it names ("F8").
type SpecCitation struct {
	Home     string
	Sections []string
	Findings []string
}

var (
	specToken   = regexp.MustCompile(`§(\d+(?:\.\d+)*)(?:\s*[–-]\s*§(\d+(?:\.\d+)*))?`)
	findingRef  = regexp.MustCompile(`\bF(\d+)\b`)
	headingLine = regexp.MustCompile(`^(#{2,4}) §(\d+(?:\.\d+)*)(?:\s|$)`)
	findingRow  = regexp.MustCompile(`^\| F(\d+) \|`)
)

// ParseSpecCitation reads a rule's spec field ("§4, §4.1, §7.8",
// "§1.1–§1.6", "§2.2, §2.5, §9 F8, F9"). The home section is the first one
// named — a range's common parent ("§1.1–§1.6" is at home in §1) — or,
// when a later one is a subsection of it, that subsection ("§4, §4.1" is at
// home in §4.1), the more specific place.
func ParseSpecCitation(spec string) (SpecCitation, error) {
	var c SpecCitation
	add := func(n string) {
		if !slices.Contains(c.Sections, n) {
			c.Sections = append(c.Sections, n)
		}
	}
	matches := specToken.FindAllStringSubmatch(spec, -1)
	if len(matches) == 0 {
		return c, fmt.Errorf("spec %q names no section: write it as \"§N\" or \"§N.M, §K\"", spec)
	}
	refine := true
	for i, m := range matches {
		from, to := m[1], m[2]
		if to == "" {
			add(from)
			if i == 0 {
				c.Home = from
			}
			continue
		}
		refine = refine && i > 0
		members, parent, err := expandRange(from, to)
		if err != nil {
			return c, fmt.Errorf("spec %q: %w", spec, err)
		}
		for _, n := range members {
			add(n)
		}
		if i == 0 {
			c.Home = parent
		}
	}
	for _, n := range c.Sections {
		if refine && strings.HasPrefix(n, c.Home+".") {
			c.Home = n
			break
		}
	}
	for _, m := range findingRef.FindAllStringSubmatch(spec, -1) {
		if !slices.Contains(c.Sections, "9") {
			return c, fmt.Errorf("spec %q names finding F%s without §9: write \"§9 F%s\"", spec, m[1], m[1])
		}
		c.Findings = append(c.Findings, "F"+m[1])
	}
	return c, nil
}

// expandRange lists the sections of "§a.x–§a.y" (same parent, x ≤ y) and
// returns their parent.
func expandRange(from, to string) ([]string, string, error) {
	fi, ti := strings.LastIndexByte(from, '.'), strings.LastIndexByte(to, '.')
	if fi < 0 || ti < 0 || from[:fi] != to[:ti] {
		return nil, "", fmt.Errorf("range §%s–§%s: both ends must be subsections of one section", from, to)
	}
	a, err1 := strconv.Atoi(from[fi+1:])
	b, err2 := strconv.Atoi(to[ti+1:])
	if err1 != nil || err2 != nil || a > b {
		return nil, "", fmt.Errorf("range §%s–§%s is not ascending", from, to)
	}
	var out []string
	for k := a; k <= b; k++ {
		out = append(out, from[:fi]+"."+strconv.Itoa(k))
	}
	return out, from[:fi], nil
}

type protocolSection struct {
	num  string
	line int // index of the heading line
}

// protocolSections finds the numbered headings of the document, outside
// fenced code.
func protocolSections(lines []string) []protocolSection {
	var out []protocolSection
	fenced := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
			continue
		}
		if m := headingLine.FindStringSubmatch(l); m != nil && !fenced {
			out = append(out, protocolSection{num: m[2], line: i})
		}
	}
	return out
}

// ProtocolHeadings returns the section numbers that docs/protocol.md has a
// heading for, and the findings ("F1") of §9's table.
func ProtocolHeadings(doc string) (sections, findings map[string]bool) {
	lines := strings.Split(doc, "\n")
	secs := protocolSections(lines)
	sections = map[string]bool{}
	for _, s := range secs {
		sections[s.num] = true
	}
	return sections, protocolFindings(lines, secs)
}

// protocolFindings returns the F numbers of the table rows of §9.
func protocolFindings(lines []string, secs []protocolSection) map[string]bool {
	out := map[string]bool{}
	for i, s := range secs {
		if s.num != "9" {
			continue
		}
		end := len(lines)
		if i+1 < len(secs) {
			end = secs[i+1].line
		}
		for _, l := range lines[s.line:end] {
			if m := findingRow.FindStringSubmatch(l); m != nil {
				out["F"+m[1]] = true
			}
		}
	}
	return out
}

// stripRuleBlocks removes the generated rule blocks, which ProtocolDoc
// places itself, and checks that every generated block is closed.
func stripRuleBlocks(lines []string) ([]string, error) {
	var out []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, protocolBegin) {
			if l == protocolEnd {
				return nil, fmt.Errorf("docs/protocol.md:%d: %s without a block opened before it", i+1, protocolEnd)
			}
			out = append(out, l)
			continue
		}
		j := i + 1
		for j < len(lines) && lines[j] != protocolEnd {
			if strings.HasPrefix(lines[j], protocolBegin) {
				return nil, fmt.Errorf("docs/protocol.md:%d: a generated block opened inside the one of line %d: close it with %s", j+1, i+1, protocolEnd)
			}
			j++
		}
		if j == len(lines) {
			return nil, fmt.Errorf("docs/protocol.md:%d: generated block never closed: end it with a line %s", i+1, protocolEnd)
		}
		if blockKind(l) != "rules" {
			out = append(out, lines[i:j+1]...)
		}
		i = j
	}
	return out, nil
}

// blockKind returns the kind and argument of a block's opening line.
func blockKind(open string) string {
	k, _ := blockArgs(open)
	return k
}

func blockArgs(open string) (kind, arg string) {
	s := strings.TrimPrefix(open, protocolBegin)
	s, _, _ = strings.Cut(s, " —")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "-->"))
	kind, arg, _ = strings.Cut(s, " ")
	return kind, strings.TrimSpace(arg)
}

// fillBlocks rewrites the content of every generated block.
func fillBlocks(lines []string, src ProtocolSources, home map[string]string) (string, error) {
	byID := map[string]*corpus.Case{}
	for i := range src.Vectors {
		byID[src.Vectors[i].Input.ID] = &src.Vectors[i]
	}
	var out []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, protocolBegin) {
			out = append(out, l)
			continue
		}
		j := i + 1
		for lines[j] != protocolEnd {
			j++
		}
		kind, arg := blockArgs(l)
		var body []string
		switch kind {
		case "rules":
			out = append(out, lines[i:j+1]...)
			i = j
			continue
		case "vector":
			c, ok := byID[arg]
			if !ok {
				return "", fmt.Errorf("docs/protocol.md:%d: no golden vector %q (the ids are golden/<file>/<name> of signature/testdata/vectors)", i+1, arg)
			}
			body = vectorBlock(c)
		case "vectors":
			fam := family(src.Vectors, arg)
			if len(fam) == 0 {
				return "", fmt.Errorf("docs/protocol.md:%d: no golden vector family %q (a file name of signature/testdata/vectors)", i+1, arg)
			}
			body = familyTable(fam)
		case "signatures":
			fam := family(src.Vectors, arg)
			if len(fam) == 0 {
				return "", fmt.Errorf("docs/protocol.md:%d: no golden vector family %q (a file name of signature/testdata/vectors)", i+1, arg)
			}
			body = signatureTable(fam)
		case "forms":
			body = formsTable(src.Forms)
		case "index":
			body = ruleIndex(src.Rows, home)
		default:
			return "", fmt.Errorf("docs/protocol.md:%d: unknown generated block %q: use vector, vectors, signatures, forms or index (rules blocks are placed by the generator)", i+1, kind)
		}
		out = append(out, generatedOpen(kind, arg))
		out = append(out, body...)
		out = append(out, protocolEnd)
		i = j
	}
	return strings.Join(out, "\n"), nil
}

func generatedOpen(kind, arg string) string {
	if arg != "" {
		kind += " " + arg
	}
	return protocolBegin + kind + " — made by `" + ProtocolRegenerate + "`; do not edit -->"
}

// ruleBlock lists the rules at home in section n, then the others that
// cite it.
func ruleBlock(n string, placed, also []conformance.RuleCases, home map[string]string) []string {
	out := []string{generatedOpen("rules", "§"+n), ""}
	if len(placed) > 0 {
		out = append(out, fmt.Sprintf("**Rules of §%s**", n), "")
		for _, row := range placed {
			out = append(out, ruleEntry(row)...)
		}
	}
	if len(also) > 0 {
		if len(placed) > 0 {
			out = append(out, "")
		}
		refs := make([]string, len(also))
		for i, row := range also {
			refs[i] = fmt.Sprintf("`%s` (%s, §%s)", row.Rule.ID, row.Rule.Level, home[row.Rule.ID])
		}
		out = append(out, "Also resting on this section: "+strings.Join(refs, ", ")+".")
	}
	return append(out, "", protocolEnd)
}

// ruleEntry is one rule as a list item with its details below it.
func ruleEntry(row conformance.RuleCases) []string {
	r := row.Rule
	styles := "all styles"
	if len(r.Styles) > 0 {
		names := make([]string, len(r.Styles))
		for i, st := range r.Styles {
			names[i] = strings.ToUpper(string(st))
		}
		styles = strings.Join(names, ", ")
	}
	out := []string{fmt.Sprintf("- **`%s`** — **%s**, %s, %s. %s", r.ID, r.Level, r.Category, styles, mdText(r.Statement))}
	if len(r.Codes) > 0 {
		var form []string
		if len(r.Status) > 0 {
			st := make([]string, len(r.Status))
			for i, s := range r.Status {
				st[i] = strconv.Itoa(s)
			}
			form = append(form, "HTTP "+strings.Join(st, " or "))
		}
		codes := make([]string, len(r.Codes))
		for i, c := range r.Codes {
			codes[i] = mdCode(c)
		}
		form = append(form, strings.Join(codes, " or "))
		if len(r.Messages) > 0 {
			msgs := make([]string, len(r.Messages))
			for i, m := range r.Messages {
				msgs[i] = mdCode(m)
			}
			form = append(form, "message "+strings.Join(msgs, " or "))
		}
		out = append(out, "  - Answer: "+strings.Join(form, ", ")+" (checked on every answer carrying the code).")
	}
	out = append(out, "  - Spec: "+mdText(r.Spec)+". Sources: "+strings.Join(sourceLinks(r.Sources), "; ")+".")
	checked := "  - Checked by "
	var scen []string
	for _, s := range row.Scenarios {
		scen = append(scen, "`"+s+"`")
	}
	var runs []string
	for _, c := range row.Cases {
		if strings.Contains(c, "[run]") {
			runs = append(runs, "`"+c+"`")
		}
	}
	n := len(row.Cases) - len(runs)
	switch {
	case len(scen) > 0:
		checked += fmt.Sprintf("%d case%s of %s", n, plural(n), strings.Join(scen, ", "))
	default:
		checked += "no scenario"
	}
	if len(runs) > 0 {
		checked += "; once per run by " + strings.Join(runs, ", ")
	}
	if r.Check == conformance.CheckAnswer {
		checked += "; and on every answer of every case"
	}
	return append(out, checked+".")
}

// sdkRepos maps the short module names of the rule sources to the public
// repository and tag of the pinned version (go.mod), for links.
var sdkRepos = []struct{ name, base string }{
	{"alibaba-cloud-sdk-go ", "https://github.com/aliyun/alibaba-cloud-sdk-go/%s/v1.63.107/"},
	{"darabonba-openapi/v2 ", "https://github.com/alibabacloud-go/darabonba-openapi/%s/v2.1.13/"},
	{"openapi-util ", "https://github.com/alibabacloud-go/openapi-util/%s/v0.1.1/"},
	{"tea ", "https://github.com/alibabacloud-go/tea/%s/v1.3.13/"},
}

// sourceLinks renders sources: URLs as links, files of the official SDKs as
// links to the pinned version's file, anything else (an observation
// described in words) as text.
func sourceLinks(sources []string) []string {
	out := make([]string, len(sources))
	for i, s := range sources {
		out[i] = sourceLink(s)
	}
	return out
}

func sourceLink(s string) string {
	if strings.HasPrefix(s, "https://") {
		u, rest, _ := strings.Cut(s, " ")
		if rest != "" {
			return "<" + u + "> " + mdText(rest)
		}
		return "<" + u + ">"
	}
	for _, repo := range sdkRepos {
		path, ok := strings.CutPrefix(s, repo.name)
		if !ok {
			continue
		}
		file, rest, _ := strings.Cut(path, " ")
		kind := "blob"
		if !strings.Contains(file, ".") {
			kind = "tree" // a folder ("sdk/requests")
		}
		link := fmt.Sprintf("[%s `%s`](%s%s)", strings.TrimSpace(repo.name), file, fmt.Sprintf(repo.base, kind), file)
		if rest != "" {
			link += " " + mdText(rest)
		}
		return link
	}
	return mdText(s)
}

// mdCode writes s as a Markdown code span.
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// vectorBlock works one golden vector through its steps.
func vectorBlock(c *corpus.Case) []string {
	in := &c.Input
	var canonical, key, mac string
	switch in.Style {
	case signature.RPC:
		canonical, key, mac = "Canonicalized query string", in.Secret+"&", "Base64(HMAC-SHA1)"
	case signature.ROA:
		canonical, key, mac = "Canonicalized headers and resource", in.Secret, "Base64(HMAC-SHA1)"
	default:
		canonical, key, mac = "Canonical request", in.Secret, "hex(HMAC-SHA256)"
	}
	out := []string{"", fmt.Sprintf("Vector `%s` — %s — AccessKey ID `%s`, secret `%s`.", in.ID, mdText(sectionRef(c.Source)), in.AccessKeyID, in.Secret)}
	if c.Note != "" {
		out = append(out, mdText(c.Note))
	}
	if len(c.Variant) > 0 {
		var forms []string
		for _, f := range c.Variant {
			forms = append(forms, fmt.Sprintf("%s `%s`", f.Aspect, f.Variant))
		}
		out = append(out, "Signed in forms of another official client than the reference signer's: "+strings.Join(forms, ", ")+".")
	}
	out = append(out, "", "The request as sent (the signature in place):", "", "```http")
	out = append(out, strings.Split(strings.TrimRight(c.HTTP(true), "\n"), "\n")...)
	out = append(out, "```", "", canonical+":", "", "```text")
	out = append(out, strings.Split(c.Expect.Canonical, "\n")...)
	out = append(out, "```", "", "String to sign:", "", "```text")
	out = append(out, strings.Split(c.Expect.StringToSign, "\n")...)
	out = append(out, "```", "", fmt.Sprintf("Signature = %s keyed with `%s`: `%s`", mac, key, c.Expect.Signature))
	if c.Expect.Authorization != "" {
		out = append(out, "", "Authorization: `"+c.Expect.Authorization+"`")
	}
	return append(out, "")
}

// familyTable shows a family of RPC vectors by what each adds to the
// first: parameters, another method or another secret.
func familyTable(fam []*corpus.Case) []string {
	base := fam[0]
	baseVals := map[string]string{}
	for _, kv := range base.Input.RPCParams() {
		baseVals[kv.Key] = kv.Value
	}
	out := []string{"", "| # | Added to row 1 | Canonical pairs | Signature |", "| --: | :-- | :-- | :-- |"}
	for i, c := range fam {
		var added, names []string
		for _, kv := range c.Input.RPCParams() {
			if v, ok := baseVals[kv.Key]; ok && v == kv.Value {
				continue
			}
			added = append(added, mdCode(kv.Key+"="+kv.Value))
			names = append(names, kv.Key)
		}
		if c.Input.Method != base.Input.Method {
			added = append(added, "method "+c.Input.Method)
		}
		if c.Input.Secret != base.Input.Secret {
			added = append(added, "secret "+mdCode(c.Input.Secret))
		}
		var pairs []string
		for _, p := range strings.Split(c.Expect.Canonical, "&") {
			k, _, _ := strings.Cut(p, "=")
			for _, n := range names {
				if k == signature.PercentEncode(n) {
					pairs = append(pairs, p)
					break
				}
			}
		}
		what := strings.Join(added, ", ")
		if i == 0 || what == "" {
			what = "—"
		}
		cp := "—"
		if len(pairs) > 0 {
			cp = mdCode(strings.Join(pairs, "&"))
		}
		out = append(out, fmt.Sprintf("| %d | %s | %s | `%s` |", i+1, what, cp, c.Expect.Signature))
	}
	return append(out, "")
}

// family returns the golden vectors of one file of signature/testdata/vectors.
func family(vectors []corpus.Case, name string) []*corpus.Case {
	var fam []*corpus.Case
	for k := range vectors {
		if strings.HasPrefix(vectors[k].Input.ID, "golden/"+name+"/") {
			fam = append(fam, &vectors[k])
		}
	}
	return fam
}

// signatureTable lists a family of vectors with the result of each.
func signatureTable(fam []*corpus.Case) []string {
	out := []string{"", "| Vector | Source | Method | Secret | Signature |", "| :-- | :-- | :-- | :-- | :-- |"}
	for _, c := range fam {
		sig := c.Expect.Signature
		if c.Expect.Authorization != "" {
			sig = c.Expect.Authorization
		}
		out = append(out, fmt.Sprintf("| `%s` | %s | %s | %s | %s |", c.Input.ID, mdText(sectionRef(c.Source)), c.Input.Method, mdCode(c.Input.Secret), mdCode(sig)))
	}
	return append(out, "")
}

// sectionRef writes a citation of the protocol reference found in a
// vector or a form (the spec's name or docs/protocol.md, then "§2.2, §9
// F8") as this document's own section numbers ("§2.2, §9 F8"). The old
// name is spelt in two parts so that docs/rewrite-citations.sh leaves it.
func sectionRef(s string) string {
	for _, p := range []string{"pop-" + "spec ", "docs/protocol.md "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

// formsTable lists signature.Forms.
func formsTable(forms []signature.Form) []string {
	out := []string{"", "| Style | Aspect | Form | Official clients that produce it | Sections |", "| :-- | :-- | :-- | :-- | :-- |"}
	for _, f := range forms {
		src := sectionRef(f.Source)
		out = append(out, fmt.Sprintf("| %s | `%s` | %s | %s | %s |", strings.ToUpper(string(f.Style)), f.Aspect, mdCode(f.Variant), mdText(strings.Join(f.Clients, ", ")), mdText(src)))
	}
	return append(out, "")
}

// ruleIndex lists every rule with its level and home section.
func ruleIndex(rows []conformance.RuleCases, home map[string]string) []string {
	levels := map[conformance.Level]int{}
	for _, row := range rows {
		levels[row.Rule.Level]++
	}
	out := []string{"", fmt.Sprintf("%d rules: %d must, %d should, %d may.", len(rows), levels[conformance.Must], levels[conformance.Should], levels[conformance.May]),
		"", "| Rule | Level | Category | Section | Cases |", "| :-- | :-- | :-- | :-- | --: |"}
	for _, row := range rows {
		out = append(out, fmt.Sprintf("| `%s` | %s | %s | §%s | %d |", row.Rule.ID, row.Rule.Level, row.Rule.Category, home[row.Rule.ID], len(row.Cases)))
	}
	return append(out, "")
}
