package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/internal/race"
)

// skewedGateway serves the reference gateway on 127.0.0.1 with its clock
// skew away from ours; date, when set, is the Date header it sends instead
// of its clock's.
func skewedGateway(t *testing.T, skew time.Duration, date string) string {
	t.Helper()
	g, err := gateway.New(gateway.Config{Now: func() time.Time { return time.Now().Add(skew) }})
	require.NoError(t, err)
	h := g.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := date
		if d == "" {
			d = time.Now().Add(skew).UTC().Format(http.TimeFormat)
		}
		w.Header().Set("Date", d)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// conform shifts its timestamps by the target's clock offset up to an
// hour; beyond, it reports the target's clock as wrong, at the top of every
// report, and signs by its own clock.
func TestConformClockOffsetBound(t *testing.T) {
	race.Skip(t, "the clock offset's logic, end to end")
	t.Parallel()
	timestamps := []string{"--scenario", "timestamp/*", "--style", "rpc", "--product", "mqtt", "--color", "never"}
	for _, tc := range []struct {
		name   string
		skew   time.Duration
		date   string
		code   int
		offset float64 // seconds, applied
		note   string  // a regular expression
	}{
		{"drifting 30 minutes: shifted", 30 * time.Minute, "", exitOK, 1800, ""},
		{"2 hours behind: reported, not shifted", -2 * time.Hour, "", exitFailed, 0, `its Date header is (1h59m59s|2h0m0s|2h0m1s) behind ours`}, // a Date header has whole seconds: ±1 s
		{"a Date of year 1: reported, not shifted", 0, "Mon, 01 Jan 0001 00:00:00 GMT", exitOK, 0, "at least 106751 days behind ours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := append([]string{"conform", "--target", skewedGateway(t, tc.skew, tc.date), "--report-dir", dir}, timestamps...)
			code, out, errOut := runCLI(t, demoEnv(), args...)
			require.Equal(t, tc.code, code, "%s\n%s", out, errOut)
			b, err := os.ReadFile(filepath.Join(dir, "report.json"))
			require.NoError(t, err)
			var rep struct {
				ClockOffset float64  `json:"clock_offset_seconds"`
				Findings    []string `json:"findings"`
			}
			require.NoError(t, json.Unmarshal(b, &rep))
			assert.InDelta(t, tc.offset, rep.ClockOffset, 5, "the offset applied")
			if tc.note == "" {
				assert.Empty(t, rep.Findings)
				assert.NotContains(t, out, "NOTE")
				return
			}
			require.Len(t, rep.Findings, 1, "report.json holds the finding")
			assert.Regexp(t, tc.note, rep.Findings[0])
			assert.Contains(t, out, "NOTE the target's clock is wrong: "+"its Date header is", "the terminal says it at the top")
			for _, f := range []string{"report.md", "report.html", "junit.xml"} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err)
				assert.Contains(t, string(b), "clock is wrong", "%s holds the finding", f)
			}
		})
	}
	t.Run("load's probe", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runCLI(t, demoEnv(), "load", "--target", skewedGateway(t, 0, "Mon, 01 Jan 0001 00:00:00 GMT"),
			"--requests", "2", "--rate", "100/s", "--quiet", "--color", "never")
		require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
		assert.Contains(t, errOut, "acsharness load: the target's clock is wrong")
	})
}
