package load

import (
	"bytes"
	"math"
	"strconv"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Summary is the outcome of a load run, or of several shards merged.
type Summary struct {
	Target   string    `json:"target"`
	Workload string    `json:"workload"`
	Schedule string    `json:"schedule"`
	Style    string    `json:"style"`
	Started  time.Time `json:"started"`
	// Duration is from the first request sent to the last answer.
	Duration float64 `json:"duration_seconds"`
	// AttackDuration is the time over which requests were sent.
	AttackDuration float64 `json:"attack_duration_seconds"`
	Requests       uint64  `json:"requests"`
	// Successes counts answers as the workload expects: 2xx for an action,
	// the expected code for a scenario that expects an error.
	Successes    uint64  `json:"successes"`
	SuccessRatio float64 `json:"success_ratio"`
	// Rate is requests per second over the attack; Throughput successes
	// per second over the whole duration.
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`
	// RequestedRate is the mean rate the schedule asked for.
	RequestedRate float64     `json:"requested_rate"`
	Latency       Percentiles `json:"latency"`
	Sign          SignCost    `json:"sign"`
	// Late counts requests sent more than LateAfter after they were due;
	// Dropped those the schedule wanted that were never sent.
	Late      uint64            `json:"late"`
	LateAfter float64           `json:"late_after_seconds"`
	Dropped   uint64            `json:"dropped"`
	Status    map[string]uint64 `json:"status"`
	Codes     map[string]uint64 `json:"codes"`
	Errors    map[string]uint64 `json:"errors,omitempty"`
	BytesIn   uint64            `json:"bytes_in"`
	BytesOut  uint64            `json:"bytes_out"`
	ByItem    []ItemSummary     `json:"by_item"`
	SLOs      []SLOResult       `json:"slos,omitempty"`
	Shards    int               `json:"shards,omitempty"`
	Series    []Bucket          `json:"series"`
	// Interrupted reports a run stopped early (Ctrl-C, SIGTERM).
	Interrupted bool `json:"interrupted,omitempty"`

	latency *hdr.Histogram
	sign    *hdr.Histogram
}

// Percentiles of a latency distribution, in seconds, from an exact HDR
// histogram (3 significant digits), not an estimate.
type Percentiles struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// SignCost is the time spent signing, timed apart from the request.
type SignCost struct {
	Mean float64 `json:"mean"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	// Share is the signing time over the total request time.
	Share float64 `json:"share"`
}

// ItemSummary breaks a run down per action or scenario.
type ItemSummary struct {
	Name      string            `json:"name"`
	Requests  uint64            `json:"requests"`
	Successes uint64            `json:"successes"`
	Latency   Percentiles       `json:"latency"`
	Codes     map[string]uint64 `json:"codes,omitempty"`

	hist *hdr.Histogram
}

// Bucket is one interval of the run, for the plots: requests sent, asked
// for and answered as expected, error codes, and latency.
type Bucket struct {
	Start     float64           `json:"start_seconds"`
	Width     float64           `json:"width_seconds"`
	Requests  uint64            `json:"requests"`
	Requested float64           `json:"requested"`
	Successes uint64            `json:"successes"`
	Codes     map[string]uint64 `json:"codes,omitempty"`
	P50       float64           `json:"p50"`
	P99       float64           `json:"p99"`
	Max       float64           `json:"max"`
}

// Histogram ranges: latency from 1 µs to 1 h, signing from 10 ns to 10 s.
func newLatencyHist() *hdr.Histogram { return hdr.New(1, int64(time.Hour/time.Microsecond), 3) }
func newSignHist() *hdr.Histogram    { return hdr.New(1, int64(10*time.Second/10), 3) }

// percentiles reads a histogram recorded in units of unit.
func percentiles(h *hdr.Histogram, unit time.Duration) Percentiles {
	if h == nil || h.TotalCount() == 0 {
		return Percentiles{}
	}
	s := unit.Seconds()
	v := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) * s }
	return Percentiles{
		Min: float64(h.Min()) * s, Mean: h.Mean() * s, P50: v(50), P90: v(90), P95: v(95), P99: v(99), P999: v(99.9),
		Max: float64(h.Max()) * s,
	}
}

// metric returns the value an SLO names.
func (s *Summary) metric(name string) float64 {
	// A run without answers has no latency: its zero percentiles would meet
	// any latency SLO silently (k6 #4283).
	if s.Requests == 0 && sloMetrics[name] == kindDuration {
		return math.NaN()
	}
	switch name {
	case "min":
		return s.Latency.Min
	case "mean":
		return s.Latency.Mean
	case "p50":
		return s.Latency.P50
	case "p90":
		return s.Latency.P90
	case "p95":
		return s.Latency.P95
	case "p99":
		return s.Latency.P99
	case "p999":
		return s.Latency.P999
	case "max":
		return s.Latency.Max
	case "sign_mean":
		return s.Sign.Mean
	case "sign_p99":
		return s.Sign.P99
	case "sign_max":
		return s.Sign.Max
	case "sign_share":
		return s.Sign.Share
	case "success":
		return s.SuccessRatio
	case "errors":
		if s.Requests == 0 {
			return math.NaN()
		}
		return 1 - s.SuccessRatio
	case "late":
		if s.Requests == 0 {
			return math.NaN()
		}
		return float64(s.Late) / float64(s.Requests)
	case "rate":
		return s.Rate
	case "throughput":
		return s.Throughput
	case "requests":
		return float64(s.Requests)
	case "late_requests":
		return float64(s.Late)
	case "dropped":
		return float64(s.Dropped)
	}
	return math.NaN()
}

// CheckSLOs evaluates slos and stores the results; it reports whether all
// were met.
func (s *Summary) CheckSLOs(slos []SLO) bool {
	s.SLOs = nil
	ok := true
	for _, slo := range slos {
		r := slo.Check(s)
		s.SLOs = append(s.SLOs, r)
		ok = ok && r.Met
	}
	return ok
}

// WriteHGRM writes the latency distribution in HdrHistogram's percentile
// format (.hgrm, in milliseconds), which its plotters read.
func (s *Summary) WriteHGRM(w *bytes.Buffer) error {
	h := s.latency
	if h == nil {
		h = newLatencyHist()
	}
	_, err := h.PercentilesPrint(w, 5, 1000) // microseconds → milliseconds
	return err
}

// LatencyHistogram returns the exact latency histogram, in microseconds.
func (s *Summary) LatencyHistogram() *hdr.Histogram { return s.latency }

// SignHistogram returns the signing-time histogram, in units of 10 ns.
func (s *Summary) SignHistogram() *hdr.Histogram { return s.sign }

// itemStats accumulate one action or scenario.
type itemStats struct {
	requests, successes uint64
	latency             *hdr.Histogram
	codes               map[string]uint64
}

// collector folds results into a summary. It is used from the one
// goroutine that reads the attack's results; memory stays flat: the HDR
// histograms have a fixed size and the series merges its buckets as the
// run grows.
type collector struct {
	start     time.Time
	schedule  Schedule
	lateAfter time.Duration
	latency   *hdr.Histogram
	status    map[string]uint64
	codes     map[string]uint64
	errors    map[string]uint64
	items     map[string]*itemStats
	order     []string
	requests  uint64
	successes uint64
	late      uint64
	bytesIn   uint64
	bytesOut  uint64
	first     time.Time
	lastSent  time.Time
	lastEnd   time.Time
	series    series
	latSum    float64 // seconds, for the signing share
	sign      *signRecorder
}

func newCollector(start time.Time, s Schedule, lateAfter time.Duration, sign *signRecorder) *collector {
	return &collector{
		start: start, schedule: s, lateAfter: lateAfter, latency: newLatencyHist(),
		status: map[string]uint64{}, codes: map[string]uint64{}, errors: map[string]uint64{},
		items: map[string]*itemStats{}, series: newSeries(maxBuckets, time.Second), sign: sign,
	}
}

// maxErrorKinds bounds the distinct transport errors kept.
const maxErrorKinds = 32

// observation is one answered request as the collector sees it.
type observation struct {
	item     string
	sent     time.Time     // when the request started
	due      time.Time     // when the schedule wanted it
	latency  time.Duration // from due (or sent, when on time) to the answer
	status   int
	code     string // the error code of the answer body
	ok       bool   // as the workload expects
	err      string // a transport error
	bytesIn  uint64
	bytesOut uint64
}

func (c *collector) add(o observation) {
	c.requests++
	if c.first.IsZero() || o.sent.Before(c.first) {
		c.first = o.sent
	}
	if o.sent.After(c.lastSent) {
		c.lastSent = o.sent
	}
	if end := o.sent.Add(o.latency); end.After(c.lastEnd) {
		c.lastEnd = end
	}
	us := max(o.latency.Microseconds(), 1)
	_ = c.latency.RecordValue(us)
	c.latSum += o.latency.Seconds()
	c.status[strconv.Itoa(o.status)]++
	if o.code != "" {
		c.codes[o.code]++
	}
	if o.err != "" && o.status == 0 {
		if _, ok := c.errors[o.err]; ok || len(c.errors) < maxErrorKinds {
			c.errors[o.err]++
		} else {
			c.errors["other"]++
		}
	}
	if o.ok {
		c.successes++
	}
	if !o.due.IsZero() && o.sent.Sub(o.due) > c.lateAfter {
		c.late++
	}
	c.bytesIn += o.bytesIn
	c.bytesOut += o.bytesOut
	it := c.items[o.item]
	if it == nil {
		it = &itemStats{latency: hdr.New(1, int64(time.Hour/time.Microsecond), 2), codes: map[string]uint64{}}
		c.items[o.item] = it
		c.order = append(c.order, o.item)
	}
	it.requests++
	if o.ok {
		it.successes++
	}
	if o.code != "" {
		it.codes[o.code]++
	}
	_ = it.latency.RecordValue(us)
	c.series.add(o.sent.Sub(c.start), o.latency, o.ok, o.code)
}

// summary builds the summary so far.
func (c *collector) summary(attack time.Duration, interrupted bool) *Summary {
	s := &Summary{
		Started: c.start, Requests: c.requests, Successes: c.successes, Late: c.late, LateAfter: c.lateAfter.Seconds(),
		Status: c.status, Codes: c.codes, Errors: c.errors, BytesIn: c.bytesIn, BytesOut: c.bytesOut,
		Latency: percentiles(c.latency, time.Microsecond), Interrupted: interrupted, latency: c.latency,
	}
	if len(s.Errors) == 0 {
		s.Errors = nil
	}
	if c.requests > 0 {
		s.SuccessRatio = float64(c.successes) / float64(c.requests)
		s.Duration = c.lastEnd.Sub(c.first).Seconds()
		s.AttackDuration = c.lastSent.Sub(c.first).Seconds()
	}
	if attack > 0 {
		s.AttackDuration = attack.Seconds()
	}
	if s.AttackDuration > 0 {
		s.Rate = float64(c.requests) / s.AttackDuration
	}
	if s.Duration > 0 {
		s.Throughput = float64(c.successes) / s.Duration
	}
	if c.schedule != nil && attack > 0 {
		want := c.schedule.Hits(attack)
		s.RequestedRate = want / attack.Seconds()
		if want > float64(c.requests) {
			s.Dropped = uint64(want - float64(c.requests))
		}
	}
	if c.sign != nil {
		s.sign = c.sign.merged()
		s.Sign = signCost(s.sign, c.latSum)
	}
	for _, name := range c.order {
		it := c.items[name]
		s.ByItem = append(s.ByItem, ItemSummary{Name: name, Requests: it.requests, Successes: it.successes,
			Latency: percentiles(it.latency, time.Microsecond), Codes: it.codes, hist: it.latency})
	}
	s.Series = c.series.buckets(c.schedule)
	return s
}

func signCost(h *hdr.Histogram, latencySum float64) SignCost {
	if h == nil || h.TotalCount() == 0 {
		return SignCost{}
	}
	const unit = 10e-9 // the sign histogram counts units of 10 ns
	sc := SignCost{Mean: h.Mean() * unit, P99: float64(h.ValueAtQuantile(99)) * unit, Max: float64(h.Max()) * unit}
	if latencySum > 0 {
		sc.Share = sc.Mean * float64(h.TotalCount()) / latencySum
	}
	return sc
}

// signRecorder times signatures from the attack's workers: a few shards of
// HDR histograms, each behind its own lock, so workers rarely contend.
type signRecorder struct {
	shards [8]struct {
		mu sync.Mutex
		h  *hdr.Histogram
		_  [40]byte
	}
}

func newSignRecorder() *signRecorder {
	r := &signRecorder{}
	for i := range r.shards {
		r.shards[i].h = newSignHist()
	}
	return r
}

// record notes one signature's cost; hint spreads callers over shards.
func (r *signRecorder) record(d time.Duration, hint uint64) {
	sh := &r.shards[hint%uint64(len(r.shards))]
	sh.mu.Lock()
	_ = sh.h.RecordValue(max(int64(d/10), 1))
	sh.mu.Unlock()
}

func (r *signRecorder) merged() *hdr.Histogram {
	out := newSignHist()
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		out.Merge(sh.h)
		sh.mu.Unlock()
	}
	return out
}

// maxBuckets bounds the series: beyond it, neighbouring buckets merge and
// the width doubles, so a long run costs the same memory as a short one.
const maxBuckets = 240

// series is the run over time, for the plots.
type series struct {
	width time.Duration
	b     []seriesBucket
}

type seriesBucket struct {
	requests, successes uint64
	codes               map[string]uint64
	lat                 *hdr.Histogram // 2 significant digits: a plot needs no more
}

func newSeries(n int, width time.Duration) series {
	return series{width: width, b: make([]seriesBucket, 0, n)}
}

func (s *series) add(at, latency time.Duration, ok bool, code string) {
	if at < 0 {
		at = 0
	}
	i := int(at / s.width)
	for i >= maxBuckets {
		s.halve()
		i = int(at / s.width)
	}
	for len(s.b) <= i {
		s.b = append(s.b, seriesBucket{})
	}
	b := &s.b[i]
	if b.lat == nil {
		b.lat = hdr.New(1, int64(time.Hour/time.Microsecond), 2)
	}
	b.requests++
	if ok {
		b.successes++
	}
	if code != "" {
		if b.codes == nil {
			b.codes = map[string]uint64{}
		}
		if _, seen := b.codes[code]; seen || len(b.codes) < 16 {
			b.codes[code]++
		} else {
			b.codes["other"]++
		}
	}
	_ = b.lat.RecordValue(max(latency.Microseconds(), 1))
}

// halve merges neighbouring buckets and doubles the width.
func (s *series) halve() {
	n := (len(s.b) + 1) / 2
	out := make([]seriesBucket, n, cap(s.b))
	for i := range s.b {
		dst, src := &out[i/2], &s.b[i]
		dst.requests += src.requests
		dst.successes += src.successes
		for k, v := range src.codes {
			if dst.codes == nil {
				dst.codes = map[string]uint64{}
			}
			dst.codes[k] += v
		}
		if src.lat != nil {
			if dst.lat == nil {
				dst.lat = hdr.New(1, int64(time.Hour/time.Microsecond), 2)
			}
			dst.lat.Merge(src.lat)
		}
	}
	s.b, s.width = out, s.width*2
}

func (s *series) buckets(sched Schedule) []Bucket {
	out := make([]Bucket, len(s.b))
	for i, b := range s.b {
		start := time.Duration(i) * s.width
		out[i] = Bucket{Start: start.Seconds(), Width: s.width.Seconds(), Requests: b.requests, Successes: b.successes, Codes: b.codes}
		if sched != nil {
			out[i].Requested = sched.Hits(start+s.width) - sched.Hits(start)
		}
		if b.lat != nil && b.lat.TotalCount() > 0 {
			out[i].P50 = float64(b.lat.ValueAtQuantile(50)) / 1e6
			out[i].P99 = float64(b.lat.ValueAtQuantile(99)) / 1e6
			out[i].Max = float64(b.lat.Max()) / 1e6
		}
	}
	return out
}
