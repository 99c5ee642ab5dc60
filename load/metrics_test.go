package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

func newTestMetrics(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	return m, reg
}

func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	m, reg := newTestMetrics(t)
	for range 4 {
		m.sent()
	}
	m.signed(2 * time.Microsecond)
	m.observe("ListGroupId", "rpc", 200, "", true, 3*time.Millisecond, 2*time.Millisecond, false)
	m.observe("ListGroupId", "rpc", 200, "", true, 4*time.Millisecond, time.Millisecond, true)
	m.observe("signature/wrong-secret", "rpc", 400, "SignatureDoesNotMatch", true, 5*time.Millisecond, 5*time.Millisecond, true)
	m.observe("ListGroupId", "rpc", 0, "", false, 30*time.Second, 30*time.Second, false) // no answer: no time observed
	m.sent()                                                                             // one still in flight

	const requests = `
# HELP acsharness_load_requests_total Requests answered, by workload item, signing style, HTTP status, error code ("" for none) and whether the answer was as expected.
# TYPE acsharness_load_requests_total counter
acsharness_load_requests_total{code="",expected="false",item="ListGroupId",status="0",style="rpc"} 1
acsharness_load_requests_total{code="",expected="true",item="ListGroupId",status="200",style="rpc"} 2
acsharness_load_requests_total{code="SignatureDoesNotMatch",expected="true",item="signature/wrong-secret",status="400",style="rpc"} 1
`
	require.NoError(t, testutil.CollectAndCompare(m.requests, strings.NewReader(requests), "acsharness_load_requests_total"))
	const late = `
# HELP acsharness_load_late_requests_total Requests sent later than their schedule allowed (the generator could not keep up).
# TYPE acsharness_load_late_requests_total counter
acsharness_load_late_requests_total 2
`
	require.NoError(t, testutil.CollectAndCompare(m.late, strings.NewReader(late), "acsharness_load_late_requests_total"))
	const inflight = `
# HELP acsharness_load_requests_in_flight Requests sent and not yet answered.
# TYPE acsharness_load_requests_in_flight gauge
acsharness_load_requests_in_flight 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(inflight), "acsharness_load_requests_in_flight"))
	assert.Equal(t, 2, testutil.CollectAndCount(m.response), "one response-time series per item")
	assert.Equal(t, 2, testutil.CollectAndCount(m.service), "one service-time series per item")
	assert.Equal(t, uint64(3), histCount(t, m.response, "ListGroupId")+histCount(t, m.response, "signature/wrong-secret"),
		"the request without an answer has no response time to observe")
	assert.Equal(t, 1, testutil.CollectAndCount(m.sign))

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems, "the metrics follow Prometheus naming conventions")

	_, err = NewMetrics(reg)
	assert.Error(t, err, "registering twice is an error, not a silent second set")
}

func TestMetricsCodeLabelIsCapped(t *testing.T) {
	t.Parallel()
	m, _ := newTestMetrics(t)
	for i := range maxCodes + 20 {
		m.observe("a", "rpc", 400, fmt.Sprintf("Code%03d", i), false, time.Millisecond, time.Millisecond, false)
	}
	m.observe("a", "rpc", 400, "Code000", false, time.Millisecond, time.Millisecond, false) // known: keeps its label
	m.observe("a", "rpc", 200, "", true, time.Millisecond, time.Millisecond, false)         // no code: not counted against the cap
	assert.Equal(t, maxCodes+2, testutil.CollectAndCount(m.requests), "64 codes, other, and none")
	assert.InDelta(t, 20, testutil.ToFloat64(m.requests.WithLabelValues("a", "rpc", "400", "other", "false")), 0)
	assert.InDelta(t, 2, testutil.ToFloat64(m.requests.WithLabelValues("a", "rpc", "400", "Code000", "false")), 0)
}

func TestMetricsNilIsANoOp(t *testing.T) {
	t.Parallel()
	var m *Metrics
	assert.NotPanics(t, func() {
		m.sent()
		m.signed(time.Microsecond)
		m.observe("a", "rpc", 200, "", true, time.Millisecond, time.Millisecond, false)
	})
}

// labelValues gathers every label value of reg's acsharness_load metrics.
func labelValues(t *testing.T, reg prometheus.Gatherer) []string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				out = append(out, lp.GetValue())
			}
		}
	}
	return out
}

// After a run in every style, no label holds a URL, a nonce or a key ID.
func TestMetricsOfARunHoldNoSecrets(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	m, reg := newTestMetrics(t)
	nonces := testNonces() // one source: a second would repeat the first's nonces
	for _, style := range signature.Styles {
		spec := probeSpec(style)
		it, err := NewActionItem(spec.Action, 1, l.URL, spec, demoCreds, nonces)
		require.NoError(t, err)
		sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Style: string(style), Schedule: Constant{200},
			Requests: 20, Metrics: m})
		require.NoError(t, err)
		require.Equal(t, uint64(20), sum.Successes)
	}
	values := labelValues(t, reg)
	require.NotEmpty(t, values)
	for _, v := range values {
		for _, bad := range []string{"http", "://", "?", "&", "=", gateway.DemoKeyID, testNoncePrefix, "127.0.0.1"} {
			assert.NotContains(t, v, bad, "label value %q", v)
		}
		assert.LessOrEqual(t, len(v), 64, "label value %q", v)
	}
	for _, style := range []string{"rpc", "roa", "v3"} {
		item := "ListGroupId"
		assert.InDelta(t, 20, testutil.ToFloat64(m.requests.WithLabelValues(item, style, "200", "", "true")), 0, style)
	}
	assert.InDelta(t, 0, testutil.ToFloat64(m.inflight), 0, "every request sent was answered")
	n, err := testutil.GatherAndCount(reg, "acsharness_load_sign_cpu_seconds")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// pushRecorder is a Pushgateway stand-in on 127.0.0.1 that keeps what it
// was sent.
type pushRecorder struct {
	mu     sync.Mutex
	method string
	path   string
	body   []byte
	header http.Header
}

func (p *pushRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.method, p.path, p.body, p.header = r.Method, r.URL.EscapedPath(), b, r.Header.Clone()
	p.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func TestPush(t *testing.T) {
	t.Parallel()
	rec := &pushRecorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))

	m, reg := newTestMetrics(t)
	m.sent()
	m.signed(3 * time.Microsecond)
	m.observe("ListGroupId", "v3", 200, "", true, 2*time.Millisecond, time.Millisecond, true)
	require.NoError(t, Push(srv.URL, "acsharness_load", reg, map[string]string{"shard": "2", "workload": "v3 ListGroupId"}))

	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, http.MethodPut, rec.method, "a push replaces the group's metrics")
	assert.True(t, strings.HasPrefix(rec.path, "/metrics/job/acsharness_load/"), rec.path)
	assert.Contains(t, rec.path, "/shard/2")
	assert.Contains(t, rec.path, "/workload/v3+ListGroupId", "client_golang escapes grouping values as query components")

	dec := expfmt.NewDecoder(bytes.NewReader(rec.body), expfmt.ResponseFormat(rec.header))
	var text strings.Builder
	for range 100 {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		_, err = expfmt.MetricFamilyToText(&text, &mf)
		require.NoError(t, err)
	}
	pushed := text.String()
	assert.Contains(t, pushed, `acsharness_load_requests_total{code="",expected="true",item="ListGroupId",status="200",style="v3"} 1`)
	assert.Contains(t, pushed, "acsharness_load_late_requests_total 1")
	assert.Contains(t, pushed, "acsharness_load_sign_cpu_seconds_count 1")
	assert.Contains(t, pushed, `acsharness_load_response_time_seconds_count{item="ListGroupId"} 1`)

	err := Push("http://127.0.0.1:1", "acsharness_load", reg, nil)
	assert.Error(t, err, "an unreachable Pushgateway is an error")
}

// histCount is the number of observations of one item's histogram.
func histCount(t *testing.T, h *prometheus.HistogramVec, item string) uint64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, h.WithLabelValues(item).(prometheus.Histogram).Write(&m))
	return m.GetHistogram().GetSampleCount()
}
