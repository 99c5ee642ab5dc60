package reports

import (
	"context"
	_ "embed"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/load"
)

//go:embed testdata/layoutcheck.js
var layoutCheck string

// chromiumPath finds a Chromium, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("skipped: chromium not found (apt-get install chromium)")
	return ""
}

// layout is what layoutcheck.js measured in the browser.
type layout struct {
	Banner []struct {
		Tag, Text string
		Contrast  float64
	}
	Misplaced []map[string]any
	Rows      []map[string]any
	Cells     int
}

var checkPre = regexp.MustCompile(`(?s)<pre id="acsharness-check">(.*?)</pre>`)

// browserLayout renders page in headless Chromium, with the layout check
// added (and the page's script ban lifted for it), and returns what it
// measured. A screenshot is left beside it for a person to look at.
func browserLayout(t *testing.T, chromium, page string) layout {
	t.Helper()
	dir := t.TempDir()
	page = strings.Replace(page, "default-src 'none'; style-src 'unsafe-inline'",
		"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'", 1)
	page = strings.Replace(page, "</body>", "<script>"+layoutCheck+"</script>\n</body>", 1)
	file := filepath.Join(dir, "load.html")
	require.NoError(t, os.WriteFile(file, []byte(page), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,2400"}
	cmd := exec.CommandContext(ctx, chromium, append(args, "--dump-dom", "file://"+file)...)
	out, err := cmd.Output()
	require.NoError(t, err, "chromium --dump-dom")
	m := checkPre.FindSubmatch(out)
	require.NotNil(t, m, "the check ran and wrote its result:\n%.2000s", out)
	var l layout
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &l), "%s", m[1])
	if shot := os.Getenv("ACSHARNESS_SCREENSHOT_DIR"); shot != "" {
		_ = exec.CommandContext(ctx, chromium, append(args, "--screenshot="+filepath.Join(shot, t.Name()[strings.LastIndex(t.Name(), "/")+1:]+".png"),
			"file://"+file)...).Run()
	}
	return l
}

// The page as a person sees it in a real browser: the banner's text
// readable on its colour (WCAG AA, 4.5:1) whatever the verdict, and every
// table cell under its own header.
func TestLoadHTMLInABrowser(t *testing.T) {
	chromium := chromiumPath(t)
	t.Parallel()
	noSLO := loadFixture()
	noSLO.SLOs = nil
	pass := loadFixture()
	pass.SLOs = pass.SLOs[:1]
	nothing := loadFixture()
	nothing.Successes, nothing.SuccessRatio, nothing.Failure = 0, 0, load.WrongSecret
	for _, tc := range []struct {
		name string
		sum  *load.Summary
	}{{"no-slo", noSLO}, {"pass", pass}, {"fail", loadFixture()}, {"nothing-as-expected", nothing}, {"baseline", comparedSummary(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			l := browserLayout(t, chromium, renderLoadHTML(t, tc.sum))
			require.NotEmpty(t, l.Banner)
			for _, b := range l.Banner {
				assert.GreaterOrEqual(t, b.Contrast, 4.5, "the banner's <%s> %q is readable on its background", b.Tag, b.Text)
			}
			assert.Greater(t, l.Cells, 20, "the tables were measured")
			assert.Empty(t, l.Rows, "every row has a cell per header")
			assert.Empty(t, l.Misplaced, "every cell's text stands under its own header's")
		})
	}
}
