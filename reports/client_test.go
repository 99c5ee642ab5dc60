package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/acsharness/acsharness/record"
	"github.com/acsharness/acsharness/signature"
)

// clientFixture is the report of three recorded requests: a documented
// RPC call, a darabonba-like one (Format=json, a variant), and one with two
// departures ('~' as %7E, a key without its '&'), one of them carrying
// markup and an escape code a client could have sent.
func clientFixture() *record.Report {
	obs := func(kv ...string) []record.Observation {
		var out []record.Observation
		for i := 0; i+2 < len(kv)+1; i += 3 {
			out = append(out, record.Observation{Rule: kv[i], Value: kv[i+1], Detail: kv[i+2]})
		}
		return out
	}
	recs := []record.Record{
		{Seq: 1, Response: record.Response{Status: 200}, Analysis: record.Analysis{Style: signature.RPC, Observations: obs(
			record.RuleStyle, "rpc", "", record.RuleSignature, record.ValueVerified, "", signature.AspectRPCFormatCase, "JSON", "",
			signature.AspectRPCRegionID, record.ValueSent, "", record.RuleTimestampSkew, record.ValueInWindow, "+0.2 s")}},
		{Seq: 2, Response: record.Response{Status: 200}, Analysis: record.Analysis{Style: signature.RPC, Observations: obs(
			record.RuleStyle, "rpc", "", record.RuleSignature, record.ValueVerified, "", signature.AspectRPCFormatCase, "json", "",
			signature.AspectRPCRegionID, record.ValueAbsent, "", record.RuleWireTilde, "%7E", "")}},
		{Seq: 3, Response: record.Response{Status: 400, Code: "SignatureDoesNotMatch"}, Analysis: record.Analysis{Style: signature.RPC, Observations: obs(
			record.RuleStyle, "rpc", "", record.RuleSignature, "wrong at signature", "the key <b>is</b> the secret\x1b[31m without its '&'",
			record.RuleTimestampSkew, record.ValueOutOfWindow, "-1200.0 s")}},
	}
	m := record.Manifest{Tool: "acsharness test", Started: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	return record.Build("out/recording", m, recs)
}

func TestClientGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"client.txt", func(b *bytes.Buffer) error { return ClientText(b, clientFixture(), false) }},
		{"client.color.txt", func(b *bytes.Buffer) error { return ClientText(b, clientFixture(), true) }},
		{"client.json", func(b *bytes.Buffer) error { return ClientJSON(b, clientFixture()) }},
		{"client.md", func(b *bytes.Buffer) error { return ClientMarkdown(b, clientFixture()) }},
		{"client.html", func(b *bytes.Buffer) error { return ClientHTML(b, clientFixture()) }},
	} {
		t.Run(tc.name, func(t *testing.T) { checkGolden(t, tc.name, tc.render) })
	}
}

func TestClientReports(t *testing.T) {
	t.Parallel()
	rep := clientFixture()
	require.Equal(t, 3, rep.Departures, "signature, wire.tilde and timestamp.skew depart")

	var b bytes.Buffer
	require.NoError(t, ClientText(&b, rep, false))
	text := b.String()
	for _, want := range []string{
		"DEPARTS  Signature verified (signature, docs/protocol.md §1.6, §2.5, §3.4)",
		"wrong at signature — 1 request (#3), departure [the key <b>is</b> the secret\\x1b[31m without its '&']",
		"VARIANT  Format parameter (rpc.format-case, docs/protocol.md §1.1, §7.3)",
		"json — 1 request (#2), accepted variant, as darabonba-openapi (Go)",
		"JSON — 1 request (#1), documented, as alibaba-cloud-sdk-go",
		"when given — 2 requests (#2), documented, as darabonba-openapi (Go), @alicloud/openapi-client (TypeScript), @alicloud/pop-core (Node): sent on 1 of 2 RPC requests",
		"not exercised by any request: ",
		"FAIL 3 rules departed from: signature, timestamp.skew, wire.tilde",
		"gateway answers: OK 2, SignatureDoesNotMatch 1",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "\x1b", "no escape code without colour, not even one a client sent")

	b.Reset()
	require.NoError(t, ClientMarkdown(&b, rep))
	assert.Contains(t, b.String(), "## ❌ Client report: 3 rules departed from")
	assert.Contains(t, b.String(), "| Signature verified (`signature`) | docs/protocol.md §1.6, §2.5, §3.4 | departure |")
	assert.NotContains(t, b.String(), "<b>", "markup a client sent is escaped")

	b.Reset()
	require.NoError(t, ClientHTML(&b, rep))
	page := b.String()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var external []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			if (a.Key == "src" || a.Key == "href") && a.Val != "" {
				external = append(external, a.Val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	assert.Empty(t, external, "the page is self-contained")
	assert.NotContains(t, page, "<b>is</b>", "markup a client sent is escaped")
	assert.Contains(t, page, `<span class="badge departure">departure</span>`)

	b.Reset()
	require.NoError(t, ClientJSON(&b, rep))
	var back record.Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *rep, back, "client.json reads back whole")

	dir := filepath.Join(t.TempDir(), "r")
	paths, err := WriteClient(dir, rep)
	require.NoError(t, err)
	assert.Len(t, paths, 3)
	for _, p := range paths {
		assert.FileExists(t, p)
	}
	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = WriteClient(filepath.Join(file, "sub"), rep)
	assert.ErrorContains(t, err, "create the report directory")

	ok := record.Build("r", record.Manifest{}, []record.Record{{Seq: 1, Analysis: record.Analysis{Observations: []record.Observation{{Rule: record.RuleStyle, Value: "v3"}}}}})
	b.Reset()
	require.NoError(t, ClientText(&b, ok, false))
	assert.Contains(t, b.String(), "PASS no departure from the spec in 1 request (0 rules in an accepted variant)")
	for _, f := range []func() error{
		func() error { return ClientText(&b, nil, false) }, func() error { return ClientJSON(&b, nil) },
		func() error { return ClientMarkdown(&b, nil) }, func() error { return ClientHTML(&b, nil) },
		func() error { _, err := WriteClient(dir, nil); return err },
	} {
		assert.Error(t, f())
	}
}
