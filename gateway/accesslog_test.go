package gateway

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slogLine is the oracle: the line slog's JSON or text handler writes for
// the record, as the gateway logged it before AccessLog.
func slogLine(t *testing.T, text bool, r *accessRecord) string {
	t.Helper()
	var buf bytes.Buffer
	var h slog.Handler = slog.NewJSONHandler(&buf, nil)
	if text {
		h = slog.NewTextHandler(&buf, nil)
	}
	rec := slog.NewRecord(r.time, slog.LevelInfo, "request", 0)
	rec.AddAttrs(
		slog.String("request_id", r.requestID),
		slog.String("remote", r.remote),
		slog.String("method", r.method),
		slog.String("path", r.path),
		slog.String("host", r.host),
		slog.String("style", r.style),
		slog.String("product", r.product),
		slog.String("action", r.action),
		slog.String("access_key_id", r.accessKey),
		slog.String("result", r.result),
		slog.Duration("duration", r.duration),
	)
	require.NoError(t, h.Handle(context.Background(), rec))
	return buf.String()
}

// TestAccessLogLinesAreSlogs formats random records, every string field
// random text, at random times in three zones, and compares each line with
// slog's JSON and text handlers' byte for byte.
func TestAccessLogLinesAreSlogs(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(20, 26))
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("X", -(9*3600 + 30*60))}
	// One log per format, as a gateway has: its second's formatting is
	// kept, so records in one second (every other one here, another
	// fraction, maybe another zone) are checked too.
	logs := map[bool]*AccessLog{false: {}, true: {text: true}}
	var last time.Time
	for i := range 3000 {
		at := time.Unix(r.Int64N(4e9), r.Int64N(1e9))
		if i%2 == 1 {
			at = time.Unix(last.Unix(), r.Int64N(1e9))
		}
		last = at
		rec := &accessRecord{
			time:      at.In(zones[r.IntN(len(zones))]),
			requestID: randomText(r), remote: randomText(r), method: randomText(r), path: randomText(r), host: randomText(r),
			style: randomText(r), product: randomText(r), action: randomText(r), accessKey: randomText(r), result: randomText(r),
			duration: time.Duration(r.Int64N(1e12) >> r.IntN(40)),
		}
		if i%7 == 0 {
			rec.time = rec.time.Truncate(time.Second) // no fraction at all
		}
		for _, text := range []bool{false, true} {
			got := string(logs[text].appendRecord(nil, rec))
			if !assert.Equal(t, slogLine(t, text, rec), got, "record #%d (text %v): %+v", i, text, rec) {
				return
			}
		}
	}
}

// TestAccessLogFiveDigitYears: a year of five digits, which slog reports
// as an error, is written as time.Time.AppendFormat writes it, not cut at
// the width of four.
func TestAccessLogFiveDigitYears(t *testing.T) {
	t.Parallel()
	at := time.Date(10004, 1, 1, 0, 0, 0, 5e8, time.UTC)
	line := string((&AccessLog{}).appendRecord(nil, &accessRecord{time: at}))
	assert.True(t, strings.HasPrefix(line, `{"time":"10004-01-01T00:00:00.5Z",`), line)
	line = string((&AccessLog{text: true}).appendRecord(nil, &accessRecord{time: at}))
	assert.True(t, strings.HasPrefix(line, "time=10004-01-01T00:00:00.500Z "), line)
}

// lockedBuffer is a bytes.Buffer safe to read while the log writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) lines() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.b.String(), "\n")
}

// TestAccessLogCloseLosesNothing: every record accepted before Close is
// written by the time Close returns, whatever the flush interval.
func TestAccessLogCloseLosesNothing(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	l, err := NewAccessLog(&out, AccessLogOptions{Flush: time.Hour, Buffer: 1 << 20})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				l.add(&accessRecord{time: time.Now(), requestID: "r", path: "/", result: "OK", duration: time.Duration(g*10000 + i)})
			}
		})
	}
	wg.Wait()
	require.NoError(t, l.Close())
	assert.Equal(t, 16000, out.lines(), "every record is written on Close")
	assert.Zero(t, l.Dropped(), "nothing dropped")
	l.add(&accessRecord{})
	assert.Equal(t, uint64(1), l.Dropped(), "a record after Close is dropped and counted")
	require.NoError(t, l.Close(), "a second Close is harmless")
}

// blockingWriter holds every write until released.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	out     lockedBuffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return w.out.Write(p)
}

// TestAccessLogFullDropsAndCounts: with the writer stuck, requests do not
// wait: once the buffer is full each record is dropped and counted, and
// what was accepted is written when the writer moves again.
func TestAccessLogFullDropsAndCounts(t *testing.T) {
	t.Parallel()
	w := &blockingWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	l, err := NewAccessLog(w, AccessLogOptions{Buffer: 8, Flush: time.Hour})
	require.NoError(t, err)
	for range 4 { // half the buffer kicks a write, which sticks
		l.add(&accessRecord{result: "OK"})
	}
	<-w.entered
	const sent = 100
	for range sent - 4 {
		l.add(&accessRecord{result: "OK"}) // never waits on the stuck writer
	}
	dropped := l.Dropped()
	assert.Positive(t, dropped, "a full buffer drops records")
	close(w.release)
	require.NoError(t, l.Close())
	assert.Equal(t, sent, w.out.lines()+int(l.Dropped()), "each record is written or counted as dropped")
	assert.Equal(t, dropped, l.Dropped(), "nothing more is dropped once the writer moves")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestAccessLogWriteErrors(t *testing.T) {
	t.Parallel()
	l, err := NewAccessLog(failingWriter{}, AccessLogOptions{})
	require.NoError(t, err)
	for range 3 {
		l.add(&accessRecord{})
	}
	err = l.Close()
	require.Error(t, err, "Close reports a failed write")
	assert.Contains(t, err.Error(), "disk full")
	assert.Equal(t, uint64(3), l.Dropped(), "the records of a failed write count as dropped")
}

func TestAccessLogOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    AccessLogOptions
		want string
	}{
		{"format", AccessLogOptions{Format: "xml"}, `access log format "xml": use json or text`},
		{"buffer", AccessLogOptions{Buffer: -1}, "must not be negative"},
		{"flush", AccessLogOptions{Flush: -time.Second}, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAccessLog(&bytes.Buffer{}, tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestAccessLogDroppedMetric: the gateway exports the drops of its access
// log, and only when it has one.
func TestAccessLogDroppedMetric(t *testing.T) {
	t.Parallel()
	l, err := NewAccessLog(&bytes.Buffer{}, AccessLogOptions{})
	require.NoError(t, err)
	g, err := New(Config{AccessLog: l})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	l.add(&accessRecord{})
	l.add(&accessRecord{})
	const want = `
# HELP acsharness_gateway_access_log_dropped_total Access-log records dropped: the buffer was full (the log's writer fell behind), a write failed, or the log was closed.
# TYPE acsharness_gateway_access_log_dropped_total counter
acsharness_gateway_access_log_dropped_total 2
`
	require.NoError(t, testutil.GatherAndCompare(g.Registry(), strings.NewReader(want), "acsharness_gateway_access_log_dropped_total"))

	plain, err := New(Config{})
	require.NoError(t, err)
	n, err := testutil.GatherAndCount(plain.Registry(), "acsharness_gateway_access_log_dropped_total")
	require.NoError(t, err)
	assert.Zero(t, n, "no access log, no drop counter")
}
