package load

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
)

// Metrics are the live Prometheus metrics of a load run. Every label is
// bounded: item (action or scenario) names come from the workload, styles
// are three, statuses are HTTP codes, and error codes are capped at
// maxCodeLabels distinct values per run (then "other"). No label ever holds
// a URL, a nonce or a key.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	sign     prometheus.Histogram
	inflight prometheus.Gauge
	late     prometheus.Counter
	codes    map[string]bool
}

const maxCodeLabels = 64

// NewMetrics registers the load metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "requests_total",
			Help: "Requests answered, by workload item, signing style, HTTP status, error code (\"\" for none) and whether the answer was as expected.",
		}, []string{"item", "style", "status", "code", "expected"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "request_duration_seconds",
			Help:    "Latency from when each request was due to its answer, by workload item.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18),
		}, []string{"item"}),
		sign: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "sign_duration_seconds",
			Help:    "Time to sign one request.",
			Buckets: prometheus.ExponentialBuckets(250e-9, 2, 16),
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "requests_in_flight",
			Help: "Requests sent and not yet answered.",
		}),
		late: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "acsharness", Subsystem: "load", Name: "late_requests_total",
			Help: "Requests sent later than their schedule allowed (the generator could not keep up).",
		}),
		codes: map[string]bool{},
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.sign, m.inflight, m.late} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records one answer; it runs on the results goroutine.
func (m *Metrics) observe(item, style string, status int, code string, ok bool, latency time.Duration, late bool) {
	if m == nil {
		return
	}
	if code != "" && !m.codes[code] {
		if len(m.codes) >= maxCodeLabels {
			code = "other"
		} else {
			m.codes[code] = true
		}
	}
	m.requests.WithLabelValues(item, style, strconv.Itoa(status), code, strconv.FormatBool(ok)).Inc()
	m.latency.WithLabelValues(item).Observe(latency.Seconds())
	m.inflight.Dec()
	if late {
		m.late.Inc()
	}
}

// sent notes a request on its way; it runs on the attack's workers.
func (m *Metrics) sent(signing time.Duration) {
	if m == nil {
		return
	}
	m.sign.Observe(signing.Seconds())
	m.inflight.Inc()
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
