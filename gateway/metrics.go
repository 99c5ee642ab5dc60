package gateway

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus collectors. Every label value is
// bounded: products and actions the gateway knows (else "unknown"), the
// three styles, and error codes from the gateway's own catalogue (else
// "other").
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	verify   *prometheus.HistogramVec
	refused  prometheus.Counter

	// The children of the vectors by label values, so that a request finds
	// its counter and histograms without WithLabelValues' validation,
	// hashing and lock (issue 13).
	requestsBy children[requestLabels, prometheus.Counter]
	durationBy children[string, prometheus.Observer]
	verifyBy   children[string, prometheus.Observer]
}

// requestLabels are the label values of requests_total.
type requestLabels struct{ product, action, style, code string }

// children caches a vector's children by label values (at most
// maxCachedChildren; hostile traffic can spread the bounded labels wide,
// and past that a child is looked up in the vector itself). The child
// found last is kept apart: a run of requests alike finds it by comparing
// its labels, strings that are mostly the very same constants, rather
// than hashing them (issue 13).
type children[K comparable, M any] struct {
	cache[K, *child[K, M]]
	last atomic.Pointer[child[K, M]]
	make func(K) M
}

// child is one cached child and its label values.
type child[K comparable, M any] struct {
	k K
	m M
}

const maxCachedChildren = 512

func (c *children[K, M]) get(k K) M {
	if e := c.last.Load(); e != nil && e.k == k {
		return e.m
	}
	e, ok := c.load(k)
	if !ok {
		e = &child[K, M]{k, c.make(k)}
		c.store(k, e, maxCachedChildren)
	}
	c.last.Store(e)
	return e.m
}

func newMetrics(reg prometheus.Registerer, g *Gateway) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "acsharness", Subsystem: "gateway", Name: "requests_total",
			Help: "Requests answered, by product, action, signing style and result (OK or the error code).",
		}, []string{"product", "action", "style", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "acsharness", Subsystem: "gateway", Name: "request_duration_seconds",
			Help:    "Time to answer a request, by signing style.",
			Buckets: prometheus.ExponentialBuckets(5e-6, 2, 18),
		}, []string{"style"}),
		verify: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "acsharness", Subsystem: "gateway", Name: "signature_verify_seconds",
			Help:    "Time to verify a signature, by signing style.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 2, 16),
		}, []string{"style"}),
	}
	m.requestsBy.make = func(l requestLabels) prometheus.Counter {
		return m.requests.WithLabelValues(l.product, l.action, l.style, l.code)
	}
	m.durationBy.make = func(style string) prometheus.Observer { return m.duration.WithLabelValues(style) }
	m.verifyBy.make = func(style string) prometheus.Observer { return m.verify.WithLabelValues(style) }
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "acsharness", Subsystem: "gateway", Name: "connections_refused_total",
		Help: "Connections closed at once because the server held its --max-conns.",
	})
	nonces := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "acsharness", Subsystem: "gateway", Name: "nonce_store_entries",
		Help: "Nonces held by the replay store.",
	}, func() float64 { return float64(g.nonces.Len()) })
	collectors := []prometheus.Collector{m.requests, m.duration, m.verify, m.refused, nonces}
	if al := g.cfg.AccessLog; al != nil {
		collectors = append(collectors, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "acsharness", Subsystem: "gateway", Name: "access_log_dropped_total",
			Help: "Access-log records dropped: the buffer was full (the log's writer fell behind), a write failed, or the log was closed.",
		}, func() float64 { return float64(al.Dropped()) }))
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// knownCodes are the codes the gateway answers; any other string in a
// label would be unbounded input.
var knownCodes = map[string]bool{
	"OK": true, CodeInvalidProduct: true, CodeUnsupportedHTTPMethod: true, CodeInvalidFormat: true,
	CodeInvalidSignatureMethod: true, CodeInvalidVersion: true, CodeInvalidAction: true, CodeTimestampFormat: true,
	CodeTimestampExpired: true, CodeNonceUsed: true, CodeKeyNotFound: true, CodeKeyInactive: true,
	CodeSignatureDoesNotMatch: true, CodeIncompleteSignature: true, CodeThrottlingUser: true, CodeMissingParameter: true,
	CodeInvalidParameter: true, CodeInternalError: true, CodeServiceUnavailable: true, CodeBodyTooLarge: true,
	CodeHeaderTooLarge: true, CodeTooManyParams: true, CodeResourceExists: true, CodeResourceNotFound: true,
	CodeQuotaExceeded: true, CodeKeyInvalid: true, CodeParameterMalformed: true, CodeBodyTimeout: true,
	CodeMissingSecurityToken: true, CodeTokenMalformed: true, CodeTokenMismatch: true, CodeTokenExpired: true,
	"MissingAction": true, "MissingVersion": true, "MissingAccessKeyId": true, "MissingSignature": true,
	"MissingSignatureMethod": true, "MissingSignatureVersion": true, "MissingSignatureNonce": true,
	"MissingTimestamp": true, "MissingDate": true, "MissingContentSha256": true,
}

// boundedCode maps a result to a label value from a fixed set.
func boundedCode(code string) string {
	switch {
	case code == "OK": // the most frequent, without a lookup
		return code
	case knownCodes[code]:
		return code
	case len(code) > len(CodeMissingParameter) && code[:len(CodeMissingParameter)] == CodeMissingParameter:
		return CodeMissingParameter
	case code == "":
		return "unknown"
	}
	return "other"
}
