package reports

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
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

var checkPre = regexp.MustCompile(`(?s)<pre id="acsharness-check-([\w-]+)">(.*?)</pre>`)

// browserLayouts renders each page in headless Chromium, with the layout
// check added (and the page's script ban lifted for it), and returns what
// the check measured in each, by name. One browser serves them all (a
// browser's start costs seconds): each page is a same-origin srcdoc frame of
// 1280×2400 pixels in one index page, whose load handler, run once every
// frame has loaded, copies each frame's result out for --dump-dom to print.
// With ACSHARNESS_SCREENSHOT_DIR set, a screenshot of each is left there for
// a person to look at.
func browserLayouts(t *testing.T, chromium string, pages map[string]string) map[string]layout {
	t.Helper()
	dir := t.TempDir()
	var index strings.Builder
	index.WriteString("<!doctype html><html><body>\n")
	for name, page := range pages {
		page = strings.Replace(page, "default-src 'none'; style-src 'unsafe-inline'",
			"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'", 1)
		page = strings.Replace(page, "</body>", "<script>"+layoutCheck+"</script>\n</body>", 1)
		fmt.Fprintf(&index, "<iframe name=%q width=1280 height=2400 srcdoc=\"%s\"></iframe>\n", name, html.EscapeString(page))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".html"), []byte(page), 0o600))
	}
	index.WriteString(`<script>
window.addEventListener('load', function () {
  document.querySelectorAll('iframe').forEach(function (f) {
    var got = f.contentDocument.getElementById('acsharness-check');
    var pre = document.createElement('pre');
    pre.id = 'acsharness-check-' + f.name;
    pre.textContent = got ? got.textContent : '';
    document.body.appendChild(pre);
  });
});
</script></body></html>`)
	file := filepath.Join(dir, "index.html")
	require.NoError(t, os.WriteFile(file, []byte(index.String()), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1300,2500"}
	out, err := exec.CommandContext(ctx, chromium, append(args, "--dump-dom", "file://"+file)...).Output()
	require.NoError(t, err, "chromium --dump-dom")
	got := map[string]layout{}
	for _, m := range checkPre.FindAllSubmatch(out, -1) {
		var l layout
		require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(string(m[2]))), &l), "%s: %s", m[1], m[2])
		got[string(m[1])] = l
	}
	require.Len(t, got, len(pages), "the check ran in every page and wrote its result:\n%.2000s", out)
	if shot := os.Getenv("ACSHARNESS_SCREENSHOT_DIR"); shot != "" {
		for name := range pages {
			_ = exec.CommandContext(ctx, chromium, append(args, "--window-size=1280,2400",
				"--screenshot="+filepath.Join(shot, name+".png"), "file://"+filepath.Join(dir, name+".html"))...).Run()
		}
	}
	return got
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
	pages := map[string]string{}
	for name, sum := range map[string]*load.Summary{"no-slo": noSLO, "pass": pass, "fail": loadFixture(),
		"nothing-as-expected": nothing, "baseline": comparedSummary(t)} {
		pages[name] = renderLoadHTML(t, sum)
	}
	for name, l := range browserLayouts(t, chromium, pages) {
		t.Run(name, func(t *testing.T) {
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
