package gateway

import (
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNonceStoreFull means the store holds its capacity of live nonces. The
// gateway then fails closed: it answers 503 ServiceUnavailable rather than
// accept a nonce it could not remember.
var ErrNonceStoreFull = errors.New("nonce store full")

const nonceShards = 64

// nonceKey is a 128-bit keyed hash of a nonce: two independent maphash
// seeds, random per process, so an attacker cannot aim for a collision,
// and every entry costs 16 bytes whatever the nonce's length.
type nonceKey [2]uint64

// NonceStore remembers every nonce seen for at least its retention time,
// across all keys: SignatureNonce is unique network-wide, not per
// AccessKey (docs/protocol.md §4.1). Entries expire in time buckets, so memory is
// bounded by the request rate times the retention, and by a hard capacity.
// It is safe for concurrent use; Add is an atomic check-and-insert, so of
// many requests racing with one nonce exactly one wins.
type NonceStore struct {
	now       func() time.Time
	bucket    time.Duration // bucket width: the granularity of expiry
	retention time.Duration
	keep      int64 // buckets an entry lives: ceil(retention / bucket)
	capacity  int64
	size      atomic.Int64
	seeds     [2]maphash.Seed
	shards    [nonceShards]nonceShard
}

type nonceShard struct {
	mu      sync.Mutex
	table   nonceTable            // nonce -> bucket it was added in
	buckets map[int64]*[]nonceKey // bucket -> nonces added in it, for eviction
	oldest  int64                 // no bucket older than this holds entries
	// The bucket adds go to, and its list: an add skips two lookups of
	// buckets (issue 13).
	cur     int64
	curKeys *[]nonceKey
}

// NewNonceStore returns a store that keeps each nonce for at least
// retention (and at most retention plus one bucket of retention/31, a
// minute for the default 31 minutes) and holds at most capacity live
// nonces. now is the clock; nil means time.Now.
func NewNonceStore(retention time.Duration, capacity int, now func() time.Time) *NonceStore {
	if now == nil {
		now = time.Now
	}
	if retention <= 0 {
		retention = 31 * time.Minute
	}
	bucket := retention / 31
	if bucket < time.Millisecond {
		bucket = time.Millisecond
	}
	s := &NonceStore{now: now, bucket: bucket, retention: retention, keep: int64((retention + bucket - 1) / bucket), capacity: int64(capacity)}
	s.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].buckets = make(map[int64]*[]nonceKey)
	}
	return s
}

func (s *NonceStore) key(nonce string) nonceKey {
	return nonceKey{maphash.String(s.seeds[0], nonce), maphash.String(s.seeds[1], nonce)}
}

// unixNano is the store's clock in nanoseconds.
func (s *NonceStore) unixNano() int64 { return s.now().UnixNano() }

func (s *NonceStore) epoch() int64 { return s.unixNano() / int64(s.bucket) }

// live reports whether an entry of bucket e is live at time ns. The entry
// was added no earlier than the bucket's start, so it stays live until its
// end plus the retention: at least the retention, at most one bucket more.
// (Counting whole buckets instead, as eviction does, adds up to a second
// bucket when the bucket does not divide the retention.)
func (s *NonceStore) live(e, ns int64) bool {
	return ns < (e+1)*int64(s.bucket)+int64(s.retention)
}

// Seen reports whether nonce was added and has not expired.
func (s *NonceStore) Seen(nonce string) bool { return s.seen(s.key(nonce), s.unixNano()) }

// seen is Seen of a nonce's key at ns (on the store's clock): the gateway
// hashes a nonce once for its check and its record, and reads the clock
// once per request.
func (s *NonceStore) seen(k nonceKey, ns int64) bool {
	k = k.nonZero()
	sh := &s.shards[k[0]%nonceShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.table.get(k)
	return ok && s.live(e, ns)
}

// prefetch starts bringing the slot of a nonce's key into the caches
// (nonceTable.prefetch), ahead of its lookup.
func (s *NonceStore) prefetch(k nonceKey) {
	k = k.nonZero()
	s.shards[k[0]%nonceShards].table.prefetch(k)
}

// Add records nonce and reports true, or reports false when it is already
// live. A full store returns ErrNonceStoreFull and records nothing.
//
// Capacity frees as nonces expire: when the store looks full, the expired
// entries of every shard, not only this one's, are evicted before a
// request is refused, so that no expired nonce holds a place that a live
// one needs (issue 9: a full store used to stay full until each shard was
// next written or a sweeper ran, and the in-process gateway had none).
func (s *NonceStore) Add(nonce string) (bool, error) { return s.addKey(s.key(nonce), s.unixNano()) }

// addKey is Add of a nonce's key at ns (see seen).
func (s *NonceStore) addKey(k nonceKey, ns int64) (bool, error) {
	k = k.nonZero()
	sh := &s.shards[k[0]%nonceShards]
	for swept := false; ; swept = true {
		added, full := s.add(sh, k, ns)
		if !full {
			return added, nil
		}
		if swept {
			return false, ErrNonceStoreFull
		}
		// Sweep without holding this shard's lock: Sweep takes every
		// shard's in turn, and two shards sweeping each other while
		// holding their own would deadlock.
		s.Sweep()
	}
}

// add is one attempt of Add under sh's lock; full reports that the store
// had no room.
func (s *NonceStore) add(sh *nonceShard, k nonceKey, ns int64) (added, full bool) {
	now := ns / int64(s.bucket)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.evict(sh, now)
	i, ok := sh.table.find(k)
	if ok && s.live(sh.table.slots[i].e, ns) {
		return false, false
	}
	// An entry expired but not yet evicted (eviction counts whole buckets)
	// is reused in place and stays counted; its old bucket's list still
	// names it, and drop skips it there since its bucket has changed.
	if !ok && !s.reserve() {
		return false, true
	}
	if ok {
		sh.table.slots[i].e = now
	} else {
		sh.table.insert(i, k, now)
	}
	if sh.curKeys == nil || sh.cur != now {
		keys := sh.buckets[now]
		if keys == nil {
			keys = new([]nonceKey)
			sh.buckets[now] = keys
		}
		sh.cur, sh.curKeys = now, keys
	}
	*sh.curKeys = append(*sh.curKeys, k)
	return true, false
}

// reserve counts one more entry unless the store is full. Shards add
// concurrently under their own locks, so the check and the increment are
// one compare-and-swap: a load then an add let racing shards overshoot
// the capacity.
func (s *NonceStore) reserve() bool {
	for {
		n := s.size.Load()
		if s.capacity > 0 && n >= s.capacity {
			return false
		}
		if s.size.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// evict drops the buckets of sh that have expired by epoch now.
func (s *NonceStore) evict(sh *nonceShard, now int64) {
	cutoff := now - s.keep // buckets before this have expired
	if sh.oldest >= cutoff {
		return
	}
	if len(sh.buckets) == 0 {
		sh.oldest = cutoff
		return
	}
	if cutoff-sh.oldest > int64(len(sh.buckets))*2 {
		// A long idle gap: walk the buckets present, not every epoch.
		for b, keys := range sh.buckets {
			if b < cutoff {
				s.drop(sh, b, *keys)
			}
		}
	} else {
		for b := sh.oldest; b < cutoff; b++ {
			if keys, ok := sh.buckets[b]; ok {
				s.drop(sh, b, *keys)
			}
		}
	}
	sh.oldest = cutoff
	sh.table.shrink()
}

func (s *NonceStore) drop(sh *nonceShard, b int64, keys []nonceKey) {
	n := 0
	for _, k := range keys {
		if i, ok := sh.table.find(k); ok && sh.table.slots[i].e == b {
			sh.table.remove(i)
			n++
		}
	}
	delete(sh.buckets, b)
	if b == sh.cur {
		sh.curKeys = nil
	}
	s.size.Add(int64(-n))
}

// Len returns the number of nonces held, expired ones not yet evicted
// included.
func (s *NonceStore) Len() int { return int(s.size.Load()) }

// Sweep evicts every expired bucket now, rather than on the next Add to
// each shard. The gateway's servers call it periodically so that an idle
// store shrinks; a store that looks full calls it before refusing a nonce.
func (s *NonceStore) Sweep() {
	now := s.epoch()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		s.evict(sh, now)
		sh.mu.Unlock()
	}
}
