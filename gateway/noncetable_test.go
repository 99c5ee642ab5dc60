package gateway

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkTable asserts the table's invariants against the model: every
// entry is found from its home without crossing an empty slot, holds the
// model's bucket, and nothing else is in it.
func checkTable(t *testing.T, tb *nonceTable, model map[nonceKey]int64) {
	t.Helper()
	require.Equal(t, len(model), tb.used, "used counts the entries")
	// One pass from an empty slot round the table: each entry lies in the
	// run of occupied slots that holds its home.
	mask := len(tb.slots) - 1
	start := 0
	for start < len(tb.slots) && tb.slots[start].k != (nonceKey{}) {
		start++
	}
	n, run := 0, 0
	for step := 1; step <= len(tb.slots); step++ {
		i := (start + step) & mask
		s := tb.slots[i]
		if s.k == (nonceKey{}) {
			run = 0
			continue
		}
		n++
		run++
		want, ok := model[s.k]
		require.True(t, ok, "slot %d holds a key the model does not", i)
		require.Equal(t, want, s.e, "slot %d's bucket", i)
		require.Less(t, (i-tb.home(s.k))&mask, run, "an empty slot lies between the home of slot %d's key and it", i)
	}
	require.Equal(t, len(model), n)
	for k, e := range model {
		got, ok := tb.get(k)
		require.True(t, ok, "a key of the model is not found")
		require.Equal(t, e, got)
	}
	if len(tb.slots) > 0 {
		assert.LessOrEqual(t, tb.used*4, len(tb.slots)*3, "at most three quarters full")
	}
	// The table published to prefetch is this one.
	probe := nonceKey{7, 0x9e3779b97f4a7c15}
	if len(tb.slots) == 0 {
		require.Nil(t, tb.sharedHome(probe), "an empty table publishes none")
		return
	}
	for k := range model {
		require.Equal(t, unsafe.Pointer(&tb.slots[tb.home(k)]), tb.sharedHome(k), "prefetch aims at the key's home slot")
	}
	require.Equal(t, unsafe.Pointer(&tb.slots[tb.home(probe)]), tb.sharedHome(probe), "prefetch aims at an absent key's home slot")
}

// TestNoncePrefetchRaces: prefetching runs without the shards' locks
// while adds grow the tables and sweeps shrink them (under -race in make
// test, which would see an unsynchronized read).
func TestNoncePrefetchRaces(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	s := NewNonceStore(time.Second, 1<<16, func() time.Time { return time.Unix(0, clock.Load()) })
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.prefetch(s.key(strconv.Itoa(i % 5000)))
		}
	}()
	for round := range 4 {
		for i := range 5000 {
			_, err := s.Add(strconv.Itoa(round*5000 + i))
			require.NoError(t, err)
		}
		clock.Add(int64(3 * time.Second)) // all expire: the sweep empties and shrinks the tables
		s.Sweep()
	}
	close(stop)
	wg.Wait()
}

// TestNonceTableModel runs random inserts and removes against a map,
// with keys crowded onto few homes so that runs are long and wrap around
// the end of the table: the cases where a backward shift can go wrong.
func TestNonceTableModel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ homes, steps uint64 }{{3, 800}, {64, 3000}, {1 << 40, 6000}} {
		homes := tc.homes
		r := rand.New(rand.NewPCG(homes, 7))
		var tb nonceTable
		model := map[nonceKey]int64{}
		var keys []nonceKey
		for step := range int(tc.steps) {
			if len(keys) > 0 && r.IntN(5) < 2 {
				// Remove a random present key.
				j := r.IntN(len(keys))
				k := keys[j]
				keys[j] = keys[len(keys)-1]
				keys = keys[:len(keys)-1]
				i, ok := tb.find(k)
				require.True(t, ok)
				tb.remove(i)
				delete(model, k)
			} else {
				// Homes near the table's end: k[1] close to the top of
				// the range of a small mask wraps the run to slot 0.
				k := nonceKey{r.Uint64(), ^(r.Uint64N(homes))}.nonZero()
				i, ok := tb.find(k)
				if ok {
					continue
				}
				tb.insert(i, k, int64(step))
				model[k] = int64(step)
				keys = append(keys, k)
			}
			if step%53 == 0 {
				tb.shrink()
				checkTable(t, &tb, model)
			}
		}
		checkTable(t, &tb, model)
		for _, k := range keys {
			i, ok := tb.find(k)
			require.True(t, ok)
			tb.remove(i)
			delete(model, k)
			tb.shrink()
		}
		checkTable(t, &tb, model)
		assert.Nil(t, tb.slots, "an emptied table lets go of its array")
	}
}

// TestNonceTableRemoveWraps removes the entry of a run that wraps from the
// last slot to the first: the entries after it move back across the end.
func TestNonceTableRemoveWraps(t *testing.T) {
	t.Parallel()
	var tb nonceTable
	tb.resize(minNonceSlots)
	last := uint64(minNonceSlots - 1)
	a, b, c := nonceKey{1, last}, nonceKey{2, last}, nonceKey{3, 0}
	for _, k := range []nonceKey{a, b, c} {
		i, ok := tb.find(k)
		require.False(t, ok)
		tb.insert(i, k, 1)
	}
	// a at its home (the last slot), b wrapped to 0, c pushed to 1.
	require.Equal(t, a, tb.slots[last].k)
	require.Equal(t, b, tb.slots[0].k)
	require.Equal(t, c, tb.slots[1].k)
	i, _ := tb.find(a)
	tb.remove(i)
	assert.Equal(t, b, tb.slots[last].k, "b moves back to its home")
	assert.Equal(t, c, tb.slots[0].k, "c moves back to its home")
	assert.Equal(t, nonceKey{}, tb.slots[1].k)
	checkTable(t, &tb, map[nonceKey]int64{b: 1, c: 1})
}

// TestNonceKeyNonZero: the zero key, which marks an empty slot, is stored
// as another, and the store finds a nonce whose hash it is.
func TestNonceKeyNonZero(t *testing.T) {
	t.Parallel()
	assert.Equal(t, nonceKey{0, 1}, nonceKey{}.nonZero())
	assert.Equal(t, nonceKey{5, 0}, nonceKey{5, 0}.nonZero())
	s := NewNonceStore(DefaultNonceRetention, 10, nil)
	ns := s.unixNano()
	assert.False(t, s.seen(nonceKey{}, ns))
	added, err := s.addKey(nonceKey{}, ns)
	require.NoError(t, err)
	assert.True(t, added)
	assert.True(t, s.seen(nonceKey{}, ns), "the zero key is recorded, as another")
	added, err = s.addKey(nonceKey{}, ns)
	require.NoError(t, err)
	assert.False(t, added, "and recognised when replayed")
}
