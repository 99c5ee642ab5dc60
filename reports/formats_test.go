package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/acsharness/acsharness/conformance"
)

// xmlElement is any XML element, kept whole for structural checks.
type xmlElement struct {
	XMLName  xml.Name
	Attrs    []xml.Attr   `xml:",any,attr"`
	Children []xmlElement `xml:",any"`
	Text     string       `xml:",chardata"`
}

func (e *xmlElement) attr(name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (e *xmlElement) children(name string) []*xmlElement {
	var out []*xmlElement
	for i := range e.Children {
		if e.Children[i].XMLName.Local == name {
			out = append(out, &e.Children[i])
		}
	}
	return out
}

// requireAttrs checks the attributes the JUnit schemas require.
func requireAttrs(t *testing.T, e *xmlElement, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		v, ok := e.attr(n)
		assert.True(t, ok, "<%s> lacks the %s attribute", e.XMLName.Local, n)
		out[n] = v
	}
	return out
}

func TestJUnitShape(t *testing.T) {
	t.Parallel()
	rep := fixture()
	var b bytes.Buffer
	require.NoError(t, ConformanceJUnit(&b, rep))
	require.True(t, strings.HasPrefix(b.String(), xml.Header), "junit.xml should start with the XML declaration")

	var root xmlElement
	dec := xml.NewDecoder(&b)
	dec.Strict = true
	require.NoError(t, dec.Decode(&root), "junit.xml should be well-formed XML")
	require.Equal(t, "testsuites", root.XMLName.Local, "the root should be <testsuites>")
	attrs := requireAttrs(t, &root, "name", "tests", "failures", "errors", "skipped", "time", "timestamp")
	assert.Equal(t, strconv.Itoa(rep.Totals.Cases), attrs["tests"])
	assert.Equal(t, strconv.Itoa(rep.Totals.Fail), attrs["failures"])
	assert.Equal(t, strconv.Itoa(rep.Totals.Skip), attrs["skipped"])
	assert.Equal(t, "0", attrs["errors"])
	assert.Equal(t, "3.250", attrs["time"])
	assert.Equal(t, "2026-03-04T05:06:07", attrs["timestamp"])

	for _, c := range root.Children {
		assert.Equal(t, "testsuite", c.XMLName.Local, "<testsuites> holds only <testsuite>")
	}
	suites := root.children("testsuite")
	require.Len(t, suites, len(rep.ByCategory), "one <testsuite> per category")
	cases := 0
	for i, s := range suites {
		want := rep.ByCategory[i]
		a := requireAttrs(t, s, "name", "tests", "failures", "errors", "skipped", "time", "timestamp")
		assert.Equal(t, want.Category, a["name"])
		assert.Equal(t, strconv.Itoa(want.Cases), a["tests"], "%s: tests", want.Category)
		assert.Equal(t, strconv.Itoa(want.Fail), a["failures"], "%s: failures", want.Category)
		assert.Equal(t, strconv.Itoa(want.Skip), a["skipped"], "%s: skipped", want.Category)

		// Children in schema order: properties, then testcases.
		for j, c := range s.Children {
			switch c.XMLName.Local {
			case "properties":
				assert.Equal(t, 0, j, "<properties> comes first")
			case "testcase":
			default:
				t.Errorf("unexpected <%s> in <testsuite>", c.XMLName.Local)
			}
		}
		tcs := s.children("testcase")
		assert.Len(t, tcs, want.Cases, "%s: one <testcase> per case", want.Category)
		failures, skips := 0, 0
		for _, tc := range tcs {
			cases++
			ta := requireAttrs(t, tc, "classname", "name", "time")
			assert.Equal(t, want.Category, ta["classname"])
			assert.NotEmpty(t, ta["name"])
			outcomes := 0
			order := []string{"properties", "failure|skipped", "system-out"}
			last := -1
			for _, c := range tc.Children {
				at := slices.IndexFunc(order, func(o string) bool { return slices.Contains(strings.Split(o, "|"), c.XMLName.Local) })
				assert.Greater(t, at, last, "children of <testcase> in schema order: properties, failure or skipped, system-out")
				last = at
				switch c.XMLName.Local {
				case "failure":
					failures++
					outcomes++
					msg := requireAttrs(t, &c, "message", "type")["message"]
					assert.Regexp(t, `^\[[a-z.-]+ (must|should)\] `, msg, "a failure names the rule broken and its level first")
					assert.Contains(t, msg, "expected ")
					assert.Contains(t, msg, "observed ")
					assert.NotEmpty(t, c.Text, "the failure body carries the details")
				case "skipped":
					skips++
					outcomes++
					assert.NotEmpty(t, requireAttrs(t, &c, "message")["message"], "a skip says why")
				case "properties":
					for _, p := range c.children("property") {
						a := requireAttrs(t, p, "name", "value")
						assert.Contains(t, []string{"failure", "warning", "note"}, a["name"])
						assert.Regexp(t, `^\[[a-z.-]+ (must|should|may)\] `, a["value"], "a property names a finding's rule and level")
					}
				case "system-out":
					assert.Regexp(t, `\[[a-z.-]+ (should|may)\] `, c.Text, "a case that did not fail lists its warnings and notes in <system-out>")
				default:
					t.Errorf("unexpected <%s> in <testcase>", c.XMLName.Local)
				}
			}
			require.LessOrEqual(t, outcomes, 1, "a testcase holds at most one of skipped or failure")
		}
		assert.Equal(t, want.Fail, failures, "%s: <failure> elements", want.Category)
		assert.Equal(t, want.Skip, skips, "%s: <skipped> elements", want.Category)
	}
	assert.Equal(t, rep.Totals.Cases, cases)
}

func TestJUnitCarriesTheDiff(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, ConformanceJUnit(&b, fixture()))
	var root struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &root))
	var body string
	for _, s := range root.Suites {
		for _, c := range s.Cases {
			if c.Name == "signature/roa-resource[roa/mqtt]" {
				body = c.Failure.Text
			}
		}
	}
	assert.Contains(t, body, "string to sign differs at byte 253 (line 11, column 18)")
	assert.Contains(t, body, "- /topics/中文?a=1&b=2&c=3\n+ /topics/中文?a=1&b=3&c=3\n")
}

func TestHTMLIsSelfContained(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, ConformanceHTML(&b, fixture()))
	page := b.String()

	z := html.NewTokenizer(strings.NewReader(page))
	for {
		if z.Next() == html.ErrorToken {
			require.ErrorIs(t, z.Err(), io.EOF, "the page should tokenize to the end")
			break
		}
	}
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)

	scripts, rows := 0, 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "src", "srcset", "action", "formaction", "poster", "data":
					t.Errorf("<%s %s=%q> loads a resource", n.Data, a.Key, a.Val)
				case "href":
					if !strings.HasPrefix(a.Val, "#") {
						t.Errorf("<%s href=%q> points outside the page", n.Data, a.Val)
					}
				}
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s %s> is an inline handler", n.Data, a.Key)
				}
			}
			switch n.Data {
			case "link", "iframe", "img", "object", "embed", "base":
				t.Errorf("<%s> has no place in a self-contained report", n.Data)
			case "script":
				scripts++
			case "style":
				css := n.FirstChild.Data
				assert.NotContains(t, css, "url(", "CSS must not fetch anything")
				assert.NotContains(t, css, "@import", "CSS must not import anything")
			case "tr":
				if hasClass(n, "case") {
					rows++
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	assert.Equal(t, 1, scripts, "only the page's own inline script")
	assert.Equal(t, len(fixture().Results), rows, "one row per case")
	assert.Contains(t, page, "<svg class=\"chart\"", "the category bars are inline SVG")
	assert.NotContains(t, page, `<script>alert`, "user data must be escaped")
	assert.Contains(t, page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	assert.Contains(t, page, `<mark>2</mark>`, "the first difference is highlighted")
}

func hasClass(n *html.Node, class string) bool {
	for _, a := range n.Attr {
		if a.Key == "class" && strings.Contains(" "+a.Val+" ", " "+class+" ") {
			return true
		}
	}
	return false
}

func TestJSONSchema(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, ConformanceJSON(&b, fixture()))
	var got struct {
		Summary struct {
			Verdict    string               `json:"verdict"`
			Totals     conformance.Totals   `json:"totals"`
			ByCategory []conformance.Totals `json:"by_category"`
		} `json:"summary"`
		Cases []map[string]json.RawMessage `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &got))
	rep := fixture()
	assert.Equal(t, "fail", got.Summary.Verdict)
	assert.Equal(t, rep.Totals, got.Summary.Totals)
	assert.Equal(t, rep.ByCategory, got.Summary.ByCategory)
	require.Len(t, got.Cases, len(rep.Results))
	for _, c := range got.Cases {
		for _, k := range []string{"id", "title", "category", "style", "product", "status", "expected", "observed", "reason", "steps"} {
			assert.Contains(t, c, k, "every case carries %s", k)
		}
	}
	assert.Contains(t, string(got.Cases[4]["steps"]), `"copy_statuses": [`)
	assert.Contains(t, string(got.Cases[2]["string_to_sign_mismatch"]), `"first_difference_at": 253`)
}

func TestMarkdownCells(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"line one\nline two", "line one<br>line two"},
		{"<b>&amp;</b>", `\<b\>\&amp;\</b\>`},
		{"中文 🚀", "中文 🚀"},
		{"`code` *em* _u_ [l](x)", "\\`code\\` \\*em\\* \\_u\\_ \\[l\\](x)"},
		{"\x1b[31m", `\\x1b\[31m`},
	} {
		assert.Equal(t, tc.want, mdText(tc.in), "mdText(%q)", tc.in)
	}
}

// TestEveryFormatNamesRulesAndLevels: each failure names its rule and
// level, and the warning of a should rule appears in every format without
// counting as a failure.
func TestEveryFormatNamesRulesAndLevels(t *testing.T) {
	t.Parallel()
	for _, r := range renderers()[:6] {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			out := string(render(t, r))
			for _, want := range []string{"nonce.atomic", "sig.rpc.sort", "env.trace-id", "should", "must"} {
				assert.Contains(t, out, want, "%s names rule ids and levels", r.name)
			}
		})
	}
	var b bytes.Buffer
	require.NoError(t, ConformanceJUnit(&b, fixture()))
	assert.NotContains(t, b.String(), `<failure message="[env.trace-id`, "a warning is not a JUnit failure")

	// Under --strict a should finding fails its case, and the failure says so.
	strict := fixture()
	strict.Strict = true
	for i := range strict.Results {
		if strict.Results[i].Status == conformance.Warn {
			strict.Results[i].Status = conformance.Fail
		}
	}
	b.Reset()
	require.NoError(t, ConformanceJUnit(&b, strict))
	assert.Contains(t, b.String(), `<failure message="[env.trace-id should] expected 200 success`)
	b.Reset()
	require.NoError(t, ConformanceText(&b, strict, false))
	assert.Contains(t, b.String(), "strict (should rules fail)")
	assert.Contains(t, b.String(), "FAIL envelope/trace-id[rpc/ons]")
}
