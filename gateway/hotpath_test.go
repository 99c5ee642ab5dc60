package gateway

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

// TestMetricChildrenCache: the cached child of a label set is the vector's
// own, so counts land in the exposition; past its bound the cache stops
// growing and the vector still counts every label set.
func TestMetricChildrenCache(t *testing.T) {
	t.Parallel()
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c", Help: "h"}, []string{"k"})
	c := children[string, prometheus.Counter]{make: func(k string) prometheus.Counter { return vec.WithLabelValues(k) }}
	const n = maxCachedChildren + 100
	for round := range 3 {
		for i := range n {
			c.get(strconv.Itoa(i)).Inc()
		}
		for _, i := range []int{0, maxCachedChildren - 1, maxCachedChildren, n - 1} {
			assert.InDelta(t, float64(round+1), testutil.ToFloat64(vec.WithLabelValues(strconv.Itoa(i))), 0, "label set %d, round %d", i, round)
		}
	}
	m := c.m.Load()
	require.NotNil(t, m)
	assert.Len(t, *m, maxCachedChildren, "the cache stops at its bound")
	assert.Equal(t, n, testutil.CollectAndCount(vec), "every label set was counted")
}

// TestMetricChildrenLast: the child kept apart as the last one found is
// the right one whatever the order of the label sets (runs, alternation)
// and from goroutines that each count their own: every count lands on
// its own label set, and each child is made once.
func TestMetricChildrenLast(t *testing.T) {
	t.Parallel()
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c", Help: "h"}, []string{"k"})
	var made atomic.Int64
	c := children[requestLabels, prometheus.Counter]{make: func(k requestLabels) prometheus.Counter {
		made.Add(1)
		return vec.WithLabelValues(k.code)
	}}
	labels := func(code string) requestLabels { return requestLabels{"p", "a", "rpc", code} }
	want := map[string]float64{}
	for _, code := range strings.Split("a a b a b b c a a c b", " ") {
		c.get(labels(code)).Inc()
		want[code]++
	}
	shared := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	for g := range 4 {
		code := "g" + strconv.Itoa(g)
		wg.Go(func() {
			for i := range 500 {
				c.get(labels(code)).Inc()
				c.get(labels(shared[i%3])).Inc()
			}
		})
		want[code] += 500
		for i := range 500 {
			want[shared[i%3]]++
		}
	}
	wg.Wait()
	for code, n := range want {
		assert.InDelta(t, n, testutil.ToFloat64(vec.WithLabelValues(code)), 0, "label set %q", code)
	}
	assert.Equal(t, int64(len(want)), made.Load(), "each child made once")
}

// TestHostCache: a Host resolved once resolves the same from the cache; a
// host of no product is never cached; past the bound (case variants of one
// endpoint) every host still resolves.
func TestHostCache(t *testing.T) {
	t.Parallel()
	g, err := New(Config{})
	require.NoError(t, err)
	resolve := func(host string) (string, *apiError) {
		c := &call{r: httptest.NewRequest(http.MethodGet, "/", nil)}
		c.r.Host = host
		if err := g.resolveHost(c); err != nil {
			return "", err
		}
		if c.prod == nil {
			return "", nil
		}
		return c.prod.Code, nil
	}
	const host = "onsmqtt.cn-hangzhou.aliyuncs.com"
	for i := range 200 {
		h := []byte(host)
		for j := range h {
			if i>>(j%8)&1 == 1 {
				h[j] = byte(unicode.ToUpper(rune(h[j])))
			}
		}
		h = append(h, ":"+strconv.Itoa(i)...) // 200 distinct Host headers
		for range 2 {
			code, err := resolve(string(h))
			require.Nil(t, err, "%s resolves", h)
			assert.Equal(t, "onsmqtt", code, "%s resolves to MQTT, cached or not", h)
		}
	}
	assert.Len(t, *g.hosts.m.Load(), maxCachedHosts, "the cache stops at its bound")
	for range 2 {
		_, err := resolve("onsmqtt.example.com")
		assert.Equal(t, errInvalidProduct, err, "a host of no product is refused, every time")
	}
	_, cached := g.hosts.load("onsmqtt.example.com")
	assert.False(t, cached, "a refused host is not cached")
}

// TestRPCIndex: the one-pass lookup of the common RPC parameters knows
// each by its exact name and position, and nothing else.
func TestRPCIndex(t *testing.T) {
	t.Parallel()
	for i, name := range rpcRequired {
		assert.Equal(t, i, rpcIndex(name), "%s is at position %d", name, i)
		assert.Equal(t, -1, rpcIndex(strings.ToLower(name)), "%s in another case is no common parameter", name)
	}
	for _, name := range []string{"", "Format", "RegionId", "TimeStamp", "SecurityToken"} {
		assert.Equal(t, -1, rpcIndex(name), "%q is not looked up in the pass", name)
	}
}

// BenchmarkNonceStore is the store's part of a request with the default
// settings: hash the nonce once, check it before the key lookup, record it
// after the signature, in a store holding 2^18 nonces as a busy gateway
// does. Each iteration's key is fresh (random, as a hash is), the nonce
// hashed is a fixed one of the usual length. The store grows by b.N
// entries: the figure includes its maps' growth, as a gateway's first
// retention period (31 minutes) does.
func BenchmarkNonceStore(b *testing.B) {
	s := NewNonceStore(DefaultNonceRetention, 1<<26, nil)
	for i := range 1 << 18 {
		_, _ = s.Add("warm-" + strconv.Itoa(i))
	}
	r := rand.New(rand.NewPCG(1, 2))
	const nonce = "0123456789abcdef0123456789abcdef"
	b.ReportAllocs()
	for b.Loop() {
		_ = s.key(nonce)
		k := nonceKey{r.Uint64(), r.Uint64()}
		ns := time.Now().UnixNano()
		if s.seen(k, ns) {
			b.Fatal("a fresh key is seen")
		}
		if added, err := s.addKey(k, ns); !added || err != nil {
			b.Fatal("a fresh key is not added", err)
		}
	}
}

// TestParseTimestampZ: the fast parser of the SDKs' timestamp form agrees
// with time.Parse on the instant of every string it takes, takes every
// valid one of that form, and refuses the rest: random strings of the
// form's shape over digits and a few other bytes, every day of four
// years (a leap one, 1900 and 2000 among them), and edge values.
func TestParseTimestampZ(t *testing.T) {
	t.Parallel()
	check := func(s string) {
		t.Helper()
		got, ok := parseTimestampZ(s)
		want, err := time.Parse(time.RFC3339, s)
		if ok {
			require.NoError(t, err, "%q taken, which time.Parse refuses", s)
			require.True(t, want.Equal(got), "%q: %v, time.Parse %v", s, got, want)
			return
		}
		if err == nil && len(s) == 20 && s[19] == 'Z' && want.Second() < 60 && !strings.ContainsAny(s, "+.") {
			t.Fatalf("%q refused, a valid timestamp of the form", s)
		}
	}
	for _, y := range []int{1900, 2000, 2023, 2024} {
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.Add(24*time.Hour + 61*time.Second) {
			check(d.Format("2006-01-02T15:04:05Z"))
		}
	}
	for _, s := range []string{
		"2020-05-19T10:33:56Z", "2020-02-29T23:59:59Z", "2021-02-29T00:00:00Z", "2020-04-31T00:00:00Z",
		"2020-13-01T00:00:00Z", "2020-00-10T00:00:00Z", "2020-01-00T00:00:00Z", "2020-01-01T24:00:00Z",
		"2020-01-01T00:60:00Z", "2020-01-01T00:00:60Z", "2020-01-01 00:00:00Z", "2020-01-01T00:00:00z",
		"2020-01-01T00:00:00+", "+020-01-01T00:00:00Z", "2020-01-01T00:00:0Z", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59Z", "２020-01-01T00:00:00Z", "",
	} {
		check(s)
	}
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789012345678901234567890123456789-:TZ +."
	for range 20000 {
		b := []byte("2020-05-19T10:33:56Z")
		for range 1 + r.IntN(3) {
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		check(string(b))
	}
}

// TestDedupe: the first parameter of each name is kept, in order, whether
// the list comes sorted (the fast path), sorted with a name repeated, or
// in any order; checked against a plain model on random lists.
func TestDedupe(t *testing.T) {
	t.Parallel()
	model := func(p signature.Params) signature.Params {
		var out signature.Params
		seen := map[string]bool{}
		for _, q := range p {
			if !seen[q.Key] {
				seen[q.Key], out = true, append(out, q)
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"Action", "Format", "Signature", "SignatureNonce", "Timestamp", "Version", "a", "b"}
	for i := range 5000 {
		p := make(signature.Params, rng.IntN(10))
		for j := range p {
			p[j] = signature.Param{Key: names[rng.IntN(len(names))], Value: strconv.Itoa(j)}
		}
		if i%2 == 0 { // half sorted, with or without repeats
			slices.SortStableFunc(p, func(a, b signature.Param) int { return strings.Compare(a.Key, b.Key) })
		}
		want := model(p)
		got := dedupe(slices.Clone(p))
		require.Equal(t, want, append(signature.Params(nil), got...), "dedupe of %v", p)
	}
}
