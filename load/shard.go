package load

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Shard is one part of a distributed run: index i of n (from 0).
type Shard struct {
	Index, Of int
}

// ParseShard parses "i/N" (i from 0 to N-1, as Kubernetes Indexed Jobs
// number their pods).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n || n > 65535 {
		return Shard{}, fmt.Errorf("shard %q: write INDEX/TOTAL with 0 ≤ INDEX < TOTAL, e.g. 0/4", s)
	}
	return Shard{i, n}, nil
}

// ShardFromEnv reads a shard from JOB_COMPLETION_INDEX (set by Kubernetes
// Indexed Jobs) and the total from ACSHARNESS_SHARDS; ok is false when the
// environment names none.
func ShardFromEnv(getenv func(string) string) (Shard, bool, error) {
	idx, total := getenv("JOB_COMPLETION_INDEX"), getenv("ACSHARNESS_SHARDS")
	if idx == "" {
		return Shard{}, false, nil
	}
	if total == "" {
		return Shard{}, false, errors.New("JOB_COMPLETION_INDEX is set but ACSHARNESS_SHARDS is not: set it to the Job's completions")
	}
	s, err := ParseShard(idx + "/" + total)
	return s, err == nil, err
}

// Share is the fraction of the rate a shard takes.
func (s Shard) Share() float64 { return 1 / float64(s.Of) }

// RunID returns a 48-bit run identifier for NewShardNonceSource, from the
// config hash and fresh randomness. Shards need not agree on it: the shard
// index, in the top 16 bits of the nonce prefix, keeps the shards of a run
// apart, and the random part keeps runs apart.
func RunID(configHash string) uint64 {
	b, _ := hex.DecodeString(configHash)
	var id uint64
	for i := 0; i < 6 && i < len(b); i++ {
		id = id<<8 | uint64(b[i])
	}
	// Derived from the config alone, a rerun of the same command within the
	// gateway's nonce retention repeated every nonce of the first run (the
	// counters start at 0 too) and got SignatureNonceUsed on every request.
	var r [8]byte
	_, _ = rand.Read(r[:])
	return (id ^ binary.BigEndian.Uint64(r[:])) & (1<<48 - 1)
}

// ConfigHash fingerprints what every shard of a run must share: target,
// workload, schedule, duration and request count. Shards with different
// hashes cannot be merged.
func ConfigHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Manifest describes one shard's results, beside them in its directory.
type Manifest struct {
	Version    int       `json:"version"`
	ConfigHash string    `json:"config_hash"`
	Shard      int       `json:"shard"`
	Shards     int       `json:"shards"`
	Share      float64   `json:"share"`
	Start      time.Time `json:"start"`
	// ClockOffset is the target's clock minus this machine's, in seconds.
	ClockOffset float64  `json:"clock_offset_seconds"`
	Late        uint64   `json:"late"`
	Requests    uint64   `json:"requests"`
	SLOs        []string `json:"slos,omitempty"`
	Results     string   `json:"results_file,omitempty"`
	// Summary is the shard's summary with its exact histograms
	// (Summary.Histograms), so that merged percentiles stay exact.
	Summary *Summary `json:"summary"`
}

// ManifestFile is the manifest's name in a shard's directory.
const ManifestFile = "manifest.json"

// NewManifest describes sum as shard s of a run.
func NewManifest(sum *Summary, s Shard, configHash string, start time.Time, clockOffset time.Duration, slos []SLO, resultsFile string) (*Manifest, error) {
	m := &Manifest{Version: 2, ConfigHash: configHash, Shard: s.Index, Shards: s.Of, Share: s.Share(), Start: start,
		ClockOffset: clockOffset.Seconds(), Late: sum.Late, Requests: sum.Requests, Results: resultsFile, Summary: sum}
	for _, slo := range slos {
		m.SLOs = append(m.SLOs, slo.Text)
	}
	if err := sum.EncodeHistograms(); err != nil {
		return nil, err
	}
	return m, nil
}

// EncodeHistograms stores the exact histograms in s.Histograms and each
// item's, for summary.json: a later run compares with them, and a merge
// adds them.
func (s *Summary) EncodeHistograms() error {
	var h EncodedHistograms
	var err error
	if h.Latency, err = encodeHist(s.latency); err != nil {
		return err
	}
	if h.Service, err = encodeHist(s.service); err != nil {
		return err
	}
	if h.Sign, err = encodeHist(s.sign); err != nil {
		return err
	}
	for i := range s.ByItem {
		if s.ByItem[i].Histogram, err = encodeHist(s.ByItem[i].hist); err != nil {
			return err
		}
	}
	s.Histograms = &h
	return nil
}

// decodeHistograms restores the histograms EncodeHistograms stored.
func (s *Summary) decodeHistograms() error {
	if s.Histograms == nil {
		return nil
	}
	var err error
	if s.latency, err = decodeHist(s.Histograms.Latency, newLatencyHist); err != nil {
		return fmt.Errorf("latency histogram: %w", err)
	}
	if s.service, err = decodeHist(s.Histograms.Service, newLatencyHist); err != nil {
		return fmt.Errorf("service-time histogram: %w", err)
	}
	if s.sign, err = decodeHist(s.Histograms.Sign, newSignHist); err != nil {
		return fmt.Errorf("signing histogram: %w", err)
	}
	for i := range s.ByItem {
		if s.ByItem[i].hist, err = decodeHist(s.ByItem[i].Histogram, newItemHist); err != nil {
			return fmt.Errorf("item %s: latency histogram: %w", s.ByItem[i].Name, err)
		}
	}
	return nil
}

// SummaryFile is the summary's name in a report directory.
const SummaryFile = "summary.json"

// ReadSummary reads the summary.json of a load report directory (or the
// file itself), with its exact histograms: a baseline to compare with.
func ReadSummary(path string) (*Summary, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, SummaryFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (give a load report directory, written by --report-dir, or its %s)", err, SummaryFile)
	}
	return parseSummary(path, b)
}

// parseSummary decodes the summary.json read from path.
func parseSummary(path string, b []byte) (*Summary, error) {
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s is not a load summary: %v", path, err)
	}
	if s.Status == nil || s.Schedule == "" {
		return nil, fmt.Errorf("%s is not a load summary (no schedule or status counts)", path)
	}
	if err := s.decodeHistograms(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.consistent(); err != nil {
		return nil, fmt.Errorf("%s is not a load summary acsharness wrote: %w", path, err)
	}
	return &s, nil
}

// maxRequests bounds the request counts a summary read from a file may
// claim: beyond 2⁵³ they are no longer exact as the float64s the
// comparison computes with.
const maxRequests = 1 << 53

// consistent checks the counts a summary read from a file claims against
// each other and its histograms: a comparison draws from them, and counts
// that overflow would send it astray.
func (s *Summary) consistent() error {
	check := func(what string, requests, successes, noAnswer uint64, hists ...*hdr.Histogram) error {
		if requests > maxRequests || successes > requests || noAnswer > requests {
			return fmt.Errorf("%s: %d requests, %d successes and %d without an answer do not add up", what, requests, successes, noAnswer)
		}
		for _, h := range hists {
			if h != nil && (h.TotalCount() < 0 || uint64(h.TotalCount()) > requests-noAnswer) {
				return fmt.Errorf("%s: a histogram of %d values for %d answered requests", what, h.TotalCount(), requests-noAnswer)
			}
		}
		return nil
	}
	if err := check("the run", s.Requests, s.Successes, s.NoAnswer, s.latency, s.service); err != nil {
		return err
	}
	if s.sign != nil && s.sign.TotalCount() < 0 {
		return errors.New("the signing histogram's counts overflow")
	}
	for _, it := range s.ByItem {
		if err := check("item "+it.Name, it.Requests, it.Successes, it.NoAnswer, it.hist); err != nil {
			return err
		}
	}
	return nil
}

// WriteManifest writes m into dir.
func WriteManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, ManifestFile), b)
}

// writeFileAtomic writes b to path through a temporary file and a rename,
// so that a reader never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadManifest reads the manifest of a shard directory.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w (each shard directory holds the %s written by `acsharness load --shard`)", dir, err, ManifestFile)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("shard %s: %s is not valid: %v", dir, ManifestFile, err)
	}
	if m.Summary == nil || m.Shards < 1 || m.ConfigHash == "" {
		return nil, fmt.Errorf("shard %s: %s lacks its summary, shard count or config hash", dir, ManifestFile)
	}
	if m.Version != 2 {
		return nil, fmt.Errorf("shard %s: %s is of version %d; this acsharness reads version 2: run the shards with the same acsharness as the merge", dir, ManifestFile, m.Version)
	}
	if err := m.Summary.decodeHistograms(); err != nil {
		return nil, fmt.Errorf("shard %s: %w", dir, err)
	}
	if err := m.Summary.consistent(); err != nil {
		return nil, fmt.Errorf("shard %s: %s: %w", dir, ManifestFile, err)
	}
	return &m, nil
}

// Merge merges the shards of one run into one summary. A missing shard, a
// shard given twice, or shards of different runs (config hashes or totals)
// fail the merge, naming them: a partial merge would report a wrong rate.
func Merge(dirs []string) (*Summary, []*Manifest, error) {
	if len(dirs) == 0 {
		return nil, nil, errors.New("give the shard directories to merge")
	}
	var ms []*Manifest
	for _, d := range dirs {
		m, err := ReadManifest(d)
		if err != nil {
			return nil, nil, err
		}
		ms = append(ms, m)
	}
	first := ms[0]
	seen := map[int]string{}
	for i, m := range ms {
		switch {
		case m.ConfigHash != first.ConfigHash:
			return nil, nil, fmt.Errorf("shard %s ran config %s but %s ran %s: merge shards of one run only", dirs[i], m.ConfigHash, dirs[0], first.ConfigHash)
		case m.Shards != first.Shards:
			return nil, nil, fmt.Errorf("shard %s is one of %d but %s is one of %d", dirs[i], m.Shards, dirs[0], first.Shards)
		case !m.Start.Equal(first.Start):
			// The config hash leaves --start-at out: without this, a shard
			// left over from an earlier run of the same command merged.
			return nil, nil, fmt.Errorf("shard %s started at %s but %s at %s: merge shards of one run only",
				dirs[i], m.Start.Format(time.RFC3339Nano), dirs[0], first.Start.Format(time.RFC3339Nano))
		}
		if prev, dup := seen[m.Shard]; dup {
			return nil, nil, fmt.Errorf("shard %d/%d is given twice: %s and %s", m.Shard, m.Shards, prev, dirs[i])
		}
		seen[m.Shard] = dirs[i]
	}
	var missing []string
	for i := range first.Shards {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, first.Shards))
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("shards missing: %s (got %d of %d)", strings.Join(missing, ", "), len(ms), first.Shards)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Shard < ms[j].Shard })
	out, err := mergeSummaries(ms)
	return out, ms, err
}

func mergeSummaries(ms []*Manifest) (*Summary, error) {
	out := &Summary{Status: map[string]uint64{}, Codes: map[string]uint64{}, Shards: len(ms), latency: newLatencyHist(),
		service: newLatencyHist(), sign: newSignHist()}
	codeKeys, errKeys := newBoundedKeys(maxCodes), newBoundedKeys(maxErrorKinds)
	items := map[string]*ItemSummary{}
	var order []string
	for _, m := range ms {
		s := m.Summary
		for _, h := range []struct{ dst, src *hdr.Histogram }{{out.latency, s.latency}, {out.service, s.service}, {out.sign, s.sign}} {
			if h.src != nil {
				h.dst.Merge(h.src)
			}
		}
		if out.Started.IsZero() || s.Started.Before(out.Started) {
			out.Started = s.Started
		}
		out.Target, out.Workload, out.Style = s.Target, s.Workload, s.Style
		out.Schedule = fmt.Sprintf("%d shards of %s", len(ms), s.Schedule)
		out.Duration = max(out.Duration, s.Duration)
		out.AttackDuration = max(out.AttackDuration, s.AttackDuration)
		out.Requests += s.Requests
		out.Successes += s.Successes
		out.NoAnswer += s.NoAnswer
		out.RequestedRate += s.RequestedRate
		out.Late += s.Late
		out.LateAfter = max(out.LateAfter, s.LateAfter)
		out.Dropped += s.Dropped
		out.BytesIn += s.BytesIn
		out.BytesOut += s.BytesOut
		out.Interrupted = out.Interrupted || s.Interrupted
		out.Generator.CPUPerRequest += s.Generator.CPUPerRequest * float64(s.Requests)
		for k, v := range s.Status {
			out.Status[k] += v
		}
		for k, v := range s.Codes {
			out.Codes[codeKeys.key(k)] += v
		}
		for k, v := range s.Errors {
			if out.Errors == nil {
				out.Errors = map[string]uint64{}
			}
			out.Errors[errKeys.key(k)] += v
		}
		for _, it := range s.ByItem {
			acc := items[it.Name]
			if acc == nil {
				acc = &ItemSummary{Name: it.Name, Codes: map[string]uint64{}, hist: newItemHist()}
				items[it.Name] = acc
				order = append(order, it.Name)
			}
			acc.Requests += it.Requests
			acc.Successes += it.Successes
			acc.NoAnswer += it.NoAnswer
			for k, v := range it.Codes {
				acc.Codes[codeKeys.key(k)] += v
			}
			if it.hist != nil {
				acc.hist.Merge(it.hist)
			}
		}
		out.Series = mergeSeries(out.Series, boundSeriesCodes(s.Series, codeKeys))
	}
	if out.Requests > 0 {
		out.SuccessRatio = float64(out.Successes) / float64(out.Requests)
		out.Generator.CPUPerRequest /= float64(out.Requests)
	}
	if out.AttackDuration > 0 {
		out.Rate = float64(out.Requests) / out.AttackDuration
	}
	if out.Duration > 0 {
		out.Throughput = float64(out.Successes) / out.Duration
	}
	out.setPercentiles()
	out.Sign = signCost(out.sign)
	if len(ms) > 0 {
		out.Sign.Clock = ms[0].Summary.Sign.Clock
		// The share of each shard's own CPU, weighted by its requests.
		var share float64
		for _, m := range ms {
			share += m.Summary.Sign.Share * float64(m.Summary.Requests)
		}
		if out.Requests > 0 {
			out.Sign.Share = share / float64(out.Requests)
		}
	}
	for _, name := range order {
		it := items[name]
		it.Latency = percentilesWithMissing(it.hist, it.NoAnswer, time.Microsecond)
		out.ByItem = append(out.ByItem, *it)
	}
	return out, nil
}

// boundSeriesCodes returns series with its buckets' codes mapped through
// keys, so that the merged series holds no more codes than the merged run.
func boundSeriesCodes(series []Bucket, keys *boundedKeys) []Bucket {
	out := append([]Bucket(nil), series...)
	for i := range out {
		if out[i].Codes == nil {
			continue
		}
		codes := make(map[string]uint64, len(out[i].Codes))
		for k, v := range out[i].Codes {
			codes[keys.key(k)] += v
		}
		out[i].Codes = codes
	}
	return out
}

// mergeSeries adds shard b's buckets to a's, coarsening the finer series
// until both have the same width (shards started together by --start-at
// share their time origin).
func mergeSeries(a, b []Bucket) []Bucket {
	if len(a) == 0 {
		// Copy the code maps too: adding the next shards into them changed
		// the first shard's own summary, which Merge returns.
		out := append([]Bucket(nil), b...)
		for i := range out {
			if out[i].Codes != nil {
				out[i].Codes = maps.Clone(out[i].Codes)
			}
		}
		return out
	}
	if len(b) == 0 {
		return a
	}
	for a[0].Width < b[0].Width {
		a = coarsen(a)
	}
	for b[0].Width < a[0].Width {
		b = coarsen(b)
	}
	for len(a) < len(b) {
		a = append(a, Bucket{Start: float64(len(a)) * a[0].Width, Width: a[0].Width})
	}
	for i, x := range b {
		y := &a[i]
		y.Requests += x.Requests
		y.Requested += x.Requested
		y.Successes += x.Successes
		y.NoAnswer += x.NoAnswer
		for k, v := range x.Codes {
			if y.Codes == nil {
				y.Codes = map[string]uint64{}
			}
			y.Codes[k] += v
		}
		// Percentiles of a bucket cannot be merged exactly; the worse shard
		// is shown, which is what a plot of tail latency should not hide.
		y.P50, y.P99, y.Max = max(y.P50, x.P50), max(y.P99, x.P99), max(y.Max, x.Max)
	}
	return a
}

func coarsen(s []Bucket) []Bucket {
	out := make([]Bucket, (len(s)+1)/2)
	for i, b := range s {
		o := &out[i/2]
		o.Start, o.Width = float64(i/2)*b.Width*2, b.Width*2
		o.Requests += b.Requests
		o.Requested += b.Requested
		o.Successes += b.Successes
		o.NoAnswer += b.NoAnswer
		for k, v := range b.Codes {
			if o.Codes == nil {
				o.Codes = map[string]uint64{}
			}
			o.Codes[k] += v
		}
		o.P50, o.P99, o.Max = max(o.P50, b.P50), max(o.P99, b.P99), max(o.Max, b.Max)
	}
	return out
}
