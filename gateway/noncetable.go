package gateway

import (
	"sync/atomic"
	"unsafe"
)

// nonceTable is one shard's set of nonce keys, each with the bucket it was
// added in: open addressing with linear probing over one flat array.
//
// It replaced a Go map (issue 13). The store outgrows the caches of a busy
// gateway (a million nonces after a minute at 17k requests per second), so
// the first lookup of each fresh nonce misses them, and under a
// hypervisor every miss of the TLB walks two page tables: the map touched
// its table header, its group's control word and the slot, on pages of
// their own, where the flat array touches one slot and its neighbours.
// The keys are keyed hashes, uniform whatever the nonces, so a key's own
// bits place it. Deletion shifts the entries that follow back (Knuth's
// algorithm R), so no tombstone ever lengthens a probe.
type nonceTable struct {
	slots []nonceSlot // a power of two long, or empty
	used  int         // slots holding an entry
	// shared is slots as published to prefetch, which runs without the
	// shard's lock: replaced, never changed, at each resize.
	shared atomic.Pointer[[]nonceSlot]
}

// nonceSlot is an entry; the zero key marks an empty slot (keys are made
// nonzero by nonZero).
type nonceSlot struct {
	k nonceKey
	e int64 // the bucket the entry was added in
}

// minNonceSlots is a table's size once it holds anything.
const minNonceSlots = 16

// nonZero maps the one key the table cannot hold, zero, to another: the
// chance that a keyed 128-bit hash is either is 2^-127.
func (k nonceKey) nonZero() nonceKey {
	if k == (nonceKey{}) {
		return nonceKey{0, 1}
	}
	return k
}

// home is a key's preferred slot. The low bits of k[0] choose the shard,
// so the slot comes from k[1].
func (t *nonceTable) home(k nonceKey) int { return int(k[1] & uint64(len(t.slots)-1)) }

// find returns the slot holding k and true, or the empty slot where k
// would go and false. The table must not be full, which insert ensures.
func (t *nonceTable) find(k nonceKey) (int, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		switch t.slots[i].k {
		case k:
			return i, true
		case nonceKey{}:
			return i, false
		}
	}
}

// prefetch starts bringing k's home slot into the caches, so that a find
// of k a microsecond later does not wait on memory: in a store larger
// than the caches, a fresh nonce's lookup misses them (and the TLB). Any
// goroutine may call it without the shard's lock; the table it reads may
// be one a resize has just replaced, which costs only the prefetch.
func (t *nonceTable) prefetch(k nonceKey) {
	if p := t.sharedHome(k); p != nil {
		prefetch(p)
	}
}

// sharedHome is the address of k's home slot in the published table, nil
// when there is none.
func (t *nonceTable) sharedHome(k nonceKey) unsafe.Pointer {
	p := t.shared.Load()
	if p == nil {
		return nil
	}
	s := *p
	return unsafe.Pointer(&s[k[1]&uint64(len(s)-1)])
}

// get returns the bucket of k's entry, if present.
func (t *nonceTable) get(k nonceKey) (int64, bool) {
	i, ok := t.find(k)
	if !ok {
		return 0, false
	}
	return t.slots[i].e, true
}

// insert puts k, absent, in slot i that find returned, growing the table
// past three quarters full.
func (t *nonceTable) insert(i int, k nonceKey, e int64) {
	if len(t.slots) == 0 || (t.used+1)*4 > len(t.slots)*3 {
		t.resize(max(minNonceSlots, 2*len(t.slots)))
		i, _ = t.find(k)
	}
	t.slots[i] = nonceSlot{k: k, e: e}
	t.used++
}

// remove empties slot i, moving back each entry of the run after it that
// could no longer be found past the hole.
func (t *nonceTable) remove(i int) {
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j].k != (nonceKey{}); j = (j + 1) & mask {
		// The entry at j stays unless its home lies cyclically in (i, j]:
		// then it is found from its home without crossing the hole.
		h := t.home(t.slots[j].k)
		if (j-h)&mask < (j-i)&mask {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = nonceSlot{}
	t.used--
}

// shrink gives back the memory of a past burst: when an eighth of the
// table or less is in use, its entries move to a table a quarter to three
// eighths full, and an empty table lets go of its array. Amortized, each
// entry is moved at most once for the several that came and went.
func (t *nonceTable) shrink() {
	switch {
	case t.used == 0:
		t.slots = nil
		t.shared.Store(nil)
	case len(t.slots) > minNonceSlots && t.used*8 <= len(t.slots):
		n := minNonceSlots
		for n*3 < t.used*8 {
			n *= 2
		}
		t.resize(n)
	}
}

// resize moves the entries to a table of n slots, a power of two that
// holds them under three quarters full.
func (t *nonceTable) resize(n int) {
	old := t.slots
	t.slots = make([]nonceSlot, n)
	slots := t.slots
	t.shared.Store(&slots)
	for _, s := range old {
		if s.k != (nonceKey{}) {
			i, _ := t.find(s.k)
			t.slots[i] = s
		}
	}
}
