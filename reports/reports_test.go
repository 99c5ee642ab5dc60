package reports

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/conformance"
)

var update = flag.Bool("update", false, "update the .golden files in testdata")

// renderer is one output format, bound to the fixtures.
type renderer struct {
	name   string // golden file name
	render func(io.Writer) error
}

func renderers() []renderer {
	return append([]renderer{
		{"conformance.txt", func(w io.Writer) error { return ConformanceText(w, fixture(), false) }},
		{"conformance.color.txt", func(w io.Writer) error { return ConformanceText(w, fixture(), true) }},
		{"report.json", func(w io.Writer) error { return ConformanceJSON(w, fixture()) }},
		{"junit.xml", func(w io.Writer) error { return ConformanceJUnit(w, fixture()) }},
		{"report.md", func(w io.Writer) error { return ConformanceMarkdown(w, fixture()) }},
		{"report.html", func(w io.Writer) error { return ConformanceHTML(w, fixture()) }},
		{"selftest.txt", func(w io.Writer) error { return SelftestText(w, selftestFixture(), false) }},
		{"selftest.color.txt", func(w io.Writer) error { return SelftestText(w, selftestFixture(), true) }},
		{"selftest.json", func(w io.Writer) error { return SelftestJSON(w, selftestFixture()) }},
	}, diffRenderers()...)
}

func render(t *testing.T, r renderer) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, r.render(&b), "rendering %s", r.name)
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, r := range renderers() {
		t.Run(r.name, func(t *testing.T) {
			got := render(t, r)
			path := filepath.Join("testdata", r.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "golden file missing: run go test ./reports -update")
			assert.Equal(t, string(want), string(got), "output differs from %s (run with -update to accept)", path)
		})
	}
}

func TestNoSecretInAnyFormat(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, name string, out []byte) {
		t.Helper()
		for _, planted := range []string{plantedSignature, plantedROASig, plantedSecret} {
			assert.NotContains(t, string(out), planted, "%s shows planted material", name)
		}
	}
	for _, r := range renderers() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			check(t, r.name, render(t, r))
		})
	}
	t.Run("files", func(t *testing.T) {
		t.Parallel()
		paths, err := WriteConformance(t.TempDir(), fixture())
		require.NoError(t, err)
		for _, p := range paths {
			out, err := os.ReadFile(p)
			require.NoError(t, err)
			check(t, p, out)
		}
	})
	t.Run("the redaction leaves its mark", func(t *testing.T) {
		t.Parallel()
		var b bytes.Buffer
		require.NoError(t, ConformanceJSON(&b, fixture()))
		for _, want := range []string{
			"Signature=[redacted]", "acs testid:[redacted]", "SecurityToken=[redacted]", `"X-Acs-Security-Token": "[redacted]"`,
			"x-acs-security-token:[redacted]", "SignatureMethod=HMAC-SHA1", "SignatureNonce=n1", "https://ops:[redacted]@gw.example.test:8443",
		} {
			assert.Contains(t, b.String(), want, "the JSON report should keep the name and hide the value")
		}
	})
}

func TestTextColor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		render func(io.Writer, bool) error
	}{
		{"conformance", func(w io.Writer, c bool) error { return ConformanceText(w, fixture(), c) }},
		{"selftest", func(w io.Writer, c bool) error { return SelftestText(w, selftestFixture(), c) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var plain, color bytes.Buffer
			require.NoError(t, tc.render(&plain, false))
			require.NoError(t, tc.render(&color, true))
			assert.NotContains(t, plain.String(), "\x1b", "color=false must write no escape code, not even one from the target")
			assert.Contains(t, color.String(), "\x1b[", "color=true should colour the verdict")
		})
	}
}

func TestNilReports(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{
		"text":          ConformanceText(io.Discard, nil, false),
		"json":          ConformanceJSON(io.Discard, nil),
		"junit":         ConformanceJUnit(io.Discard, nil),
		"markdown":      ConformanceMarkdown(io.Discard, nil),
		"html":          ConformanceHTML(io.Discard, nil),
		"selftest text": SelftestText(io.Discard, nil, false),
		"selftest json": SelftestJSON(io.Discard, nil),
	} {
		assert.Error(t, err, "%s of a nil report", name)
	}
	_, err := WriteConformance(t.TempDir(), nil)
	assert.Error(t, err)
}

func TestEmptyReport(t *testing.T) {
	t.Parallel()
	for _, r := range []renderer{
		{"text", func(w io.Writer) error { return ConformanceText(w, &conformance.Report{}, false) }},
		{"json", func(w io.Writer) error { return ConformanceJSON(w, &conformance.Report{}) }},
		{"junit", func(w io.Writer) error { return ConformanceJUnit(w, &conformance.Report{}) }},
		{"markdown", func(w io.Writer) error { return ConformanceMarkdown(w, &conformance.Report{}) }},
		{"html", func(w io.Writer) error { return ConformanceHTML(w, &conformance.Report{}) }},
		{"selftest text", func(w io.Writer) error { return SelftestText(w, &conformance.SelfTestReport{}, false) }},
		{"selftest json", func(w io.Writer) error { return SelftestJSON(w, &conformance.SelfTestReport{}) }},
	} {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			out := render(t, r)
			assert.NotEmpty(t, out, "an empty report still renders a verdict")
		})
	}
}

func TestSelftestWithoutBaseline(t *testing.T) {
	t.Parallel()
	s := selftestFixture()
	s.Baseline = nil
	var b bytes.Buffer
	require.NoError(t, SelftestText(&b, s, false))
	assert.Contains(t, b.String(), "baseline: FAIL")
	assert.Contains(t, b.String(), "FAIL self-test")
}

func TestWriteConformance(t *testing.T) {
	t.Parallel()
	t.Run("creates a missing nested directory", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "a", "b", "c")
		paths, err := WriteConformance(dir, fixture())
		require.NoError(t, err)
		var names []string
		for _, p := range paths {
			names = append(names, filepath.Base(p))
			assert.Equal(t, dir, filepath.Dir(p))
		}
		assert.Equal(t, []string{"report.json", "junit.xml", "report.md", "report.html"}, names)
		for _, r := range renderers() {
			if !strings.HasPrefix(r.name, "report.") && r.name != "junit.xml" {
				continue
			}
			got, err := os.ReadFile(filepath.Join(dir, r.name))
			require.NoError(t, err)
			assert.Equal(t, string(render(t, r)), string(got), "%s should hold what its renderer writes", r.name)
			info, err := os.Stat(filepath.Join(dir, r.name))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "%s should be readable by all", r.name)
		}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 4, "no temp file should be left behind")
	})
	t.Run("replaces earlier reports", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "report.md"), []byte("old"), 0o644))
		_, err := WriteConformance(dir, fixture())
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, "report.md"))
		require.NoError(t, err)
		assert.True(t, bytes.HasPrefix(got, []byte("## ")), "report.md should be replaced, got %q", got[:min(len(got), 20)])
	})
	t.Run("a directory under a file fails", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "plain-file")
		require.NoError(t, os.WriteFile(file, nil, 0o644))
		dir := filepath.Join(file, "reports")
		paths, err := WriteConformance(dir, fixture())
		require.Error(t, err)
		assert.Empty(t, paths)
		assert.Contains(t, err.Error(), "create the report directory "+dir)
		assert.Contains(t, err.Error(), "not a directory")
	})
	t.Run("a file that cannot be replaced fails, naming it", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		// A directory where junit.xml goes: rename refuses, even for root.
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "junit.xml", "x"), 0o755))
		paths, err := WriteConformance(dir, fixture())
		require.Error(t, err)
		assert.Equal(t, []string{filepath.Join(dir, "report.json")}, paths, "the files before it were written")
		assert.Contains(t, err.Error(), "write "+filepath.Join(dir, "junit.xml")+": ")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.False(t, strings.HasSuffix(e.Name(), ".tmp"), "temp file %s left behind", e.Name())
		}
	})
}
