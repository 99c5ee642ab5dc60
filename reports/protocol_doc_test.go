package reports

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/internal/race"
	"github.com/acsharness/acsharness/scenarios"
	"github.com/acsharness/acsharness/signature"
)

const protocolPath = "../docs/protocol.md"

// popSpec is the name the code cites the protocol by today, spelt so that
// this file's own test data is neither a citation nor rewritten by
// docs/rewrite-citations.sh.
const popSpec = "pop-" + "spec"

// protocolSources are the inputs of docs/protocol.md's generated parts: the
// built-in rule table and suite against the built-in profiles, the golden
// vectors and signature.Forms.
func protocolSources(t *testing.T) ProtocolSources {
	t.Helper()
	rules, err := conformance.BuiltinRules()
	require.NoError(t, err)
	suite, err := conformance.LoadFS(scenarios.FS, ".", nil)
	require.NoError(t, err)
	vectors, err := corpus.Golden()
	require.NoError(t, err)
	return ProtocolSources{
		Rows:    conformance.Coverage(rules, suite, conformance.BuiltinProfiles(), conformance.Selection{}),
		Vectors: vectors,
		Forms:   signature.Forms,
	}
}

func readProtocol(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(protocolPath)
	require.NoError(t, err, "docs/protocol.md missing")
	return string(raw)
}

// TestProtocolDoc keeps docs/protocol.md in step with scenarios/rules.yaml,
// the built-in suite, the golden vectors and signature.Forms: its generated
// blocks are made from them (run with -update after changing one), and a
// rule citing a section the document lacks fails here.
func TestProtocolDoc(t *testing.T) {
	doc := readProtocol(t)
	src := protocolSources(t)
	got, err := ProtocolDoc(doc, src)
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile(protocolPath, []byte(got), 0o644))
		doc = got
	}
	assert.Equal(t, doc, got, "docs/protocol.md is out of date: run "+ProtocolRegenerate)

	again, err := ProtocolDoc(got, src)
	require.NoError(t, err)
	assert.Equal(t, got, again, "regenerating a regenerated document changes it: the generator is not idempotent")

	// Every rule of the table has its entry, in its home section.
	secs := protocolSections(strings.Split(got, "\n"))
	for _, row := range src.Rows {
		entry := "- **`" + row.Rule.ID + "`** — **" + string(row.Rule.Level) + "**"
		i := strings.Index(got, entry)
		if !assert.GreaterOrEqual(t, i, 0, "rule %s has no entry in docs/protocol.md", row.Rule.ID) {
			continue
		}
		cite, err := ParseSpecCitation(row.Rule.Spec)
		require.NoError(t, err)
		line := strings.Count(got[:i], "\n")
		in := ""
		for _, s := range secs {
			if s.line < line {
				in = s.num
			}
		}
		assert.Equal(t, cite.Home, in, "rule %s is listed under §%s, not its home section", row.Rule.ID, in)
		for _, s := range row.Scenarios {
			assert.Contains(t, got, "`"+s+"`", "scenario %s of rule %s is not named", s, row.Rule.ID)
		}
	}
	// Every form and every golden vector shown is the real one.
	for _, f := range src.Forms {
		assert.Contains(t, got, "| "+strings.ToUpper(string(f.Style))+" | `"+f.Aspect+"` | "+mdCode(f.Variant)+" |", "form %s %s missing from the forms table", f.Aspect, f.Variant)
	}
	for _, id := range []string{
		"golden/rpc-official/ecs-describe-regions-get", "golden/rpc-sdk/onsmqtt-send-message-post",
		"golden/roa/r1-seed-002-headers", "golden/v3/official-ecs-run-instances",
		"golden/v3/mqtt-send-message-form", "golden/v3/rabbitmq-get-awkward-query",
	} {
		assert.Contains(t, got, protocolBegin+"vector "+id+" ", "the worked example %s is missing", id)
	}
}

// TestProtocolDocNewRule breaks the rule that a rule has its place in the
// document: a rule added to the table changes the generated document (so
// the committed one no longer matches), lands in its home section, and a
// rule citing a section the document lacks is an error naming the fix.
func TestProtocolDocNewRule(t *testing.T) {
	doc := readProtocol(t)
	src := protocolSources(t)
	for _, tc := range []struct {
		name, spec, home, err string
	}{
		{name: "in a subsection", spec: "§4, §4.1", home: "4.1"},
		{name: "in a range's parent", spec: "§2.1–§2.5", home: "2"},
		{name: "in a seed quirk", spec: "§7.9", home: "7.9"},
		{name: "a section the document lacks", spec: "§4.7", err: "cites §4.7, which docs/protocol.md has no heading for"},
		{name: "a finding §9 lacks", spec: "§9 F99", err: "cites §9 F99, which is not a row"},
		{name: "no section", spec: "see the spec", err: "names no section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule := &conformance.Rule{ID: "test.new-rule", Level: conformance.Should, Category: "envelope",
				Statement: "A rule added for this test.", Spec: tc.spec, Sources: []string{"https://example.com/doc"}, File: "rules.yaml", Line: 9}
			s := src
			s.Rows = append(slices.Clone(src.Rows), conformance.RuleCases{Rule: rule, Scenarios: []string{"envelope/success-json"}, Cases: []string{"envelope/success-json[rpc/onsmqtt]"}})
			got, err := ProtocolDoc(doc, s)
			if tc.err != "" {
				require.Error(t, err, "a rule citing %q must be refused", tc.spec)
				assert.Contains(t, err.Error(), tc.err)
				assert.Contains(t, err.Error(), "test.new-rule (rules.yaml:9)", "the error names the rule and its line")
				return
			}
			require.NoError(t, err)
			assert.NotEqual(t, doc, got, "a new rule must change the document, so that TestProtocolDoc fails until -update")
			i := strings.Index(got, "- **`test.new-rule`** — **should**")
			require.GreaterOrEqual(t, i, 0, "the new rule has no entry")
			open := strings.LastIndex(got[:i], protocolBegin+"rules ")
			require.GreaterOrEqual(t, open, 0)
			assert.True(t, strings.HasPrefix(got[open:], protocolBegin+"rules §"+tc.home+" "), "the new rule is not in the block of §%s: %s", tc.home, got[open:open+60])
		})
	}
}

func TestParseSpecCitation(t *testing.T) {
	for _, tc := range []struct {
		spec, home string
		sections   []string
		findings   []string
	}{
		{"§1.4", "1.4", []string{"1.4"}, nil},
		{"§1.1–§1.6", "1", []string{"1.1", "1.2", "1.3", "1.4", "1.5", "1.6"}, nil},
		{"§4, §4.1, §7.8", "4.1", []string{"4", "4.1", "7.8"}, nil},
		{"§1.1, §4, §4.2", "1.1", []string{"1.1", "4", "4.2"}, nil},
		{"§9 F15", "9", []string{"9"}, []string{"F15"}},
		{"§2.2, §2.5, §9 F8, F9", "2.2", []string{"2.2", "2.5", "9"}, []string{"F8", "F9"}},
		{popSpec + " §1.7.3 row 4", "1.7.3", []string{"1.7.3"}, nil},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			c, err := ParseSpecCitation(tc.spec)
			require.NoError(t, err)
			assert.Equal(t, tc.home, c.Home, "home section")
			assert.Equal(t, tc.sections, c.Sections, "sections named")
			assert.Equal(t, tc.findings, c.Findings, "findings named")
		})
	}
	for _, bad := range []string{"", "§1.6–§1.2", "§1.1–§2.3", "F8"} {
		_, err := ParseSpecCitation(bad)
		assert.Error(t, err, "%q is not a citation", bad)
	}
}

// TestProtocolDocBlocks: a malformed generated block is an error naming its
// line, never a silently mangled document.
func TestProtocolDocBlocks(t *testing.T) {
	head := "# T\n\n## §1 One\n\ntext\n"
	for _, tc := range []struct{ name, doc, err string }{
		{"unclosed", head + "<!-- generated:forms -->\n| x |\n", "docs/protocol.md:6: generated block never closed"},
		{"stray end", head + protocolEnd + "\n", "docs/protocol.md:6: <!-- /generated --> without a block"},
		{"nested", head + "<!-- generated:forms -->\n<!-- generated:index -->\n" + protocolEnd + "\n", "docs/protocol.md:7: a generated block opened inside"},
		{"unknown vector", head + "<!-- generated:vector golden/rpc-official/nope -->\n" + protocolEnd + "\n", `no golden vector "golden/rpc-official/nope"`},
		{"unknown family", head + "<!-- generated:vectors nope -->\n" + protocolEnd + "\n", `no golden vector family "nope"`},
		{"unknown kind", head + "<!-- generated:table -->\n" + protocolEnd + "\n", `unknown generated block "table"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ProtocolDoc(tc.doc, ProtocolSources{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
	// A block's content is replaced; the text around it is kept as written.
	got, err := ProtocolDoc(head+"before\n<!-- generated:forms -->\nstale\n"+protocolEnd+"\nafter\n", ProtocolSources{Forms: signature.Forms[:1]})
	require.NoError(t, err)
	assert.NotContains(t, got, "stale")
	assert.Contains(t, got, "before\n"+generatedOpen("forms", "")+"\n")
	assert.Contains(t, got, protocolEnd+"\nafter\n")
	assert.Contains(t, got, "| RPC | `rpc.format-case` | `JSON` |")
}

// citation finds the sections of a citation of the protocol reference: the
// word pop-spec (or docs/protocol.md), then, up to the end of the
// parenthesis, quote or line, every §N and F number.
var citation = regexp.MustCompile(`(?:\b` + popSpec + `|docs/protocol\.md)(?:[ \t]|\n[ \t]*(?://|#|\*)?[ \t]*)*` +
	`(§\d[^)\]"'\x60;\n]*(?:\n[ \t]*(?://|#|\*)?[ \t]*§\d[^)\]"'\x60;\n]*)*)`)

var specLine = regexp.MustCompile(`(?m)^\s*spec:\s*"?(§[^"\n]*)`)

// citedSections returns the sections and findings cited in text, each with
// the 1-based line of its citation.
func citedSections(text string) map[string]int {
	out := map[string]int{}
	for _, re := range []*regexp.Regexp{citation, specLine} {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			line := strings.Count(text[:m[0]], "\n") + 1
			c, err := ParseSpecCitation(text[m[2]:m[3]])
			if err != nil {
				out["invalid "+text[m[2]:m[3]]] = line
				continue
			}
			for _, s := range c.Sections {
				if _, ok := out[s]; !ok {
					out[s] = line
				}
			}
			for _, f := range c.Findings {
				if _, ok := out["9 "+f]; !ok {
					out["9 "+f] = line
				}
			}
		}
	}
	return out
}

// missingCitations returns, for every file of the repository under root,
// the citations of sections (and §9 findings) docs/protocol.md lacks.
func missingCitations(t *testing.T, root string, sections, findings map[string]bool) []string {
	t.Helper()
	var missing []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "out", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel == filepath.Join("docs", "protocol.md") {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil || bytes.IndexByte(raw, 0) >= 0 {
			return err
		}
		for s, line := range citedSections(string(raw)) {
			num, f, isFinding := strings.Cut(s, " ")
			switch {
			case strings.HasPrefix(s, "invalid "):
				missing = append(missing, rel+":"+strconv.Itoa(line)+": unreadable citation "+s)
			case isFinding && !findings[f]:
				missing = append(missing, rel+":"+strconv.Itoa(line)+": §"+num+" "+f)
			case !isFinding && !sections[num]:
				missing = append(missing, rel+":"+strconv.Itoa(line)+": §"+num)
			}
		}
		return nil
	})
	require.NoError(t, err)
	slices.Sort(missing)
	return missing
}

// TestProtocolCitations: every section (and §9 finding) that the code, the
// scenarios, the rule table, the tests' data and the README cite — as
// pop-spec §N today, docs/protocol.md §N once rewritten — has its heading
// (or row) in docs/protocol.md, so that the citations can be rewritten to
// point at it.
func TestProtocolCitations(t *testing.T) {
	race.Skip(t, "a scan of every file of the repository, which the detector only slows")
	sections, findings := ProtocolHeadings(readProtocol(t))
	missing := missingCitations(t, "..", sections, findings)
	assert.Empty(t, missing, "sections cited in the repository but missing from docs/protocol.md")

	// Broken on purpose: a citation of a section the document lacks is found.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n\n// x ("+popSpec+" §1.3,\n// §3.9) and ("+popSpec+"\n// §9 F42)\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("  - id: x\n    spec: \"§8.8\"\n"), 0o644))
	assert.Equal(t, []string{"a.go:3: §3.9", "a.go:4: §9 F42", "b.yaml:2: §8.8"}, missingCitations(t, dir, sections, findings),
		"the citations of §3.9, §9 F42 and §8.8, which docs/protocol.md lacks, are reported with their lines")
}

// TestRewriteCitations runs docs/rewrite-citations.sh on files holding each
// form of citation the repository has: -n lists the changes and changes
// nothing; the rewrite turns every one into docs/protocol.md (the Go file
// gofmt-clean after it); a second run finds nothing left to do.
func TestRewriteCitations(t *testing.T) {
	for _, tool := range []string{"bash", "perl", "gofmt"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s not found (docs/rewrite-citations.sh needs bash, perl and gofmt)", tool)
		}
	}
	script, err := filepath.Abs("../docs/rewrite-citations.sh")
	require.NoError(t, err)
	p := popSpec
	files := map[string][2]string{
		"a.go": {
			"package a\n\n// x (" + p + " §1.3,\n// §2.3) and (" + p + "\n// §9 F11).\nvar (\n\ts  = \"" + p + " §4\" // one\n\tbb = 2        // two\n)\n",
			"package a\n\n// x (docs/protocol.md §1.3,\n// §2.3) and (docs/protocol.md\n// §9 F11).\nvar (\n\ts  = \"docs/protocol.md §4\" // one\n\tbb = 2                     // two\n)\n",
		},
		"README.md": {
			"from the spec in `../shared/spec/" + p + ".md` (cited as\n" + p + " §N throughout); " + p + " sections; " + p + "-like stays\n",
			"from the spec in `docs/protocol.md` (cited as\ndocs/protocol.md §N throughout); docs/protocol.md sections; " + p + "-like stays\n",
		},
		"v.json":   {`{"source": "` + p + ` §1.7.3 row 4", "spec": "` + p + ` §2.2, §9 F8"}` + "\n", `{"source": "docs/protocol.md §1.7.3 row 4", "spec": "docs/protocol.md §2.2, §9 F8"}` + "\n"},
		"s.yaml":   {"    spec: " + p + " §4.1\n", "    spec: docs/protocol.md §4.1\n"},
		"none.txt": {"nothing to see\n", "nothing to see\n"},
	}
	dir := t.TempDir()
	var names []string
	for name, c := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(c[0]), 0o644))
		names = append(names, name)
	}
	slices.Sort(names)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("bash", append([]string{script}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "rewrite-citations.sh %v: %s", args, out)
		return string(out)
	}

	out := run(append([]string{"-n"}, names...)...)
	assert.Contains(t, out, "a.go:3:\n  - // x ("+p+" §1.3,\n  + // x (docs/protocol.md §1.3,\n", "the dry run lists each line before and after")
	assert.Contains(t, out, "would rewrite 7 lines in 4 files")
	for name, c := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, c[0], string(got), "-n changed %s", name)
	}

	out = run(names...)
	assert.Contains(t, out, "rewrote 7 lines in 4 files")
	for name, c := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, c[1], string(got), "%s after the rewrite", name)
	}
	assert.Contains(t, run(names...), "rewrote 0 lines in 0 files", "a second run changes nothing")

	cmd := exec.Command("bash", script, "-x")
	out2, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "an unknown option is an error")
	assert.Equal(t, 2, exit.ExitCode(), "an unknown option is a usage error: %s", out2)
	assert.Contains(t, string(out2), "unknown option -x")
}

// TestProtocolDocHandSignatures: a signature quoted in the hand-written text
// (outside the generated blocks) is the signature of a golden vector, so
// that a typo in the prose cannot survive; a made-up one is caught.
func TestProtocolDocHandSignatures(t *testing.T) {
	src := protocolSources(t)
	known := map[string]bool{}
	for _, c := range src.Vectors {
		known[c.Expect.Signature] = true
	}
	handSignatures := func(doc string) []string {
		lines, err := stripRuleBlocks(strings.Split(doc, "\n"))
		require.NoError(t, err)
		var hand []string
		in := false
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, protocolBegin):
				in = true
			case l == protocolEnd:
				in = false
			case !in:
				hand = append(hand, l)
			}
		}
		return regexp.MustCompile("`([A-Za-z0-9+/]{27}=)`").FindAllString(strings.Join(hand, "\n"), -1)
	}
	quoted := handSignatures(readProtocol(t))
	require.NotEmpty(t, quoted, "the prose quotes the official vectors' signatures")
	for _, q := range quoted {
		assert.True(t, known[strings.Trim(q, "`")], "docs/protocol.md quotes the signature %s, which no golden vector has", q)
	}
	bad := handSignatures("## §1 x\n\nThe doc gives `CT9X0VtwR86fNWSnsc6v8YGOjuF=`.\n")
	require.Len(t, bad, 1)
	assert.False(t, known[strings.Trim(bad[0], "`")], "a signature off by one character is not a vector's")
}
