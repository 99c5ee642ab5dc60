package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acsharness/acsharness/load"
)

// LoadText writes the terminal summary of a load run: requests, rate,
// success by expectation, statuses and error codes, latency percentiles,
// signing cost, late requests, the breakdown per item, and each SLO with
// ✓ or ✗ and the value observed.
func LoadText(w io.Writer, s *load.Summary, color bool) error {
	if s == nil {
		return errors.New("no summary to render")
	}
	p := painter(color)
	var b strings.Builder
	if s.Failure != "" {
		fmt.Fprintf(&b, "%s\n", p.paint(ansiRed, "FAIL: "+s.Failure))
	}
	fmt.Fprintf(&b, "target     %s\n", s.Target)
	fmt.Fprintf(&b, "workload   %s\n", s.Workload)
	fmt.Fprintf(&b, "schedule   %s\n", s.Schedule)
	if s.Shards > 0 {
		fmt.Fprintf(&b, "shards     %d\n", s.Shards)
	}
	if s.Interrupted {
		fmt.Fprintf(&b, "%s\n", p.paint(ansiYellow, "interrupted: the figures cover what was gathered"))
	}
	fmt.Fprintf(&b, "requests   %d in %s (rate %.1f/s, asked %.1f/s; throughput %.1f/s)\n",
		s.Requests, dur(s.AttackDuration), s.Rate, s.RequestedRate, s.Throughput)
	fmt.Fprintf(&b, "success    %.3f%% as expected (%d of %d)\n", s.SuccessRatio*100, s.Successes, s.Requests)
	fmt.Fprintf(&b, "status     %s\n", counts(s.Status))
	if len(s.Codes) > 0 {
		fmt.Fprintf(&b, "codes      %s\n", counts(s.Codes))
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(&b, "errors     %s\n", counts(s.Errors))
	}
	latencyLine(&b, "response   ", s.Latency)
	if s.NoAnswer > 0 {
		fmt.Fprintf(&b, "           (from due, every request: the %d without an answer count as +Inf)\n", s.NoAnswer)
		latencyLine(&b, "  answered ", s.LatencyAnswered)
	} else {
		b.WriteString("           (from due: what a user waits, with the generator's delays)\n")
	}
	latencyLine(&b, "service    ", s.ServiceTime)
	b.WriteString("           (from send, answered requests: what vegeta reports)\n")
	fmt.Fprintf(&b, "signing    CPU mean %s  p99 %s  max %s  (%.2f%% of the generator's CPU; %d sampled)\n",
		dur(s.Sign.Mean), dur(s.Sign.P99), dur(s.Sign.Max), s.Sign.Share*100, s.Sign.Samples)
	if g := s.Generator; g.CPUPerRequest > 0 {
		fmt.Fprintf(&b, "generator  CPU %s per request, %.0f%% of the cores busy, %d in flight at most\n",
			dur(g.CPUPerRequest), g.CPUBusy*100, g.PeakInFlight)
	}
	late := fmt.Sprintf("late       %d sent more than %s after due, %d never sent", s.Late, dur(s.LateAfter), s.Dropped)
	if s.Late > 0 || s.Dropped > 0 {
		late = p.paint(ansiYellow, late)
	}
	b.WriteString(late + "\n")
	if len(s.ByItem) > 1 {
		b.WriteString("by item\n")
		for _, it := range s.ByItem {
			ratio := 0.0
			if it.Requests > 0 {
				ratio = float64(it.Successes) / float64(it.Requests) * 100
			}
			fmt.Fprintf(&b, "  %-40s %8d req  %7.3f%%  p50 %-10s p99 %s\n", it.Name, it.Requests, ratio, dur(it.Latency.P50), dur(it.Latency.P99))
		}
	}
	if s.Comparison != nil {
		if err := LoadDiffText(&b, s.Comparison, color); err != nil {
			return err
		}
	}
	if len(s.SLOs) > 0 {
		b.WriteString("SLOs\n")
		for _, r := range s.SLOs {
			mark := p.paint(ansiGreen, "✓")
			if !r.Met {
				mark = p.paint(ansiRed, "✗")
			}
			fmt.Fprintf(&b, "  %s %-22s observed %s\n", mark, r.Text, r.FormatObserved())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// latencyLine writes one row of percentiles.
func latencyLine(b *strings.Builder, label string, l load.Percentiles) {
	fmt.Fprintf(b, "%s min %s  mean %s  p50 %s  p90 %s  p95 %s  p99 %s  p99.9 %s  max %s\n",
		label, dur(l.Min), dur(l.Mean), dur(l.P50), dur(l.P90), dur(l.P95), dur(l.P99), dur(l.P999), dur(l.Max))
}

// dur formats seconds as a rounded duration; +Inf, a request without an
// answer, as "∞".
func dur(sec float64) string {
	if math.IsInf(sec, 1) {
		return "∞"
	}
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Microsecond).String()
	}
	return d.Round(10 * time.Nanosecond).String()
}

// maxTextKinds is how many kinds counts writes; the rest are summed.
const maxTextKinds = 12

// counts writes a map as "k:v k:v", largest first, at most maxTextKinds
// of them.
func counts(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, 0, min(len(keys), maxTextKinds+1))
	var rest uint64
	for i, k := range keys {
		if i >= maxTextKinds {
			rest += m[k]
			continue
		}
		name := k
		if name == "0" {
			name = "no answer"
		}
		parts = append(parts, name+":"+strconv.FormatUint(m[k], 10))
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("(%d more kinds):%d", len(keys)-maxTextKinds, rest))
	}
	return strings.Join(parts, "  ")
}

// LoadJSON writes summary.json.
func LoadJSON(w io.Writer, s *load.Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}

// loadFiles are the files WriteLoad writes, in order.
var loadFiles = []struct {
	name   string
	render func(io.Writer, *load.Summary) error
}{
	{"summary.json", LoadJSON},
	{"latency.hgrm", func(w io.Writer, s *load.Summary) error {
		var buf bytes.Buffer
		if err := s.WriteHGRM(&buf); err != nil {
			return err
		}
		_, err := w.Write(buf.Bytes())
		return err
	}},
	{"load.html", LoadHTML},
}

// WriteLoad writes summary.json, latency.hgrm (the HdrHistogram percentile
// distribution, in milliseconds) and load.html into dir, each atomically,
// and returns the paths written. The raw results (results.bin) are written by
// the run itself as they arrive.
func WriteLoad(dir string, s *load.Summary) ([]string, error) {
	if s == nil {
		return nil, errors.New("no summary to write")
	}
	if err := s.EncodeHistograms(); err != nil {
		return nil, fmt.Errorf("encode the histograms: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the report directory %s: %w", dir, err)
	}
	var written []string
	for _, f := range loadFiles {
		path := filepath.Join(dir, f.name)
		var buf bytes.Buffer
		if err := f.render(&buf, s); err != nil {
			return written, fmt.Errorf("render %s: %w", path, err)
		}
		if err := writeAtomic(path, buf.Bytes()); err != nil {
			return written, fmt.Errorf("write %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}
