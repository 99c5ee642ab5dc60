package load

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/acsharness/acsharness/internal/race"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedSummary is the summary.json of a small run with answered requests,
// requests without an answer, two items and signing samples.
func seedSummary(t testing.TB) []byte {
	t.Helper()
	signs := newSignRecorder()
	c := newCollector(t0, Constant{100}, 10*time.Millisecond, signs)
	for i := range 50 {
		o := obs(time.Duration(i)*10*time.Millisecond, time.Duration(i+1)*100*time.Microsecond)
		if i%2 == 1 {
			o.item = "b"
		}
		if i%10 == 9 {
			o.status, o.ok, o.err = 0, false, "dial tcp 127.0.0.1:1: connect: connection refused"
		}
		c.add(o)
		signs.record(time.Duration(500+i)*time.Nanosecond, uint64(i))
	}
	s := c.summary(500*time.Millisecond, false)
	s.Schedule = "constant 100/s"
	require.NoError(t, s.EncodeHistograms())
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return b
}

// encodeRawHist wraps a decompressed V2 payload (header and counts) in the
// envelope and the two base64 layers summary.json holds.
func encodeRawHist(t testing.TB, body []byte, length int32) string {
	t.Helper()
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, err := w.Write(body)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	env := binary.BigEndian.AppendUint32(nil, histCompressedCookie)
	if length < 0 {
		env = binary.BigEndian.AppendUint32(env, uint32(length))
	} else {
		env = binary.BigEndian.AppendUint32(env, uint32(z.Len()))
	}
	env = append(env, z.Bytes()...)
	return base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString(env)))
}

// histHeaderOf is a V2 header for a histogram of low to high with digits
// significant digits and payload bytes of counts.
func histHeaderOf(low, high int64, digits, payload int32) []byte {
	h := binary.BigEndian.AppendUint32(nil, histCookie)
	h = binary.BigEndian.AppendUint32(h, uint32(payload))
	h = binary.BigEndian.AppendUint32(h, 0)
	h = binary.BigEndian.AppendUint32(h, uint32(digits))
	h = binary.BigEndian.AppendUint64(h, uint64(low))
	h = binary.BigEndian.AppendUint64(h, uint64(high))
	return binary.BigEndian.AppendUint64(h, math.Float64bits(1))
}

// A summary.json is read from a file a user names (--baseline, report
// diff, a shard's manifest): whatever it holds gives an error, never a
// panic, a vast allocation or a comparison that does not end.
func TestParseSummaryRejectsHostileInput(t *testing.T) {
	race.Skip(t, "a parser's logic over 64 MB inputs, which the detector slows fortyfold")
	t.Parallel()
	good := seedSummary(t)
	s, err := parseSummary("good.json", good)
	require.NoError(t, err, "the seed is a valid summary")
	require.NotNil(t, s.latency)

	lat := newLatencyHist()
	shape := histHeaderOf(lat.LowestTrackableValue(), lat.HighestTrackableValue(), int32(lat.SignificantFigures()), 0)
	bomb := append(histHeaderOf(lat.LowestTrackableValue(), lat.HighestTrackableValue(), int32(lat.SignificantFigures()), 64<<20),
		make([]byte, 64<<20)...)
	// A count written at an index past the end of the counts: a run of
	// zeros (negative ZigZag) longer than the histogram, then a count.
	counts := append(zigzag(-(1 << 20)), zigzag(1)...)
	past := append(histHeaderOf(lat.LowestTrackableValue(), lat.HighestTrackableValue(), int32(lat.SignificantFigures()), int32(len(counts))),
		counts...)

	withHist := func(h string) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		m["histograms"].(map[string]any)["latency_us"] = h
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	withField := func(kv ...any) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"not JSON", []byte("{"), "is not a load summary"},
		{"another JSON file", []byte(`{"cases": []}`), "no schedule or status counts"},
		{"histogram not base64", withHist("!!!"), "latency histogram: illegal base64"},
		{"histogram too short", withHist(base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte{1, 2})))), "too short"},
		{"histogram of another format", withHist(base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString(make([]byte, 16))))), "not an HdrHistogram V2 compressed encoding"},
		{"negative compressed length", withHist(encodeRawHist(t, shape, -5)), "compressed length -5 outside"},
		{"a vast range", withHist(encodeRawHist(t, histHeaderOf(1, math.MaxInt64, 5, 0), 0)), "where acsharness writes 1 to 3600000000 with 3"},
		{"a zlib bomb", withHist(encodeRawHist(t, bomb, 0)), "inflates beyond"},
		{"a count past the end", withHist(encodeRawHist(t, past, 0)), "malformed HdrHistogram counts"},
		{"more without an answer than requests", withField("no_answer", 1e18), "do not add up"},
		{"more requests than a float counts", withField("requests", 1e17), "do not add up"},
		{"a histogram larger than the run", withField("requests", 6, "successes", 1), "a histogram of 45 values for 1 answered requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := parseSummary("base.json", tc.in)
			require.Error(t, err, "must not parse")
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "base.json"), "names the file: %v", err)
		})
	}
}

// zigzag is HdrHistogram's ZigZag LEB128 of v (at most 8 bytes here).
func zigzag(v int64) []byte {
	return binary.AppendUvarint(nil, uint64((v<<1)^(v>>63)))
}

// A histogram encoded and decoded is the same histogram, of each shape.
func TestHistCodecRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		shape func() *hdr.Histogram
		max   int64
	}{
		{"latency", newLatencyHist, int64(time.Hour / time.Microsecond)},
		{"signing", newSignHist, 1e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.shape()
			for v := int64(1); v < tc.max; v = v*3 + 1 {
				require.NoError(t, h.RecordValues(v, v%7+1))
			}
			s, err := encodeHist(h)
			require.NoError(t, err)
			got, err := decodeHist(s, tc.shape)
			require.NoError(t, err)
			assert.True(t, h.Equals(got), "the same counts")
			_, err = decodeHist(s, func() *hdr.Histogram { return hdr.New(1, 1000, 2) })
			assert.ErrorContains(t, err, "significant digits, where acsharness writes 1 to 1000 with 2", "another shape is refused")
		})
	}
}

func FuzzParseSummary(f *testing.F) {
	good := seedSummary(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"schedule":"constant 1/s","status":{},"requests":3,"no_answer":3,"series":[{"width_seconds":1,"requests":3}]}`))
	f.Add([]byte(`{"schedule":"x","status":{},"histograms":{"latency_us":"AAAA"}}`))
	regs, err := ParseRegressions([]string{"p99<=+10%", "success>=-0.1%", "throughput>=-5%", "sign_p99<=+1us", "service_p50<=+5%"})
	require.NoError(f, err)
	base, err := parseSummary("seed", good)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSummary("fuzz", b)
		if err != nil {
			return
		}
		// What a baseline is used for: compared both ways, written out.
		Compare("fuzz", s, base, regs)
		Compare("fuzz", base, s, regs)
		var out bytes.Buffer
		_ = s.WriteHGRM(&out)
		_, _ = json.Marshal(s)
	})
}

func FuzzParseRegression(f *testing.F) {
	for _, s := range []string{"p99<=+10%", "success>=-0.1%", "throughput>=-5%", "p99<=+5ms", "rate>=-100/s", "p99<=10%", "p99<=+1e400%", "sign_p99<+.5us"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRegression(s)
		if err != nil {
			return
		}
		if math.IsNaN(r.Change) || math.IsInf(r.Change, 0) {
			t.Errorf("%q parsed to a change of %v", s, r.Change)
		}
		if _, ok := sloMetrics[r.Metric]; !ok {
			t.Errorf("%q parsed to an unknown metric %q", s, r.Metric)
		}
	})
}

func FuzzParseSLO(f *testing.F) {
	for _, s := range []string{"p99<50ms", "success>=99.9%", "rate>=1900/s", "sign_share<5%", "dropped==0", "p99<1e400ms", "errors<=0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slo, err := ParseSLO(s)
		if err != nil {
			return
		}
		if math.IsNaN(slo.Value) || math.IsInf(slo.Value, 0) || slo.Value < 0 {
			t.Errorf("%q parsed to a threshold of %v", s, slo.Value)
		}
	})
}
