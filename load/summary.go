package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
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
	RequestedRate float64 `json:"requested_rate"`
	// NoAnswer counts the requests that got no HTTP answer at all
	// (connection refused or reset, timed out).
	NoAnswer uint64 `json:"no_answer"`
	// Latency is the response time, from when each request was due to its
	// answer, over every request: one without an answer counts as slower
	// than any threshold (+Inf), so that p99<X fails once more than 1% got
	// none. This is the figure to gate on.
	Latency Percentiles `json:"latency"`
	// LatencyAnswered is the same response time over the answered requests
	// only.
	LatencyAnswered Percentiles `json:"latency_answered"`
	// ServiceTime is from when each request was sent to its answer, over
	// the answered requests: what vegeta reports, blind to a generator
	// that fell behind (coordinated omission).
	ServiceTime Percentiles `json:"service_time"`
	Sign        SignCost    `json:"sign"`
	// Generator is the load generator's own cost per request.
	Generator GeneratorCost `json:"generator"`
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
	// Failure says why no request met its expectation (see Explain), when
	// none did: such a run never passes.
	Failure string `json:"failure,omitempty"`
	// Comparison is this run against a baseline (--baseline), when given.
	Comparison *Diff `json:"comparison,omitempty"`
	// StartLate is how long after --start-at the run started (within the
	// grace StartAtGrace allows).
	StartLate float64 `json:"start_late_seconds,omitempty"`
	// Histograms are the exact histograms, encoded, so that a later run can
	// be compared with this one (--baseline, report diff) and shards merged.
	Histograms *EncodedHistograms `json:"histograms,omitempty"`

	latency *hdr.Histogram // response time of the answered requests, µs
	service *hdr.Histogram // service time of the answered requests, µs
	sign    *hdr.Histogram // signing CPU time, 10 ns units
}

// EncodedHistograms are a run's exact HDR histograms, each compressed and
// base64-encoded (HdrHistogram's V2 format, readable by its other ports).
type EncodedHistograms struct {
	// Latency is the response time of the answered requests, in µs; the
	// requests without an answer are Summary.NoAnswer.
	Latency string `json:"latency_us"`
	// Service is the service time of the answered requests, in µs.
	Service string `json:"service_us"`
	// Sign is the sampled CPU time of signing, in units of 10 ns.
	Sign string `json:"sign_10ns"`
}

// Percentiles of a latency distribution, in seconds, from an exact HDR
// histogram (3 significant digits), not an estimate. A percentile beyond
// the answered share of the requests is +Inf, written "+Inf" in JSON.
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

// SignCost is the CPU time spent inside the signer, per request: read
// from the thread's CPU clock around one signature in signSampleEvery
// (see cpu_linux.go), so that neither a wait for the scheduler nor a lock
// counts.
type SignCost struct {
	Mean float64 `json:"mean"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	// Samples is how many signatures were timed.
	Samples uint64 `json:"samples"`
	// Share is the signing CPU time over the generator process's CPU time.
	Share float64 `json:"share"`
	// Clock is "thread-cpu", or "wall" where the platform has no thread
	// CPU clock.
	Clock string `json:"clock,omitempty"`
}

// GeneratorCost is the load generator's own cost: the process's CPU time
// (user and system) over the run, per request sent. With the embedded
// reference gateway, the process is the gateway too.
type GeneratorCost struct {
	CPUPerRequest float64 `json:"cpu_per_request"`
	// CPUBusy is the share of the machine's cores the process kept busy
	// over the attack (1 = every core of GOMAXPROCS).
	CPUBusy float64 `json:"cpu_busy"`
	// PeakInFlight is the most requests in flight at once; MaxWorkers the
	// bound on them.
	PeakInFlight uint64 `json:"peak_in_flight"`
	MaxWorkers   uint64 `json:"max_workers"`
	// Limit names what held the generator back when it fell behind:
	// "workers" (all --max-workers busy), "cpu" (the cores were busy), or
	// "" (neither: a stall of the machine or of the target's answers).
	Limit string `json:"limit,omitempty"`
}

// ItemSummary breaks a run down per action or scenario.
type ItemSummary struct {
	Name      string            `json:"name"`
	Requests  uint64            `json:"requests"`
	Successes uint64            `json:"successes"`
	NoAnswer  uint64            `json:"no_answer"`
	Latency   Percentiles       `json:"latency"`
	Codes     map[string]uint64 `json:"codes,omitempty"`
	// Histogram is the exact histogram of the answered requests' response
	// times, encoded as EncodedHistograms.Latency is.
	Histogram string `json:"latency_us,omitempty"`

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
	NoAnswer  uint64            `json:"no_answer,omitempty"`
	Codes     map[string]uint64 `json:"codes,omitempty"`
	// P50, P99 and Max are of the answered requests' response times.
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Histogram ranges: latency from 1 µs to 1 h, signing from 10 ns to 10 s.
func newLatencyHist() *hdr.Histogram { return hdr.New(1, int64(time.Hour/time.Microsecond), 3) }
func newSignHist() *hdr.Histogram    { return hdr.New(1, int64(10*time.Second/10), 3) }

// newItemHist is a per-item histogram: the same 3 significant digits as
// the run's, so that an item's p99 and the run's agree.
func newItemHist() *hdr.Histogram { return newLatencyHist() }

// percentiles reads a histogram recorded in units of unit.
func percentiles(h *hdr.Histogram, unit time.Duration) Percentiles {
	return percentilesWithMissing(h, 0, unit)
}

// percentilesWithMissing reads a histogram of the answered requests, in
// units of unit, as if missing more requests had taken forever: a
// percentile whose rank falls among them is +Inf.
func percentilesWithMissing(h *hdr.Histogram, missing uint64, unit time.Duration) Percentiles {
	var n int64
	if h != nil {
		n = h.TotalCount()
	}
	if n == 0 && missing == 0 {
		return Percentiles{}
	}
	inf := math.Inf(1)
	if n == 0 {
		return Percentiles{Min: inf, Mean: inf, P50: inf, P90: inf, P95: inf, P99: inf, P999: inf, Max: inf}
	}
	s := unit.Seconds()
	total := float64(n) + float64(missing)
	v := func(q float64) float64 {
		rank := q / 100 * total
		if rank > float64(n)+1e-9 {
			return inf
		}
		return float64(h.ValueAtQuantile(min(100*rank/float64(n), 100))) * s
	}
	p := Percentiles{Min: float64(h.Min()) * s, Mean: h.Mean() * s, P50: v(50), P90: v(90), P95: v(95), P99: v(99), P999: v(99.9),
		Max: float64(h.Max()) * s}
	if missing > 0 {
		p.Mean, p.Max = inf, inf
	}
	return p
}

// metric returns the value an SLO names.
func (s *Summary) metric(name string) float64 {
	// A run that sent nothing has no latency: its zero percentiles would
	// meet any latency SLO silently (k6 #4283). Requests without an answer
	// make the latency percentiles +Inf (see Summary.Latency); the service
	// time, of answers only, has none to show when nothing answered.
	if s.Requests == 0 && sloMetrics[name] == kindDuration ||
		strings.HasPrefix(name, "service_") && s.Requests == s.NoAnswer {
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
	case "service_mean":
		return s.ServiceTime.Mean
	case "service_p50":
		return s.ServiceTime.P50
	case "service_p90":
		return s.ServiceTime.P90
	case "service_p95":
		return s.ServiceTime.P95
	case "service_p99":
		return s.ServiceTime.P99
	case "service_p999":
		return s.ServiceTime.P999
	case "service_max":
		return s.ServiceTime.Max
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
	if _, err := h.PercentilesPrint(w, 5, 1000); err != nil { // microseconds → milliseconds
		return err
	}
	// Footer lines start with #, which the plotters skip.
	if s.NoAnswer > 0 {
		fmt.Fprintf(w, "#[Requests without an answer (not in the histogram) = %d]\n", s.NoAnswer)
	}
	if s.Interrupted {
		w.WriteString("#[Interrupted: the figures cover what was gathered]\n")
	}
	return nil
}

// LatencyHistogram returns the exact latency histogram, in microseconds.
func (s *Summary) LatencyHistogram() *hdr.Histogram { return s.latency }

// SignHistogram returns the signing-time histogram, in units of 10 ns.
func (s *Summary) SignHistogram() *hdr.Histogram { return s.sign }

// itemStats accumulate one action or scenario.
type itemStats struct {
	requests, successes, noAnswer uint64
	latency                       *hdr.Histogram
	codes                         map[string]uint64
}

// maxCodes bounds the distinct error codes a run keeps, in its summary,
// its items, its series and its metric labels alike: the first maxCodes,
// then "other". A target answering a new Code every time cannot grow a
// summary, a report or the process without bound.
const maxCodes = 64

// maxErrorKinds bounds the distinct transport error causes kept.
const maxErrorKinds = 32

// boundedKeys admits the first max distinct keys and maps any later one to
// "other".
type boundedKeys struct {
	seen map[string]bool
	max  int
}

func newBoundedKeys(n int) *boundedKeys { return &boundedKeys{seen: map[string]bool{}, max: n} }

// key returns k, or "other" once max other keys have been seen.
func (b *boundedKeys) key(k string) string {
	if b.seen[k] {
		return k
	}
	if len(b.seen) >= b.max {
		return "other"
	}
	b.seen[k] = true
	return k
}

// collector folds results into a summary. It is used from the one
// goroutine that reads the attack's results; memory stays flat: the HDR
// histograms have a fixed size, codes and error causes are bounded, and
// the series merges its buckets as the run grows.
type collector struct {
	start     time.Time
	schedule  Schedule
	lateAfter time.Duration
	latency   *hdr.Histogram
	service   *hdr.Histogram
	status    map[string]uint64
	codes     map[string]uint64
	codeKeys  *boundedKeys
	errors    map[string]uint64
	errKeys   *boundedKeys
	items     map[string]*itemStats
	order     []string
	requests  uint64
	successes uint64
	noAnswer  uint64
	late      uint64
	bytesIn   uint64
	bytesOut  uint64
	first     time.Time
	lastSent  time.Time
	lastEnd   time.Time
	series    series
	sign      *signRecorder
	// window counts the requests answered since the last progress report.
	window     uint64
	windowFrom time.Time
}

func newCollector(start time.Time, s Schedule, lateAfter time.Duration, sign *signRecorder) *collector {
	return &collector{
		start: start, schedule: s, lateAfter: lateAfter, latency: newLatencyHist(), service: newLatencyHist(),
		status: map[string]uint64{}, codes: map[string]uint64{}, codeKeys: newBoundedKeys(maxCodes),
		errors: map[string]uint64{}, errKeys: newBoundedKeys(maxErrorKinds),
		items: map[string]*itemStats{}, series: newSeries(maxBuckets, time.Second), sign: sign, windowFrom: start,
	}
}

// observation is one request as the collector sees it.
type observation struct {
	item              string
	sent              time.Time     // when the request started
	due               time.Time     // when the schedule wanted it (zero at max rate)
	latency           time.Duration // response time: from due (or sent, when on time) to the answer
	service           time.Duration // service time: from sent to the answer
	status            int           // 0: no answer
	code              string        // the error code of the answer body
	ok                bool          // as the workload expects
	err               string        // a transport error
	bytesIn, bytesOut uint64
}

func (c *collector) add(o observation) {
	if o.code != "" {
		o.code = c.codeKeys.key(o.code)
	}
	c.requests++
	c.window++
	if c.first.IsZero() || o.sent.Before(c.first) {
		c.first = o.sent
	}
	if o.sent.After(c.lastSent) {
		c.lastSent = o.sent
	}
	if end := o.sent.Add(o.service); end.After(c.lastEnd) {
		c.lastEnd = end
	}
	answered := o.status != 0
	us := max(o.latency.Microseconds(), 1)
	if answered {
		_ = c.latency.RecordValue(us)
		_ = c.service.RecordValue(max(o.service.Microseconds(), 1))
	} else {
		c.noAnswer++
	}
	c.status[strconv.Itoa(o.status)]++
	if o.code != "" {
		c.codes[o.code]++
	}
	if o.err != "" && !answered {
		c.errors[c.errKeys.key(ErrorCause(o.err))]++
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
		it = &itemStats{latency: newItemHist(), codes: map[string]uint64{}}
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
	if answered {
		_ = it.latency.RecordValue(us)
	} else {
		it.noAnswer++
	}
	// A request is placed in time by when it was due, where it had a due
	// time: a request sent a little late must not open a bucket of its own
	// after the run's end.
	at := o.sent
	if !o.due.IsZero() {
		at = o.due
	}
	c.series.add(at.Sub(c.start), o.latency, answered, o.ok, o.code)
}

// rebase moves the run's start to at, before the first observation.
func (c *collector) rebase(at time.Time) { c.start, c.windowFrom = at, at }

// summary builds the summary so far.
func (c *collector) summary(attack time.Duration, interrupted bool) *Summary {
	s := &Summary{
		Started: c.start, Requests: c.requests, Successes: c.successes, NoAnswer: c.noAnswer, Late: c.late,
		LateAfter: c.lateAfter.Seconds(), Status: c.status, Codes: c.codes, Errors: c.errors, BytesIn: c.bytesIn,
		BytesOut: c.bytesOut, Interrupted: interrupted, latency: c.latency, service: c.service,
	}
	s.setPercentiles()
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
		want := math.Ceil(c.schedule.Hits(attack) - 1e-9)
		s.RequestedRate = c.schedule.Hits(attack) / attack.Seconds()
		if want > float64(c.requests) {
			s.Dropped = uint64(want - float64(c.requests))
		}
	}
	if c.sign != nil {
		s.sign = c.sign.merged()
		s.Sign = signCost(s.sign)
		s.Sign.Clock = cpuClockName
	}
	for _, name := range c.order {
		it := c.items[name]
		s.ByItem = append(s.ByItem, ItemSummary{Name: name, Requests: it.requests, Successes: it.successes, NoAnswer: it.noAnswer,
			Latency: percentilesWithMissing(it.latency, it.noAnswer, time.Microsecond), Codes: it.codes, hist: it.latency})
	}
	s.Series = c.series.buckets(c.schedule)
	return s
}

// setPercentiles computes the three latency figures from the histograms.
func (s *Summary) setPercentiles() {
	s.Latency = percentilesWithMissing(s.latency, s.NoAnswer, time.Microsecond)
	s.LatencyAnswered = percentiles(s.latency, time.Microsecond)
	s.ServiceTime = percentiles(s.service, time.Microsecond)
}

func signCost(h *hdr.Histogram) SignCost {
	if h == nil || h.TotalCount() == 0 {
		return SignCost{}
	}
	const unit = 10e-9 // the sign histogram counts units of 10 ns
	return SignCost{Mean: h.Mean() * unit, P99: float64(h.ValueAtQuantile(99)) * unit, Max: float64(h.Max()) * unit,
		Samples: uint64(h.TotalCount())}
}

// signRecorder holds the signing times sampled by the attack's workers: a
// few shards of HDR histograms, each behind its own lock, so workers rarely
// contend (and the lock is taken after the clock is read).
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
	requests, successes, noAnswer uint64
	codes                         map[string]uint64
	lat                           *hdr.Histogram // 2 significant digits: a plot needs no more
}

func newSeries(n int, width time.Duration) series {
	return series{width: width, b: make([]seriesBucket, 0, n)}
}

func (s *series) add(at, latency time.Duration, answered, ok bool, code string) {
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
	if code != "" { // bounded by the run's codes
		if b.codes == nil {
			b.codes = map[string]uint64{}
		}
		b.codes[code]++
	}
	if !answered {
		b.noAnswer++
		return
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
		dst.noAnswer += src.noAnswer
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
		out[i] = Bucket{Start: start.Seconds(), Width: s.width.Seconds(), Requests: b.requests, Successes: b.successes, NoAnswer: b.noAnswer, Codes: b.codes}
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

// jsonValue is a float64 that JSON can carry when infinite: +Inf (a
// latency percentile among requests that got no answer) is written "+Inf",
// as Prometheus writes it; NaN (no data) is null.
type jsonValue float64

// MarshalJSON implements json.Marshaler.
func (v jsonValue) MarshalJSON() ([]byte, error) {
	f := float64(v)
	switch {
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	case math.IsNaN(f):
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *jsonValue) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"+Inf"`:
		*v = jsonValue(math.Inf(1))
		return nil
	case `"-Inf"`:
		*v = jsonValue(math.Inf(-1))
		return nil
	case "null":
		*v = jsonValue(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*v = jsonValue(f)
	return nil
}

// percentilesJSON is Percentiles as JSON writes it.
type percentilesJSON struct {
	Min  jsonValue `json:"min"`
	Mean jsonValue `json:"mean"`
	P50  jsonValue `json:"p50"`
	P90  jsonValue `json:"p90"`
	P95  jsonValue `json:"p95"`
	P99  jsonValue `json:"p99"`
	P999 jsonValue `json:"p999"`
	Max  jsonValue `json:"max"`
}

// MarshalJSON writes a percentile among requests without an answer as
// "+Inf".
func (p Percentiles) MarshalJSON() ([]byte, error) {
	return json.Marshal(percentilesJSON{jsonValue(p.Min), jsonValue(p.Mean), jsonValue(p.P50), jsonValue(p.P90),
		jsonValue(p.P95), jsonValue(p.P99), jsonValue(p.P999), jsonValue(p.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Percentiles) UnmarshalJSON(b []byte) error {
	var j percentilesJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Percentiles{float64(j.Min), float64(j.Mean), float64(j.P50), float64(j.P90), float64(j.P95), float64(j.P99),
		float64(j.P999), float64(j.Max)}
	return nil
}
