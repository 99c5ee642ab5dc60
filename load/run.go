// Package load is the load generator: a constant-rate, coordinated-
// omission-free attack on vegeta's library, where every request is signed
// afresh (a replayed nonce is rejected by design), latency is measured from
// when each request was due, percentiles come from an exact HDR histogram,
// and SLOs gate the result. Runs can be sharded over machines and merged.
package load

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Options configure a load run.
type Options struct {
	// Target is the gateway's base URL.
	Target string
	// Items are the workload; see NewActionItem and NewScenarioItem.
	Items []*Item
	// Style labels the metrics; "mixed" for a scenario mix.
	Style    string
	Workload string
	Schedule Schedule
	// Duration bounds the attack; 0 means until Requests are sent (or the
	// schedule's end, for steps).
	Duration time.Duration
	// Requests bounds the number of requests; 0 means no bound.
	Requests uint64
	// Workers is the initial number of workers; MaxWorkers bounds them (0
	// means unbounded, as needed to hold a rate whatever the latency).
	Workers, MaxWorkers uint64
	// Connections is the idle connections kept per host.
	Connections int
	Timeout     time.Duration
	Insecure    bool
	// RootCAs are the authorities a TLS target's certificate is checked
	// against; nil means the system's (which SSL_CERT_FILE sets).
	RootCAs *x509.CertPool
	// StartAt delays the start (shards of a distributed run start together).
	StartAt time.Time
	// LateAfter is how far behind schedule a request may be sent before it
	// counts as late; 0 means max(10 ms, 2 intervals at the starting rate).
	LateAfter time.Duration
	// Results, when set, receives every result in vegeta's own gob
	// encoding, redacted: `vegeta report` and `vegeta plot` read it.
	Results io.Writer
	// Progress is called every ProgressEvery with the run so far; P99 is
	// -1 once more than 1% of the requests got no answer.
	Progress      func(Progress)
	ProgressEvery time.Duration
	Metrics       *Metrics

	// beforeAttack, in tests, stalls the run between its own clock
	// reading and the attacker's start, as a busy machine may.
	beforeAttack func()
	// endGrace, in tests, replaces EndGrace: a test of catching up must not
	// depend on how busy the machine is.
	endGrace time.Duration
}

// Progress is the run so far, for a live status line.
type Progress struct {
	Elapsed time.Duration
	// Sent counts the requests answered or failed so far; Total is how many
	// the run will send (0 when unknown, as for a ramp bounded by time).
	Sent, Total uint64
	// Rate is the current rate: requests per second since the last report.
	Rate    float64
	Success float64
	P99     time.Duration
	Late    uint64
	// ETA is the time left (negative when unknown).
	ETA      time.Duration
	Workload string
}

// StartAtGrace is how far in the past --start-at may be when the run gets
// to it (the probe and the set-up take a moment): within it the run starts
// at once and records how late; beyond it, shards that think they started
// together would not have.
const StartAtGrace = 2 * time.Second

// EndGrace is how long after the end of a paced run the requests due
// before the end may still be sent (late): beyond it they are dropped.
const EndGrace = time.Second

// StartAtPastError is a start time already gone by more than StartAtGrace.
type StartAtPastError struct {
	At   time.Time
	Late time.Duration
}

func (e *StartAtPastError) Error() string {
	return fmt.Sprintf("--start-at %s is %s in the past (more than the %s grace): shards would not start together; pick a time ahead",
		e.At.Format(time.RFC3339), e.Late.Round(time.Millisecond), StartAtGrace)
}

// Run attacks the target until the duration or request count is reached or
// ctx is done, and returns the summary of what was gathered: a stopped run
// still reports everything that came back (marked Interrupted). An error
// with a summary is a failure to write Results; the summary is complete.
func Run(ctx context.Context, o Options) (*Summary, error) {
	u, err := url.Parse(o.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q must be a URL such as http://127.0.0.1:8080", o.Target)
	}
	if len(o.Items) == 0 {
		return nil, errors.New("no workload: give an action or scenarios")
	}
	if o.Schedule == nil {
		return nil, errors.New("no rate")
	}
	maxRate := o.Schedule.Rate(0) == 0 && o.Schedule.Hits(time.Hour) == 0
	if maxRate && o.MaxWorkers == 0 {
		return nil, errors.New("--rate 0 sends as fast as the workers go: bound them with --workers N")
	}
	if o.Duration == 0 && o.Requests == 0 {
		if st, ok := o.Schedule.(Steps); ok {
			o.Duration = st.Total()
		} else {
			return nil, errors.New("give --duration or --requests, or both")
		}
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Workers == 0 {
		o.Workers = vegeta.DefaultWorkers
	}
	if o.MaxWorkers == 0 {
		o.MaxWorkers = vegeta.DefaultMaxWorkers
	}
	if o.Workers > o.MaxWorkers {
		o.Workers = o.MaxWorkers
	}
	if o.Connections == 0 {
		o.Connections = vegeta.DefaultConnections
	}
	if o.LateAfter == 0 {
		// Timers and the scheduler put a send a millisecond or two off on a
		// busy machine; only a delay beyond this is the generator falling
		// behind.
		o.LateAfter = 10 * time.Millisecond
		if r := o.Schedule.Rate(0); r > 0 {
			o.LateAfter = max(o.LateAfter, time.Duration(2*float64(time.Second)/r))
		}
	}
	var startLate time.Duration
	if !o.StartAt.IsZero() {
		if late := time.Since(o.StartAt); late > StartAtGrace {
			return nil, &StartAtPastError{At: o.StartAt, Late: late}
		} else if late > 0 {
			startLate = late
		}
		select {
		case <-time.After(time.Until(o.StartAt)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}

	atk, tr := newAttacker(o)
	defer tr.CloseIdleConnections()
	m := newMix(o.Items)
	signs := newSignRecorder()
	pacer := &bounded{Schedule: o.Schedule, n: o.Requests}
	// vegeta stops pacing once the duration has elapsed, even with hits due
	// before the end still unsent: on a busy machine the last few were
	// dropped. The schedule ends the attack instead, and the attacker's own
	// stop comes EndGrace later, for a generator that fell that far behind.
	atkDuration := o.Duration
	if !maxRate {
		pacer.d = o.Duration
		if o.Duration > 0 {
			atkDuration = o.Duration + cmp.Or(o.endGrace, EndGrace)
		}
	}
	total := o.Requests
	if !maxRate && o.Duration > 0 {
		if n := uint64(math.Ceil(o.Schedule.Hits(o.Duration) - 1e-9)); total == 0 || n < total {
			total = n
		}
	}
	// results.bin is written from the one goroutine that reads results:
	// buffered, one write per 64 KiB rather than one per result.
	var enc vegeta.Encoder
	var buf *bufio.Writer
	if o.Results != nil {
		buf = bufio.NewWriterSize(o.Results, 64<<10)
		enc = vegeta.NewEncoder(buf)
	}

	start := time.Now()
	cpu0 := processCPU()
	col := newCollector(start, o.Schedule, o.LateAfter, signs)
	if o.beforeAttack != nil {
		o.beforeAttack()
	}
	sentDone := o.Metrics.countSent(m.sent)
	results := atk.Attack(m.targeter(signs, o.Metrics, sampleEvery(peakRate(o.Schedule, o.Duration))), pacer, atkDuration, o.Workload)
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-stopped:
		}
	}()
	var tick <-chan time.Time
	if o.Progress != nil {
		every := o.ProgressEvery
		if every <= 0 {
			every = time.Second
		}
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	path := newResultPath(o, m, col, start, maxRate, enc)
	rebased := false
	for results != nil {
		select {
		case res, ok := <-results:
			if !ok {
				results = nil
				continue
			}
			// The due times count from the instant the attacker paces
			// from, not from ours before it started: a stall between the
			// two (a busy machine) made every request look late by it.
			if !rebased {
				if at := pacer.origin.Load(); at != nil {
					start, rebased = *at, true
					col.rebase(start)
					path.start = start
				}
			}
			path.handle(res)
		case <-tick:
			o.Progress(col.progress(o.Workload, total, o.Duration))
		}
	}
	close(stopped)
	cpu := processCPU() - cpu0
	wall := time.Since(start)
	sentDone()
	encErr := path.encErr
	if buf != nil && encErr == nil {
		encErr = buf.Flush()
	}
	attack := path.lastSent.Sub(start)
	if o.Duration > 0 && ctx.Err() == nil && o.Requests == 0 {
		attack = o.Duration
	}
	sum := col.summary(attack, ctx.Err() != nil)
	sum.Target, sum.Workload, sum.Schedule, sum.Style = u.Redacted(), o.Workload, o.Schedule.String(), o.Style
	sum.StartLate = startLate.Seconds()
	sum.Generator = generatorCost(cpu, wall, sum, path.peakInFlight, o.MaxWorkers)
	if cpu > 0 && sum.Sign.Samples > 0 {
		sum.Sign.Share = sum.Sign.Mean * float64(sum.Requests) / cpu.Seconds()
	}
	if encErr != nil {
		return sum, fmt.Errorf("write results: %w", encErr)
	}
	return sum, nil
}

// newAttacker is the attacker of a run with options o, and its own
// transport (vegeta's defaults, which the options then edit), so that its
// connections close when the run ends: left open, a connection dialed and
// never used keeps a server's graceful shutdown waiting (net/http counts a
// new connection busy for 5 s), and each run of a process kept its own
// until the server's idle timeout. Zero options take vegeta's defaults.
func newAttacker(o Options) (*vegeta.Attacker, *http.Transport) {
	if o.Connections == 0 {
		o.Connections = vegeta.DefaultConnections
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	return vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}),
		vegeta.Workers(o.Workers), vegeta.MaxWorkers(o.MaxWorkers), vegeta.Connections(o.Connections),
		vegeta.MaxConnections(0), vegeta.Timeout(o.Timeout), vegeta.KeepAlive(true), vegeta.MaxBody(64<<10),
		vegeta.TLSConfig(&tls.Config{InsecureSkipVerify: o.Insecure, RootCAs: o.RootCAs}), //nolint:gosec // the user asked for it
		vegeta.Redirects(vegeta.NoFollow),
	), tr
}

// resultPath is what a run does with each result, on the one goroutine
// that reads them: tell its item, judge the answer, fold it into the
// summary and the metrics, and write it to results.bin, redacted. It is
// the generator's per-request cost besides vegeta's own and the signing,
// so it allocates nothing once warm but what the encoder does (see
// BenchmarkResultPath and TestResultPathAllocations).
type resultPath struct {
	items   []*Item
	redact  []func(string) string
	styles  []string
	tagged  bool // the URLs end in their item's tag (see mixTags)
	mix     *mix
	col     *collector
	metrics *Metrics
	enc     vegeta.Encoder
	encErr  error
	sched   Schedule
	start   time.Time
	maxRate bool
	late    time.Duration

	received, peakInFlight uint64
	lastSent               time.Time
}

func newResultPath(o Options, m *mix, col *collector, start time.Time, maxRate bool, enc vegeta.Encoder) *resultPath {
	p := &resultPath{items: o.Items, tagged: len(o.Items) > 1, mix: m, col: col, metrics: o.Metrics, enc: enc,
		sched: o.Schedule, start: start, maxRate: maxRate, late: o.LateAfter}
	for _, it := range o.Items {
		r := redactURL
		if it.redactor != nil {
			r = it.redactor()
		}
		style := it.Style
		if style == "" {
			style = o.Style
		}
		p.redact, p.styles = append(p.redact, r), append(p.styles, style)
	}
	return p
}

func (p *resultPath) handle(res *vegeta.Result) {
	// The request answered was in flight too.
	if n := p.mix.sent() - p.received; n > p.peakInFlight {
		p.peakInFlight = n
	}
	p.received++
	idx := 0
	if p.tagged {
		idx, res.URL = splitFragment(res.URL)
		idx = min(idx, len(p.items)-1)
	}
	it := p.items[idx]
	ok, code := it.judge(int(res.Code), res.Headers, res.Body)
	if code != "" {
		code = p.col.codeKeys.key(code)
	}
	res.Error = redactError(res.Error)
	due := res.Timestamp
	if !p.maxRate {
		due = p.start.Add(p.sched.Due(res.Seq))
	}
	lat := res.Latency
	if due.Before(res.Timestamp) {
		lat = res.End().Sub(due) // measured from when it was due
	}
	ob := observation{item: it.Name, sent: res.Timestamp, due: due, latency: lat, service: res.Latency,
		status: int(res.Code), code: code, ok: ok, err: res.Error, bytesIn: res.BytesIn, bytesOut: res.BytesOut}
	if p.maxRate {
		ob.due = time.Time{}
	}
	p.col.add(ob)
	if res.Timestamp.After(p.lastSent) {
		p.lastSent = res.Timestamp
	}
	late := !ob.due.IsZero() && res.Timestamp.Sub(ob.due) > p.late
	p.metrics.observe(it.Name, p.styles[idx], int(res.Code), code, ok, lat, res.Latency, late)
	if p.enc != nil && p.encErr == nil {
		// As written to disk: no signature, nonce or key ID in the URL or
		// the error, no response body (an echoed string to sign carries
		// the key ID and the nonce) and no response headers, which no
		// report reads.
		res.URL, res.Body, res.Headers = p.redact[idx](res.URL), nil, nil
		p.encErr = p.enc.Encode(res)
	}
}

// peakRate is the highest rate a schedule asks for over d (0: as fast as
// possible).
func peakRate(s Schedule, d time.Duration) float64 {
	peak := max(s.Rate(0), s.Rate(d))
	if st, ok := s.(Steps); ok {
		for _, x := range st {
			peak = max(peak, x.PerSecond)
		}
	}
	return peak
}

// cpuBound is the share of the cores in use above which a generator that
// fell behind is taken to have been held back by the CPU.
const cpuBound = 0.85

// generatorCost is the generator's CPU per request and, when it fell
// behind, what held it back.
func generatorCost(cpu, wall time.Duration, s *Summary, peak, maxWorkers uint64) GeneratorCost {
	g := GeneratorCost{PeakInFlight: peak, MaxWorkers: maxWorkers}
	if s.Requests > 0 && cpu > 0 {
		g.CPUPerRequest = cpu.Seconds() / float64(s.Requests)
	}
	if wall > 0 {
		g.CPUBusy = cpu.Seconds() / wall.Seconds() / float64(runtime.GOMAXPROCS(0))
	}
	if s.Late > 0 || s.Dropped > 0 {
		switch {
		case maxWorkers > 0 && peak >= maxWorkers:
			g.Limit = "workers"
		case g.CPUBusy >= cpuBound:
			g.Limit = "cpu"
		}
	}
	return g
}

// bounded stops a schedule after n hits (0: no bound) and before the
// first hit due at or after d (0: no bound): 10 s at 50/s sends hits due
// at 0 s to 9.98 s, 500 of them. vegeta stops only once the elapsed time
// exceeds the duration, so a hit due at exactly 10 s went out too: one
// request too many, alone in a last bucket of every plot.
type bounded struct {
	Schedule
	n uint64
	d time.Duration
	// origin is the attacker's start, from which it measures the elapsed
	// time it paces by: the due times are counted from the same instant.
	origin atomic.Pointer[time.Time]
}

func (b *bounded) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits == 0 && b.origin.Load() == nil {
		o := time.Now().Add(-elapsed)
		b.origin.CompareAndSwap(nil, &o)
	}
	if b.n > 0 && hits >= b.n {
		return 0, true
	}
	if b.d > 0 && b.Due(hits) >= b.d {
		return 0, true
	}
	return b.Schedule.Pace(elapsed, hits)
}

// splitFragment returns the item index carried in a URL's fragment and the
// URL without it.
func splitFragment(u string) (int, string) {
	i := strings.LastIndexByte(u, '#')
	if i < 0 {
		return 0, u
	}
	n, err := strconv.Atoi(u[i+1:])
	if err != nil {
		return 0, u
	}
	return n, u[:i]
}

// progress is the run so far, and resets the window of the current rate.
func (c *collector) progress(workload string, total uint64, duration time.Duration) Progress {
	now := time.Now()
	el := now.Sub(c.start)
	p := Progress{Elapsed: el, Sent: c.requests, Total: total, Late: c.late, Workload: workload, ETA: -1}
	if w := now.Sub(c.windowFrom); w > 0 {
		p.Rate = float64(c.window) / w.Seconds()
	}
	c.window, c.windowFrom = 0, now
	if c.requests > 0 {
		p.Success = float64(c.successes) / float64(c.requests)
		p99 := percentilesWithMissing(c.latency, c.noAnswer, time.Microsecond).P99
		p.P99 = time.Duration(p99 * float64(time.Second))
		if math.IsInf(p99, 1) {
			p.P99 = -1 // more than 1% got no answer
		}
	}
	switch {
	case duration > 0 && (total == 0 || c.schedule.Rate(el) > 0):
		p.ETA = max(duration-el, 0)
	case total > 0 && p.Rate > 0:
		p.ETA = time.Duration(float64(total-min(c.requests, total)) / p.Rate * float64(time.Second))
	}
	return p
}
