package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/conformance"
)

// roundTrip writes r as report.json and reads it back, as a baseline is.
func roundTrip(r *conformance.Report) *conformance.Report {
	var b bytes.Buffer
	if err := ConformanceJSON(&b, r); err != nil {
		panic(err)
	}
	back, err := ParseConformance(b.Bytes(), "report.json")
	if err != nil {
		panic("report.json as written must read back: " + err.Error())
	}
	return back
}

// diffFixture compares the fixture (as read back from its report.json)
// with a later run of it in which every kind of change happened.
func diffFixture() *conformance.Diff {
	base := roundTrip(fixture())
	run := fixture()
	run.Strict = true
	run.Started = started.Add(3600e9)
	var kept []conformance.Result
	for _, r := range run.Results {
		switch r.ScenarioID {
		case "signature/valid": // pass to fail
			r.Status, r.Reason = conformance.Fail, "step 1: [sig.rpc.valid must] status 400, expected [200]"
			r.Findings = []conformance.Finding{{Rule: "sig.rpc.valid", Level: conformance.Must, Step: 1, Message: "status 400, expected [200]"}}
		case "signature/sorted-params": // fail to pass
			r.Status, r.Reason, r.Findings, r.Mismatch = conformance.Pass, "", nil, nil
		case "envelope/trace-id": // a should warning become a must failure
			r.Status = conformance.Fail
			for i := range r.Findings {
				r.Findings[i].Level = conformance.Must
			}
		case "timestamp/inactive-key": // skip to pass
			r.Status, r.Reason = conformance.Pass, ""
		case "parameters/format-xml": // removed from the suite
			continue
		case "nonce/replay-concurrent": // fails for another reason
			r.Findings = []conformance.Finding{{Rule: "nonce.atomic", Level: conformance.Must, Step: 1, Message: "3 of 4 copies succeeded, expected exactly 1"}}
		}
		kept = append(kept, r)
	}
	kept = append(kept, conformance.Result{
		ID: "encoding/new|case[v3/ons]", ScenarioID: "encoding/new|case", Category: "encoding", Style: "v3", Product: "ons",
		Status: conformance.Fail, Reason: "step 1: [enc.percent must] <b>status</b> 400 \x1b[31m",
		Findings: []conformance.Finding{{Rule: "enc.percent", Level: conformance.Must, Step: 1, Message: "<b>status</b> 400 \x1b[31m"}},
	})
	run.Results = kept
	return CompareConformance(base, run, "out/base/report.json", "out/run/report.json")
}

// diffRenderers are the diff's formats, bound to diffFixture; TestGolden
// and TestNoSecretInAnyFormat run them with the report's.
func diffRenderers() []renderer {
	d := diffFixture()
	return []renderer{
		{"conformance-diff.txt", func(w io.Writer) error { return ConformanceDiffText(w, d, false) }},
		{"conformance-diff.color.txt", func(w io.Writer) error { return ConformanceDiffText(w, d, true) }},
		{"conformance-diff.md", func(w io.Writer) error { return ConformanceDiffMarkdown(w, d) }},
		{"conformance-diff.json", func(w io.Writer) error { return ConformanceDiffJSON(w, d) }},
	}
}

// Every format of the diff says the same things: the regressions with
// their rule and level, the cases newly passing, new, removed, changed
// and still failing; none carries the target's escape codes or a planted
// secret (the reports it reads were redacted when written, and the
// target's text is made visible).
func TestDiffFormats(t *testing.T) {
	t.Parallel()
	d := diffFixture()
	require.True(t, d.Regressed())
	assert.Equal(t, 3, d.Regressions, "pass to fail, warn to fail, a new failing case")
	for _, r := range diffRenderers() {
		out := string(render(t, r))
		for _, want := range []string{
			"signature/valid", "sig.rpc.valid", "envelope/trace-id", "signature/sorted-params",
			"parameters/format-xml", "nonce/replay-concurrent", "nonce.atomic", "still", "strict",
		} {
			assert.Contains(t, out, want, "%s lacks %q", r.name, want)
		}
		assert.NotContains(t, out, "\x1b[31m", "%s passes the target's escape code through", r.name)
		for _, planted := range []string{plantedSignature, plantedROASig, plantedSecret} {
			assert.NotContains(t, out, planted, "%s shows planted material", r.name)
		}
		if r.name != "conformance-diff.json" {
			assert.Contains(t, strings.ToUpper(out), "REGRESSED", "%s says the run regressed", r.name)
		}
	}
	var j struct {
		Version     int            `json:"diff_version"`
		Verdict     string         `json:"verdict"`
		Regressions int            `json:"regressions"`
		Counts      map[string]int `json:"counts"`
		Cases       []struct {
			ID         string `json:"id"`
			Kind       string `json:"kind"`
			Regression bool   `json:"regression"`
			Now        *struct {
				Findings []conformance.Finding `json:"findings"`
			} `json:"now"`
		} `json:"cases"`
	}
	var b bytes.Buffer
	require.NoError(t, ConformanceDiffJSON(&b, d))
	require.NoError(t, json.Unmarshal(b.Bytes(), &j))
	assert.Equal(t, 1, j.Version)
	assert.Equal(t, "regressed", j.Verdict)
	assert.Equal(t, 3, j.Regressions)
	assert.Equal(t, 2, j.Counts["newly-failing"])
	for _, c := range j.Cases {
		if c.ID == "envelope/trace-id[rpc/ons]" {
			assert.Equal(t, "newly-failing", c.Kind)
			assert.True(t, c.Regression, "a should warning that became a must failure regresses")
			require.NotNil(t, c.Now)
			require.NotEmpty(t, c.Now.Findings)
			assert.Equal(t, conformance.Must, c.Now.Findings[0].Level, "the rule's level shows")
		}
	}
}

// A diff built without CompareConformance, from a run nobody redacted,
// still shows no secret and no signature in any format.
func TestDiffRedactsWhatItIsGiven(t *testing.T) {
	t.Parallel()
	d := conformance.Compare(&conformance.Report{}, fixture(), "", "")
	require.NotEmpty(t, d.Cases)
	for name, render := range map[string]func(io.Writer) error{
		"text":     func(w io.Writer) error { return ConformanceDiffText(w, d, false) },
		"markdown": func(w io.Writer) error { return ConformanceDiffMarkdown(w, d) },
		"json":     func(w io.Writer) error { return ConformanceDiffJSON(w, d) },
		"headline": func(w io.Writer) error { _, err := io.WriteString(w, ConformanceDiffHeadline(d, false)); return err },
	} {
		var b bytes.Buffer
		require.NoError(t, render(&b))
		for _, planted := range []string{plantedSignature, plantedROASig, plantedSecret} {
			assert.NotContains(t, b.String(), planted, "%s shows planted material", name)
		}
	}
	assert.Contains(t, d.Cases[0].Now.Reason+d.Run.Target, plantedSecret, "the diff itself is left as it was given")
}

// The Markdown of a large diff stays within a step summary's bounds, and
// a run with no regression says so.
func TestDiffMarkdownBounded(t *testing.T) {
	t.Parallel()
	base, run := &conformance.Report{}, &conformance.Report{}
	for i := range 1000 {
		r := conformance.Result{ID: "x", ScenarioID: "s/" + strings.Repeat("n", 40) + strconv.Itoa(i), Style: "rpc", Product: "p", Status: conformance.Fail,
			Reason: strings.Repeat("why ", 20)}
		base.Results = append(base.Results, r)
		run.Results = append(run.Results, r)
	}
	d := conformance.Compare(base, run, "", "")
	require.False(t, d.Regressed())
	var b bytes.Buffer
	require.NoError(t, ConformanceDiffMarkdown(&b, d))
	assert.Less(t, b.Len(), 512<<10, "well under GitHub's 1 MiB step summary")
	assert.Contains(t, b.String(), "✅ Conformance against the baseline: no regression")
	assert.Contains(t, b.String(), "700 more cases")
}

// A report directory or its report.json reads back as written, older
// reports (no warn, no findings, no rules) included; what is not a
// conformance report is refused with the file and the fix.
func TestReadConformance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := WriteConformance(dir, fixture())
	require.NoError(t, err)
	for _, p := range []string{dir, filepath.Join(dir, ConformanceFile)} {
		r, err := ReadConformance(p)
		require.NoError(t, err, p)
		require.Len(t, r.Results, len(fixture().Results))
		want := fixture().Results[1]
		got := r.Results[1]
		assert.Equal(t, want.ID, got.ID)
		assert.Equal(t, want.Status, got.Status)
		assert.Equal(t, want.Findings, got.Findings, "findings with rule and level read back")
		assert.Equal(t, want.Rules, got.Rules)
		assert.Equal(t, fixture().Totals.Fail, r.Totals.Fail)
	}

	load := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(load, "summary.json"), []byte(`{}`), 0o600))
	write := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	for _, tc := range []struct {
		name, path, msg string
	}{
		{"missing", filepath.Join(dir, "nope"), "give a conformance report directory"},
		{"empty directory", t.TempDir(), "holds no report.json"},
		{"a load report", load, "is a load report (it holds summary.json)"},
		{"not JSON", write("report.json", "{\n  \"report_version\": 1,\n  oops"), "line 3, column 3: invalid character 'o'"},
		{"a wrong type", write("report.json", `{"report_version": 1, "cases": [{"id": 7}]}`), `"cases.id" holds a number, where a string belongs`},
		{"no cases", write("report.json", `{"report_version": 1}`), "no report_version or cases"},
		{"another JSON file", write("report.json", `{"requests": 10}`), "no report_version or cases"},
		{"newer", write("report.json", `{"report_version": 99, "cases": []}`), "version 99, and this build reads version 1"},
		{"no id", write("report.json", `{"report_version": 1, "cases": [{"status": "pass"}]}`), "case 1 has no id"},
		{"bad status", write("report.json", `{"report_version": 1, "cases": [{"id": "a", "status": "PASSED"}]}`), `status "PASSED": use pass, warn, fail or skip`},
		{"twice", write("report.json", `{"report_version": 1, "cases": [{"id": "a", "status": "pass"}, {"id": "a", "status": "fail"}]}`), "case a is given twice (cases 1 and 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadConformance(tc.path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}

	// A report of the first version: no warn status, no rules or findings.
	old := write("report.json", `{"report_version": 1, "tool": "acsharness", "cases": [
		{"id": "a[rpc/p]", "scenario": "a", "style": "rpc", "product": "p", "status": "fail", "reason": "step 1: status 400"},
		{"id": "b[rpc/p]", "scenario": "b", "style": "rpc", "product": "p", "status": "pass", "steps": [{"request": {"method": "GET"}}]}]}`)
	r, err := ReadConformance(old)
	require.NoError(t, err)
	require.Len(t, r.Results, 2)
	assert.Equal(t, "step 1: status 400", r.Results[0].Reason)
}

// FuzzParseConformance: any bytes give a report or an error, never a
// panic; a report read has cases with ids, known statuses, none twice.
func FuzzParseConformance(f *testing.F) {
	var b bytes.Buffer
	if err := ConformanceJSON(&b, fixture()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	for _, s := range []string{
		`{"report_version": 1, "cases": []}`,
		`{"report_version": 1, "cases": [{"id": "a", "status": "pass"}, {"id": "a", "status": "fail"}]}`,
		`{"report_version": 1, "cases": [{"scenario": "s", "style": "rpc", "product": "p", "status": "warn", "findings": [{"rule": "r", "level": "must"}]}]}`,
		`{"report_version": 0, "cases": null}`, `[]`, `null`, `{"cases": [{"id": 1}]}`, "{\"report_version\": 1,\n\"cases\": [",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseConformance(data, "report.json")
		if err != nil {
			require.Nil(t, r)
			require.Contains(t, err.Error(), "report.json", "an error names the file")
			return
		}
		seen := map[string]bool{}
		for i := range r.Results {
			key := conformance.CaseKey(&r.Results[i])
			require.NotEmpty(t, key)
			require.Contains(t, []string{conformance.Pass, conformance.Warn, conformance.Fail, conformance.Skip}, r.Results[i].Status)
			require.False(t, seen[key], "case %s twice", key)
			seen[key] = true
		}
		d := conformance.Compare(r, r, "", "")
		require.False(t, d.Regressed(), "a report against itself never regresses")
	})
}

// BenchmarkReadAndCompare reads two report.json files of a full run's size
// (the fixture's cases repeated to about 740, steps and all) and compares
// them: what `report diff` and `conform --baseline` add to a CI job.
func BenchmarkReadAndCompare(b *testing.B) {
	big := fixture()
	var results []conformance.Result
	for i := 0; len(results) < 740; i++ {
		for _, r := range fixture().Results {
			r.ScenarioID += "-" + strconv.Itoa(i)
			r.ID = conformance.CaseKey(&r)
			results = append(results, r)
		}
	}
	big.Results = results
	var old, run bytes.Buffer
	if err := ConformanceJSON(&old, big); err != nil {
		b.Fatal(err)
	}
	big.Results[0].Status = conformance.Fail
	if err := ConformanceJSON(&run, big); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(old.Len() + run.Len()))
	b.ReportAllocs()
	for b.Loop() {
		o, err := ParseConformance(old.Bytes(), "old")
		if err != nil {
			b.Fatal(err)
		}
		n, err := ParseConformance(run.Bytes(), "new")
		if err != nil {
			b.Fatal(err)
		}
		if d := CompareConformance(o, n, "old", "new"); !d.Regressed() {
			b.Fatal("the changed case is a regression")
		}
	}
}
