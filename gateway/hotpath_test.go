package gateway

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
