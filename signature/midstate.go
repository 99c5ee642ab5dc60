package signature

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
	"sync"
)

// A template's string to sign (or V3 canonical request) is a long part that
// never changes, then a short part that changes with each request. An HMAC
// absorbs its input 64 bytes at a time into a small state, and the SHA
// digests of crypto/sha1 and crypto/sha256 can save and restore that state
// (encoding.BinaryAppender, encoding.BinaryUnmarshaler). So the inner hash
// state after the key pad and the unchanging prefix is computed once per
// template, the outer state after its key pad likewise, and a signature
// costs restoring two states of about 100 bytes and hashing the tail: less
// than an HMAC over the whole string, whatever its length (RFC 2104 defines
// HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)), which this computes
// exactly).
//
// The padding of SHA-1 and SHA-256 (FIPS 180-4 §5.1.1) depends only on the
// message's length, which a template knows before it hashes the last part.
// Written with that part, it leaves the hash at a block boundary, where
// the state the hash saves holds the digest itself (its chaining value,
// after a 4-byte magic, as big-endian words): read from there, the digest
// costs no Sum, which copies the hash, builds the padding and writes it in
// a call of its own, for each of an HMAC's two hashes and V3's third. A Go
// whose hashes save their state otherwise (checked once) gets no padding
// from pad, and its digests from Sum.

// savable is a hash whose state can be saved and restored.
type savable interface {
	hash.Hash
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// prefixMAC is an HMAC keyed once, over messages that all begin with one
// prefix: the saved inner state has absorbed the key pad and the prefix, the
// saved outer state its key pad. (newPrefixHash makes one that is a plain
// hash.)
type prefixMAC struct {
	newHash func() hash.Hash
	inner   []byte
	outer   []byte
	keyed   []byte // the inner state after the key pad alone (for a plain hash, none)
	// padded says the saved states give the digest: callers end each
	// message with its padding (pad), and sum reads the digest off the
	// state. Otherwise pad adds nothing and sum calls Sum.
	padded   bool
	size     int    // the digest's size
	absorbed int    // the bytes the saved inner state has absorbed
	outerPad []byte // the padding of the outer message (key pad and digest); nil unless padded
}

// newPrefixMAC prepares HMAC-newHash with key over messages starting with
// prefix.
func newPrefixMAC(newHash func() hash.Hash, key, prefix []byte) prefixMAC {
	h := newHash().(savable)
	block := h.BlockSize()
	if len(key) > block {
		h.Write(key)
		key = h.Sum(nil)
		h.Reset()
	}
	pad := make([]byte, block)
	copy(pad, key)
	for i := range pad {
		pad[i] ^= 0x36
	}
	h.Write(pad)
	keyed, _ := h.AppendBinary(nil)
	h.Write(prefix)
	inner, _ := h.AppendBinary(nil)
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(pad)
	outer, _ := h.AppendBinary(nil)
	m := prefixMAC{newHash: newHash, inner: inner, outer: outer, keyed: keyed,
		padded: statesGiveDigests(h), size: h.Size(), absorbed: block + len(prefix)}
	m.outerPad = m.pad(nil, block+m.size)
	return m
}

// newPrefixHash prepares a plain hash (no HMAC) of messages starting with
// prefix: start and restoreAligned work as for an HMAC, and the caller takes
// the digest with sum.
func newPrefixHash(newHash func() hash.Hash, prefix []byte) prefixMAC {
	h := newHash().(savable)
	keyed, _ := h.AppendBinary(nil)
	h.Write(prefix)
	inner, _ := h.AppendBinary(nil)
	return prefixMAC{newHash: newHash, inner: inner, keyed: keyed, padded: statesGiveDigests(h), size: h.Size(), absorbed: len(prefix)}
}

// midPool pools the midStates of one template, so that each goroutine
// signing with it has its own (and its own saved per-second state).
type midPool struct {
	newHash func() hash.Hash
	pool    sync.Pool
}

func (p *midPool) get() *midState {
	if st, ok := p.pool.Get().(*midState); ok {
		return st
	}
	return newMidState(p.newHash)
}

func (p *midPool) put(st *midState) { p.pool.Put(st) }

// midState is one goroutine's working state for a prefixMAC: a digest, its
// buffers, and the state saved after the latest per-second part (see
// restoreAligned).
type midState struct {
	in      savable
	sum     []byte // the inner digest
	mac     []byte // the HMAC
	buf     []byte
	second  []byte // the per-second value restoreAligned (or RPC's timestamp) saw last
	saved   []byte // the inner state after the whole blocks before the nonce
	encoded []byte // RPC: that timestamp, double-encoded
	state   []byte // a saved state, read for its digest
	tail    []byte // ROA, V3: what follows the saved state, padding included
	nonce   int    // where in tail the nonce goes
	length  int    // the message length tail is for
}

func newMidState(newHash func() hash.Hash) *midState {
	return &midState{in: newHash().(savable), sum: make([]byte, 0, 64), mac: make([]byte, 0, 64), buf: make([]byte, 0, 512)}
}

// start restores the inner state after the key pad and the prefix.
func (m *prefixMAC) start(st *midState) {
	_ = st.in.UnmarshalBinary(m.inner) // a state the same hash saved: cannot fail
}

// restoreAligned readies st for a message of n bytes in all (the key pad
// and prefix included) made of the prefix, value, more, a nonce and tail,
// where value changes once a second and the nonce with each message: it
// restores the state after the whole blocks before the nonce, and returns
// the rest of the message, padded (pad), with this nonce in it, to be
// written in one call. Both are kept in st while value and n stay the same;
// then a message costs copying its nonce into place.
//
// One write from a block boundary, rather than the nonce and the tail each
// on their own, lets crypto/sha1 hash its bulk with AVX2 on a CPU without
// SHA-NI: it does for a write of 256 bytes or more, and the scalar code it
// falls back to for shorter ones takes about three times as long a block.
func (m *prefixMAC) restoreAligned(st *midState, prefix, value, more, nonce, tail []byte, n int) []byte {
	if st.saved == nil || st.length != n || !bytes.Equal(st.second, value) {
		_ = st.in.UnmarshalBinary(m.keyed) // the key pad is one whole block
		st.second = append(st.second[:0], value...)
		st.buf = append(append(append(st.buf[:0], prefix...), value...), more...)
		whole := len(st.buf) &^ (st.in.BlockSize() - 1)
		st.in.Write(st.buf[:whole])
		st.saved, _ = st.in.AppendBinary(st.saved[:0])
		st.tail = append(st.tail[:0], st.buf[whole:]...)
		st.nonce = len(st.tail)
		st.tail = m.pad(append(append(st.tail, nonce...), tail...), n)
		st.length = n
		return st.tail
	}
	_ = st.in.UnmarshalBinary(st.saved)
	copy(st.tail[st.nonce:], nonce)
	return st.tail
}

// pad appends the padding of a message of n bytes in all (see
// appendPadding) when m reads its digests off the states, and nothing
// otherwise.
func (m *prefixMAC) pad(dst []byte, n int) []byte {
	if !m.padded {
		return dst
	}
	return appendPadding(dst, n)
}

// sum returns the digest of what st.in absorbed (its padding included,
// when m is padded), in st's buffers: valid until st is used again.
func (m *prefixMAC) sum(st *midState) []byte {
	if m.padded {
		return st.digest(m.size)
	}
	st.sum = st.in.Sum(st.sum[:0])
	return st.sum
}

// digest returns the digest held in the state of st.in, which has
// absorbed its message's padding.
func (st *midState) digest(size int) []byte {
	st.state, _ = st.in.AppendBinary(st.state[:0])
	return st.state[stateDigest : stateDigest+size]
}

// finish completes the HMAC of what the inner state has absorbed (padded,
// when m is) and appends it to dst.
func (m *prefixMAC) finish(st *midState, dst []byte) []byte {
	if m.padded {
		st.sum = append(append(st.sum[:0], st.digest(m.size)...), m.outerPad...)
		_ = st.in.UnmarshalBinary(m.outer)
		st.in.Write(st.sum)
		return append(dst, st.digest(m.size)...)
	}
	st.sum = st.in.Sum(st.sum[:0])
	_ = st.in.UnmarshalBinary(m.outer)
	st.in.Write(st.sum)
	return st.in.Sum(dst)
}

// sha1New and sha256New are the hash constructors the templates use.
func sha1New() hash.Hash   { return sha1.New() }
func sha256New() hash.Hash { return sha256.New() }

// appendPadding appends the padding of a message of n bytes: 0x80, the
// zeros that bring it to 56 bytes past a block boundary, and n in bits.
func appendPadding(dst []byte, n int) []byte {
	dst = append(dst, 0x80)
	dst = append(dst, make([]byte, (55-n)&63)...)
	return binary.BigEndian.AppendUint64(dst, uint64(n)<<3)
}

// stateDigest is where a saved state of crypto/sha1 or crypto/sha256
// holds its chaining value.
const stateDigest = 4

// sha1StatesGiveDigests and sha256StatesGiveDigests check, once and only
// when a template first needs it, whether each hash saves its state as sum
// reads it.
var (
	sha1StatesGiveDigests   = sync.OnceValue(func() bool { return checkStatesGiveDigests(sha1.New().(savable)) })
	sha256StatesGiveDigests = sync.OnceValue(func() bool { return checkStatesGiveDigests(sha256.New().(savable)) })
)

// statesGiveDigests reports whether h's kind of hash saves its state as
// sum reads it (false for a kind not checked).
func statesGiveDigests(h savable) bool {
	switch h.Size() {
	case sha1.Size:
		return sha1StatesGiveDigests()
	case sha256.Size:
		return sha256StatesGiveDigests()
	}
	return false
}

// checkStatesGiveDigests checks it against Sum for messages of every length
// mod 64, padding included, so that the templates use Sum with a Go whose
// hashes save something else.
func checkStatesGiveDigests(h savable) bool {
	msg := make([]byte, 0, 256)
	for n := range 130 {
		h.Reset()
		h.Write(msg[:n])
		want := h.Sum(nil)
		h.Reset()
		h.Write(appendPadding(msg[:n:n], n))
		st, err := h.AppendBinary(nil)
		if err != nil || len(st) < stateDigest+len(want) || !bytes.Equal(st[stateDigest:stateDigest+len(want)], want) {
			return false
		}
		msg = append(msg[:n], byte(n*7+1))
	}
	h.Reset()
	return true
}
