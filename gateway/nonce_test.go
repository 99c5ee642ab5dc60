package gateway_test

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsharness/acsharness/internal/race"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// manualClock is a clock the test moves by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func newManualClock(t time.Time) *manualClock { return &manualClock{t: t} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *manualClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

func TestNonceStoreAddSeen(t *testing.T) {
	t.Parallel()
	clock := newManualClock(hostileNow)
	s := gateway.NewNonceStore(gateway.DefaultNonceRetention, 100, clock.Now)

	assert.False(t, s.Seen("a"), "a nonce never added is not seen")
	added, err := s.Add("a")
	require.NoError(t, err)
	assert.True(t, added, "the first Add of a nonce records it")
	added, err = s.Add("a")
	require.NoError(t, err)
	assert.False(t, added, "the second Add of a live nonce is a replay")
	assert.True(t, s.Seen("a"), "an added nonce is seen")
	assert.False(t, s.Seen("b"), "another nonce is not")
	assert.False(t, s.Seen("A"), "nonces are case-sensitive")

	added, err = s.Add("")
	require.NoError(t, err)
	assert.True(t, added, "the store itself takes an empty nonce; the gateway rejects it before")
	assert.Equal(t, 2, s.Len(), "two live nonces")
}

// TestNonceStoreExpiry: a nonce stays used for at least the retention and
// at most the retention plus one bucket (retention/31), wherever in its
// bucket it was added.
func TestNonceStoreExpiry(t *testing.T) {
	t.Parallel()
	for _, retention := range []time.Duration{gateway.DefaultNonceRetention, 10 * time.Second, 31 * time.Millisecond} {
		bucket := max(retention/31, time.Millisecond)
		base := hostileNow.Truncate(bucket)
		for _, offset := range []time.Duration{0, 1, bucket / 2, bucket - 1} {
			t.Run(fmt.Sprintf("retention %v, added %v into its bucket", retention, offset), func(t *testing.T) {
				t.Parallel()
				t0 := base.Add(offset)
				clock := newManualClock(t0)
				s := gateway.NewNonceStore(retention, 10, clock.Now)
				added, err := s.Add("n")
				require.NoError(t, err)
				require.True(t, added)

				clock.Set(t0.Add(retention - 1))
				assert.True(t, s.Seen("n"), "still used just before the retention ends")
				added, err = s.Add("n")
				require.NoError(t, err)
				assert.False(t, added, "a replay just before the retention ends is refused")

				clock.Set(t0.Add(retention + bucket))
				assert.False(t, s.Seen("n"), "gone one bucket after the retention")
				added, err = s.Add("n")
				require.NoError(t, err)
				assert.True(t, added, "an expired nonce may be used again")
				assert.Equal(t, 1, s.Len(), "the expired entry was evicted when the nonce came back")
			})
		}
	}
}

// TestNonceStoreEviction: expired entries leave the store, on the next Add
// to their shard or on Sweep, and Len drops accordingly.
func TestNonceStoreEviction(t *testing.T) {
	t.Parallel()
	const n = 2000
	retention := gateway.DefaultNonceRetention
	clock := newManualClock(hostileNow)
	s := gateway.NewNonceStore(retention, 10*n, clock.Now)
	for i := range n {
		added, err := s.Add(fmt.Sprintf("old-%d", i))
		require.NoError(t, err)
		require.True(t, added)
	}
	require.Equal(t, n, s.Len())

	clock.Advance(retention / 2)
	for i := range n {
		_, err := s.Add(fmt.Sprintf("mid-%d", i))
		require.NoError(t, err)
	}
	s.Sweep()
	assert.Equal(t, 2*n, s.Len(), "nothing has expired half-way through the retention")

	// One bucket past the first batch's retention: the first batch has
	// expired, the second has not. New Adds touch every shard and evict.
	clock.Advance(retention/2 + retention/31 + time.Second)
	assert.Equal(t, 2*n, s.Len(), "expired entries count until evicted")
	for i := range n {
		_, err := s.Add(fmt.Sprintf("new-%d", i))
		require.NoError(t, err)
	}
	assert.Equal(t, 2*n, s.Len(), "the first batch was evicted by Adds to its shards, the new batch added")
	assert.False(t, s.Seen("old-0"), "an evicted nonce is no longer seen")
	assert.True(t, s.Seen("mid-0"), "a live nonce is still seen")

	// Sweep alone empties an idle store.
	clock.Advance(2 * retention)
	assert.Equal(t, 2*n, s.Len(), "no Add, no eviction")
	s.Sweep()
	assert.Equal(t, 0, s.Len(), "Sweep evicts every expired bucket")
}

// TestNonceStoreCapacity: a full store refuses new nonces with
// ErrNonceStoreFull and records nothing, still recognises replays, and takes
// nonces again once entries expire.
func TestNonceStoreCapacity(t *testing.T) {
	t.Parallel()
	const capacity = 10
	clock := newManualClock(hostileNow)
	s := gateway.NewNonceStore(gateway.DefaultNonceRetention, capacity, clock.Now)
	for i := range capacity {
		added, err := s.Add(fmt.Sprintf("n%d", i))
		require.NoError(t, err)
		require.True(t, added)
	}
	added, err := s.Add("one-too-many")
	assert.ErrorIs(t, err, gateway.ErrNonceStoreFull, "the store holds its capacity")
	assert.False(t, added)
	assert.False(t, s.Seen("one-too-many"), "a refused nonce is not recorded")
	assert.Equal(t, capacity, s.Len())

	added, err = s.Add("n3")
	assert.NoError(t, err, "a replay is recognised even when the store is full")
	assert.False(t, added)

	clock.Advance(gateway.DefaultNonceRetention + time.Minute)
	s.Sweep()
	added, err = s.Add("one-too-many")
	assert.NoError(t, err, "room again once the old entries expire")
	assert.True(t, added)
}

// TestNonceStoreCapacityConcurrent: racing Adds of distinct nonces never
// push the store past its capacity.
func TestNonceStoreCapacityConcurrent(t *testing.T) {
	t.Parallel()
	const capacity, workers, each = 1000, 8, 500
	s := gateway.NewNonceStore(gateway.DefaultNonceRetention, capacity, hostileClock)
	var added, full atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				ok, err := s.Add(fmt.Sprintf("w%d-%d", w, i))
				switch {
				case err != nil:
					full.Add(1)
				case ok:
					added.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, capacity, added.Load(), "exactly the capacity is taken")
	assert.EqualValues(t, workers*each-capacity, full.Load(), "every other Add is refused")
	assert.Equal(t, capacity, s.Len())
}

// TestNonceStoreConcurrentSameNonce: of many goroutines adding one nonce at
// once, exactly one wins (run with -race).
func TestNonceStoreConcurrentSameNonce(t *testing.T) {
	t.Parallel()
	const goroutines, rounds = 32, 200
	s := gateway.NewNonceStore(gateway.DefaultNonceRetention, goroutines*rounds, hostileClock)
	for round := range rounds {
		nonce := fmt.Sprintf("race-%d", round)
		var wins atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range goroutines {
			wg.Go(func() {
				<-start
				_ = s.Seen(nonce) // readers race the writers too
				if ok, err := s.Add(nonce); err == nil && ok {
					wins.Add(1)
				}
			})
		}
		wg.Go(func() {
			<-start
			s.Sweep()
		})
		close(start)
		wg.Wait()
		require.EqualValues(t, 1, wins.Load(), "round %d: exactly one Add of %q wins", round, nonce)
	}
	assert.Equal(t, rounds, s.Len())
}

// TestGatewayNonceStoreFull: once the store is full the gateway fails
// closed, 503 ServiceUnavailable with an envelope, and a replay of a
// recorded nonce is still SignatureNonceUsed.
func TestGatewayNonceStoreFull(t *testing.T) {
	t.Parallel()
	h := newHostileGateway(t, func(c *gateway.Config) { c.NonceCapacity = 2 }).Handler()
	b := fixedSigner("full")
	first := fromSigned(mustSign(t, b, rpcSendMessage()))
	for _, tc := range []struct {
		name   string
		req    wireReq
		status int
		code   string
	}{
		{"first nonce", first, http.StatusOK, ""},
		{"second nonce", fromSigned(mustSign(t, b, v3SendMessageForm())), http.StatusOK, ""},
		{"third nonce, store full", fromSigned(mustSign(t, b, roaAppEnv())), http.StatusServiceUnavailable, gateway.CodeServiceUnavailable},
		{"replay of the first", first, http.StatusBadRequest, gateway.CodeNonceUsed},
	} {
		a, env := serveWire(t, h, tc.req)
		assert.Equal(t, tc.status, a.status, "%s: status (%s %s)", tc.name, env.Code, env.Message)
		assert.Equal(t, tc.code, env.Code, "%s: code", tc.name)
	}
}

// TestNonceStoreMemory inserts a million distinct nonces and measures the
// heap they hold: a memory bound, not a timing one. The figure per entry is
// logged; the whole must stay under 200 MiB, and once they have all expired
// a Sweep must give nearly all of it back.
func TestNonceStoreMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts a million nonces")
	}
	race.Skip(t, "a memory figure, which the race detector's shadow memory distorts")
	const n = 1_000_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	clock := newManualClock(hostileNow)
	s := gateway.NewNonceStore(gateway.DefaultNonceRetention, n, clock.Now)
	src := signature.NewNonceSource()
	buf := make([]byte, 0, signature.NonceSize)
	for range n {
		buf = src.Append(buf[:0])
		added, err := s.Add(string(buf))
		if err != nil || !added {
			t.Fatalf("Add of a fresh nonce: %v, %v", added, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, n, s.Len())

	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("1,000,000 nonces hold %.1f MiB of heap: %.1f bytes per entry", float64(held)/(1<<20), float64(held)/n)
	assert.Less(t, held, int64(200<<20), "a million nonces must fit in 200 MiB")

	clock.Advance(gateway.DefaultNonceRetention + time.Hour)
	s.Sweep()
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, 0, s.Len(), "every nonce expired and was swept")
	left := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("after they expire and a Sweep: %.1f MiB", float64(left)/(1<<20))
	assert.Less(t, left, int64(4<<20), "an idle store swept empty gives its memory back")
	runtime.KeepAlive(s)
}
