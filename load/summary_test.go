package load

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// obs is an on-time 200 of item "a" sent at offset at, answered after lat.
func obs(at, lat time.Duration) observation {
	return observation{item: "a", sent: t0.Add(at), due: t0.Add(at), latency: lat, service: lat, status: 200, ok: true, bytesIn: 10, bytesOut: 1}
}

// HDR histograms with 3 significant digits hold every value below 2048
// exactly, so the percentiles of 1..1000 µs are known to the microsecond.
func TestCollectorExactPercentiles(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, nil, time.Millisecond, nil)
	r := rand.New(rand.NewPCG(1, 2))
	for _, i := range r.Perm(1000) {
		c.add(obs(time.Duration(i)*time.Millisecond, time.Duration(i+1)*time.Microsecond))
	}
	s := c.summary(0, false)
	want := Percentiles{Min: 1e-6, Mean: 500.5e-6, P50: 500e-6, P90: 900e-6, P95: 950e-6, P99: 990e-6, P999: 999e-6, Max: 1000e-6}
	assertPercentiles(t, want, s.Latency)
	assert.Equal(t, uint64(1000), s.Requests)
	assert.Equal(t, uint64(1000), s.Successes)
	assert.InDelta(t, 1.0, s.SuccessRatio, 0)
	assert.InDelta(t, 0.999, s.AttackDuration, 1e-9, "first to last sent")
	assert.InDelta(t, 0.999+1000e-6, s.Duration, 1e-9, "first sent to last answer")
	assert.InDelta(t, 1000/0.999, s.Rate, 1e-6)
	assert.Equal(t, uint64(10000), s.BytesIn)
	assert.Equal(t, uint64(1000), s.BytesOut)
	assert.Equal(t, map[string]uint64{"200": 1000}, s.Status)
	assert.Empty(t, s.Codes)
	assert.Nil(t, s.Errors)
	assert.Equal(t, int64(1000), s.LatencyHistogram().TotalCount())

	var hgrm bytes.Buffer
	require.NoError(t, s.WriteHGRM(&hgrm))
	assert.Contains(t, hgrm.String(), "#[Max     =        1.000, Total count    =         1000]", "the .hgrm is in milliseconds")
}

func assertPercentiles(t *testing.T, want, got Percentiles) {
	t.Helper()
	assert.InDelta(t, want.Min, got.Min, 1e-12, "min")
	assert.InDelta(t, want.Mean, got.Mean, 1e-9, "mean")
	assert.InDelta(t, want.P50, got.P50, 1e-12, "p50")
	assert.InDelta(t, want.P90, got.P90, 1e-12, "p90")
	assert.InDelta(t, want.P95, got.P95, 1e-12, "p95")
	assert.InDelta(t, want.P99, got.P99, 1e-12, "p99")
	assert.InDelta(t, want.P999, got.P999, 1e-12, "p99.9")
	assert.InDelta(t, want.Max, got.Max, 1e-12, "max")
}

func TestCollectorLate(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, Constant{1000}, time.Millisecond, nil)
	for _, tc := range []struct {
		behind time.Duration
		late   bool
	}{
		{0, false},
		{500 * time.Microsecond, false},
		{time.Millisecond, false}, // LateAfter itself is allowed
		{time.Millisecond + time.Microsecond, true},
		{5 * time.Millisecond, true},
		{-time.Millisecond, false}, // early cannot happen, and is not late
	} {
		o := obs(time.Second, time.Millisecond)
		o.sent = o.due.Add(tc.behind)
		c.add(o)
	}
	noDue := obs(2*time.Second, time.Millisecond)
	noDue.due = time.Time{} // as fast as possible: nothing is due
	c.add(noDue)
	s := c.summary(2*time.Second, false)
	assert.Equal(t, uint64(2), s.Late, "sent more than LateAfter after due")
	assert.InDelta(t, 0.001, s.LateAfter, 1e-12)
	assert.Equal(t, uint64(2000-7), s.Dropped, "the schedule wanted 2000 in 2 s")
	assert.InDelta(t, 1000, s.RequestedRate, 1e-9)
	assert.InDelta(t, 3.5, s.Rate, 1e-9, "7 requests over the 2 s attack")
	assert.InDelta(t, 2.0/7, mustSLO(t, "late<50%").Check(s).Observed, 1e-12)
}

// Success is by expectation: an expected 400 counts, an unexpected 200
// does not.
func TestCollectorItemsAndExpectations(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, nil, time.Millisecond, nil)
	add := func(item string, status int, code string, ok bool, lat time.Duration, n int) {
		for range n {
			o := obs(100*time.Millisecond, lat)
			o.item, o.status, o.code, o.ok = item, status, code, ok
			c.add(o)
		}
	}
	add("signature/wrong-secret", 400, "SignatureDoesNotMatch", true, 2*time.Millisecond, 30)
	add("signature/wrong-secret", 200, "", false, 2*time.Millisecond, 2)
	add("ListGroupId", 200, "", true, time.Millisecond, 60)
	add("ListGroupId", 400, "SignatureNonceUsed", false, time.Millisecond, 1)
	transport := obs(100*time.Millisecond, time.Second)
	transport.item, transport.status, transport.ok = "ListGroupId", 0, false
	transport.err = `Get "http://127.0.0.1:1/?Signature=redacted": dial tcp: connection refused`
	c.add(transport)

	s := c.summary(0, false)
	assert.Equal(t, uint64(94), s.Requests)
	assert.Equal(t, uint64(90), s.Successes)
	assert.InDelta(t, 90.0/94, s.SuccessRatio, 1e-12)
	assert.Equal(t, map[string]uint64{"200": 62, "400": 31, "0": 1}, s.Status)
	assert.Equal(t, map[string]uint64{"SignatureDoesNotMatch": 30, "SignatureNonceUsed": 1}, s.Codes)
	assert.Equal(t, map[string]uint64{"connection refused": 1}, s.Errors, "grouped by cause, not URL")
	assert.Equal(t, uint64(1), s.NoAnswer)
	require.Len(t, s.ByItem, 2)
	wrong, list := s.ByItem[0], s.ByItem[1]
	assert.Equal(t, "signature/wrong-secret", wrong.Name, "items in order of first answer")
	assert.Equal(t, uint64(32), wrong.Requests)
	assert.Equal(t, uint64(30), wrong.Successes)
	assert.Equal(t, map[string]uint64{"SignatureDoesNotMatch": 30}, wrong.Codes)
	assert.InEpsilon(t, 0.002, wrong.Latency.P99, 0.001, "item histograms keep 3 significant digits, as the run's")
	assert.Equal(t, "ListGroupId", list.Name)
	assert.Equal(t, uint64(62), list.Requests)
	assert.Equal(t, uint64(60), list.Successes)
	assert.InEpsilon(t, 0.001, list.Latency.P50, 0.01)
	assert.Equal(t, uint64(1), list.NoAnswer)
	assert.True(t, math.IsInf(list.Latency.Max, 1), "the request without an answer is slower than any other")
	assert.True(t, math.IsInf(list.Latency.P99, 1), "1 in 62 without an answer is more than 1%%: p99 is among them")
	assert.InEpsilon(t, 0.001, list.Latency.P90, 0.001, "and p90 among the answers")
}

func TestCollectorErrorKindsAreBounded(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, nil, time.Millisecond, nil)
	for i := range maxErrorKinds + 10 {
		o := obs(0, time.Millisecond)
		o.status, o.ok, o.err = 0, false, fmt.Sprintf("odd failure number %d", i)
		c.add(o)
	}
	s := c.summary(0, false)
	assert.Len(t, s.Errors, maxErrorKinds+1)
	assert.Equal(t, uint64(10), s.Errors["other"])
}

// The series keeps at most maxBuckets buckets however long the run,
// doubling their width, and loses no count on the way.
func TestSeriesHalvingBoundsMemory(t *testing.T) {
	t.Parallel()
	sched := Constant{2}
	c := newCollector(t0, sched, time.Millisecond, nil)
	span := 10 * maxBuckets * time.Second
	var n, okN, codeN uint64
	for at := time.Duration(0); at < span; at += 500 * time.Millisecond {
		o := obs(at, time.Duration(1+at/time.Second)*time.Microsecond)
		if n%5 == 0 {
			o.ok, o.status, o.code = false, 503, "ServiceUnavailable"
			codeN++
		}
		if o.ok {
			okN++
		}
		c.add(o)
		n++
		require.LessOrEqual(t, len(c.series.b), maxBuckets, "after %s", at)
	}
	assert.Equal(t, 16*time.Second, c.series.width, "1 s doubled until 2400 s fit in 240 buckets")
	s := c.summary(span, false)
	require.LessOrEqual(t, len(s.Series), maxBuckets)
	var req, succ, codes uint64
	var requested float64
	for i, b := range s.Series {
		assert.InDelta(t, float64(i)*16, b.Start, 1e-9)
		assert.InDelta(t, 16, b.Width, 0)
		req += b.Requests
		succ += b.Successes
		codes += b.Codes["ServiceUnavailable"]
		requested += b.Requested
		assert.LessOrEqual(t, b.P50, b.P99)
		assert.LessOrEqual(t, b.P99, b.Max)
	}
	assert.Equal(t, n, req, "every request is in some bucket")
	assert.Equal(t, okN, succ)
	assert.Equal(t, codeN, codes)
	assert.InDelta(t, sched.Hits(time.Duration(len(s.Series))*16*time.Second), requested, 1e-6)
	assert.Equal(t, n, s.Requests)
}

// A target answering a new Code every time cannot grow the summary: the
// run keeps the first maxCodes codes, then "other", in its totals, its
// items and its series alike.
func TestCodesAreBoundedEverywhere(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, nil, time.Millisecond, nil)
	for i := range maxCodes + 500 {
		o := obs(time.Duration(i)*time.Millisecond, time.Millisecond)
		o.status, o.ok, o.code = 400, false, fmt.Sprintf("Code%04d", i)
		c.add(o)
	}
	s := c.summary(0, false)
	assert.Len(t, s.Codes, maxCodes+1, "the first codes and other")
	assert.Equal(t, uint64(500), s.Codes["other"])
	require.Len(t, s.ByItem, 1)
	assert.Len(t, s.ByItem[0].Codes, maxCodes+1)
	for _, b := range s.Series {
		for k := range b.Codes {
			assert.Contains(t, s.Codes, k, "a bucket holds only the run's codes")
		}
	}
}

// Errors are grouped by their cause, never by URL: one cause is one entry
// however many requests (each with its own URL and nonce) it failed.
func TestErrorsGroupedByCause(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, nil, time.Millisecond, nil)
	for i := range 100 {
		o := obs(time.Duration(i)*time.Second, 0)
		o.status, o.ok = 0, false
		o.err = fmt.Sprintf(`Get "http://127.0.0.1:8080/?Timestamp=2026-11-22T10%%3A%02d%%3A00Z&Signature=redacted": dial tcp 127.0.0.1:8080: connect: connection refused`, i%60)
		c.add(o)
		o.err = fmt.Sprintf(`Get "http://127.0.0.1:8080/?n=%d": read tcp 127.0.0.1:%d->127.0.0.1:8080: read: connection reset by peer`, i, 40000+i)
		c.add(o)
	}
	s := c.summary(0, false)
	assert.Equal(t, map[string]uint64{"connection refused": 100, "connection reset by peer": 100}, s.Errors)
}

func TestErrorCause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ err, want string }{
		{`Get "http://127.0.0.1:1/?a=b": dial tcp 127.0.0.1:1: connect: connection refused`, "connection refused"},
		{`Post "https://gw/x": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, "timeout (no answer within --timeout)"},
		{`Get "https://gw/": tls: failed to verify certificate: x509: certificate signed by unknown authority`, "TLS: certificate not trusted or invalid"},
		{`Get "http://gw/": EOF`, "connection closed by the server (EOF)"},
		{`Get "http://10.1.2.3:99/?q=1": something odd at 10.1.2.3:99`, "something odd at ADDR"},
	} {
		assert.Equal(t, tc.want, ErrorCause(tc.err), tc.err)
	}
}

func TestSignCost(t *testing.T) {
	t.Parallel()
	rec := newSignRecorder()
	for i := range 100 {
		rec.record(time.Duration(i+1)*time.Microsecond, uint64(i))
	}
	c := newCollector(t0, nil, time.Millisecond, rec)
	for range 100 {
		c.add(obs(0, time.Millisecond))
	}
	s := c.summary(0, false)
	assert.InEpsilon(t, 50.5e-6, s.Sign.Mean, 1e-3, "3 significant digits")
	assert.InDelta(t, 99e-6, s.Sign.P99, 1e-7)
	assert.InDelta(t, 100e-6, s.Sign.Max, 1e-7)
	assert.Equal(t, uint64(100), s.Sign.Samples)
	assert.Equal(t, int64(100), s.SignHistogram().TotalCount())
}

func TestSummaryOfNothing(t *testing.T) {
	t.Parallel()
	c := newCollector(t0, Constant{10}, time.Millisecond, newSignRecorder())
	s := c.summary(time.Second, true)
	assert.True(t, s.Interrupted)
	assert.Zero(t, s.Requests)
	assert.Equal(t, uint64(10), s.Dropped)
	assert.Zero(t, s.Rate)
	assert.Equal(t, Percentiles{}, s.Latency)
	var b strings.Builder
	require.NotPanics(t, func() { _ = s.CheckSLOs([]SLO{mustSLO(t, "p99<1s")}) })
	b.WriteString(s.SLOs[0].FormatObserved())
	assert.Equal(t, "no data", b.String())
}
