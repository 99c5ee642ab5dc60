package load

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
)

// Metrics are the live Prometheus metrics of a load run. Every label is
// bounded: item (action or scenario) names come from the workload, styles
// are three, statuses are HTTP codes, and error codes are the run's
// bounded codes (the first maxCodes, then "other"). No label ever holds a
// URL, a nonce or a key.
//
// Updating them costs the attack's workers nothing but the sampled signing
// time: requests in flight are read when scraped, from the run's count of
// requests signed less the results read, and the results goroutine keeps
// each label set's children, so that a result costs a map lookup and the
// atomic updates, not a label hash under a lock.
type Metrics struct {
	requests *prometheus.CounterVec
	response *prometheus.HistogramVec
	service  *prometheus.HistogramVec
	sign     prometheus.Histogram
	inflight prometheus.GaugeFunc
	late     prometheus.Counter
	codes    *boundedKeys

	// Requests in flight are sent + sentBy() - answered.
	sent0    atomic.Uint64
	sentBy   atomic.Pointer[func() uint64]
	answered atomic.Uint64
	// counters and times cache the children of the vectors, for the
	// results goroutine.
	counters map[requestLabels]prometheus.Counter
	times    map[string][2]prometheus.Observer
}

// requestLabels are the labels of one requests_total child.
type requestLabels struct {
	item, style, code string
	status            int
	ok                bool
}

// NewMetrics registers the load metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "requests_total",
			Help: "Requests answered, by workload item, signing style, HTTP status, error code (\"\" for none) and whether the answer was as expected.",
		}, []string{"item", "style", "status", "code", "expected"}),
		response: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "response_time_seconds",
			Help:    "Response time: from when each request was due to its answer (coordinated-omission-free), by workload item; requests without an answer are requests_total{status=\"0\"}.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18),
		}, []string{"item"}),
		service: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "service_time_seconds",
			Help:    "Service time: from when each request was sent to its answer, by workload item.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18),
		}, []string{"item"}),
		sign: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "sign_cpu_seconds",
			Help:    "CPU time inside the signer for one request (every signature up to 1000/s, then about 1000 a second, are timed).",
			Buckets: prometheus.ExponentialBuckets(125e-9, 2, 16),
		}),
		late: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "late_requests_total",
			Help: "Requests sent later than their schedule allowed (the generator could not keep up).",
		}),
		codes:    newBoundedKeys(maxCodes),
		counters: map[requestLabels]prometheus.Counter{},
		times:    map[string][2]prometheus.Observer{},
	}
	m.inflight = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "acsharness", Subsystem: "load", Name: "requests_in_flight",
		Help: "Requests sent and not yet answered.",
	}, m.inFlight)
	for _, c := range []prometheus.Collector{m.requests, m.response, m.service, m.sign, m.inflight, m.late} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records one result; it runs on the results goroutine. A
// request without an answer (status 0) has no time to observe.
func (m *Metrics) observe(item, style string, status int, code string, ok bool, response, service time.Duration, late bool) {
	if m == nil {
		return
	}
	if code != "" {
		code = m.codes.key(code)
	}
	key := requestLabels{item: item, style: style, code: code, status: status, ok: ok}
	c := m.counters[key]
	if c == nil {
		c = m.requests.WithLabelValues(item, style, strconv.Itoa(status), code, strconv.FormatBool(ok))
		m.counters[key] = c
	}
	c.Inc()
	if status != 0 {
		t, found := m.times[item]
		if !found {
			t = [2]prometheus.Observer{m.response.WithLabelValues(item), m.service.WithLabelValues(item)}
			m.times[item] = t
		}
		t[0].Observe(response.Seconds())
		t[1].Observe(service.Seconds())
	}
	m.answered.Add(1)
	if late {
		m.late.Inc()
	}
}

// sent notes a request on its way, for a caller that counts no requests
// of its own (see countSent).
func (m *Metrics) sent() {
	if m == nil {
		return
	}
	m.sent0.Add(1)
}

// countSent counts the requests f reports sent (a run's targeter count) as
// sent, until the returned function is called, which keeps f's last count.
func (m *Metrics) countSent(f func() uint64) (done func()) {
	if m == nil {
		return func() {}
	}
	m.sentBy.Store(&f)
	return func() {
		if m.sentBy.CompareAndSwap(&f, nil) {
			m.sent0.Add(f())
		}
	}
}

// inFlight is the requests sent and not yet answered.
func (m *Metrics) inFlight() float64 {
	answered := m.answered.Load() // first: what is answered was sent
	sent := m.sent0.Load()
	if f := m.sentBy.Load(); f != nil {
		sent += (*f)()
	}
	if answered > sent { // read between a run's countSent done and its sent0.Add
		return 0
	}
	return float64(sent - answered)
}

// signed notes the CPU time of one sampled signature.
func (m *Metrics) signed(cpu time.Duration) {
	if m == nil {
		return
	}
	m.sign.Observe(cpu.Seconds())
}

// Push sends every metric of g to a Prometheus Pushgateway under the job
// name, with the given grouping labels (a shard's index, say): short CI
// runs end before any scrape.
func Push(url, job string, g prometheus.Gatherer, grouping map[string]string) error {
	p := push.New(url, job).Gatherer(g)
	for k, v := range grouping {
		p = p.Grouping(k, v)
	}
	return p.Push()
}
