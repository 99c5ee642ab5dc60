package signature

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding"
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

// savable is a hash whose state can be saved and restored.
type savable interface {
	hash.Hash
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// prefixMAC is an HMAC keyed once, over messages that all begin with one
// prefix: the saved inner state has absorbed the key pad and the prefix, the
// saved outer state its key pad.
type prefixMAC struct {
	newHash func() hash.Hash
	inner   []byte
	outer   []byte
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
	h.Write(prefix)
	inner, _ := h.AppendBinary(nil)
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(pad)
	outer, _ := h.AppendBinary(nil)
	return prefixMAC{newHash: newHash, inner: inner, outer: outer}
}

// newPrefixHash prepares a plain hash (no HMAC) of messages starting with
// prefix: start and restoreSecond work as for an HMAC, and the caller takes
// the digest with st.in.Sum.
func newPrefixHash(newHash func() hash.Hash, prefix []byte) prefixMAC {
	h := newHash().(savable)
	h.Write(prefix)
	inner, _ := h.AppendBinary(nil)
	return prefixMAC{newHash: newHash, inner: inner}
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

// midState is one goroutine's working state for a prefixMAC: two digests,
// a sum buffer, a scratch buffer, and the state saved after the latest
// per-second part (see restoreSecond).
type midState struct {
	in, out savable
	sum     []byte // the inner digest
	mac     []byte // the HMAC
	buf     []byte
	second  []byte // the per-second value restoreSecond (or RPC's timestamp) saw last
	saved   []byte // the inner state after it
	encoded []byte // RPC: that timestamp, double-encoded
}

func newMidState(newHash func() hash.Hash) *midState {
	return &midState{in: newHash().(savable), out: newHash().(savable), sum: make([]byte, 0, 64), mac: make([]byte, 0, 64), buf: make([]byte, 0, 512)}
}

// start restores the inner state after the key pad and the prefix.
func (m *prefixMAC) start(st *midState) {
	_ = st.in.UnmarshalBinary(m.inner) // a state the same hash saved: cannot fail
}

// restoreSecond restores the inner state after the prefix, value and then
// more: value changes once a second (a Date or an x-acs-date), so the state
// after it is saved in st and restored while value stays the same.
func (m *prefixMAC) restoreSecond(st *midState, value, more []byte) {
	if st.saved != nil && bytes.Equal(st.second, value) {
		_ = st.in.UnmarshalBinary(st.saved)
		return
	}
	m.start(st)
	// Written from st's own copies: a Write through the hash interface
	// would make the caller's buffers escape (a nonce on its stack).
	st.second = append(st.second[:0], value...)
	st.in.Write(st.second)
	st.in.Write(more)
	st.saved, _ = st.in.AppendBinary(st.saved[:0])
}

// write absorbs p through st's buffer, so that p does not escape.
func (st *midState) write(p []byte) {
	st.buf = append(st.buf[:0], p...)
	st.in.Write(st.buf)
}

// finish completes the HMAC of what the inner state has absorbed and
// appends it to dst.
func (m *prefixMAC) finish(st *midState, dst []byte) []byte {
	st.sum = st.in.Sum(st.sum[:0])
	_ = st.out.UnmarshalBinary(m.outer)
	st.out.Write(st.sum)
	return st.out.Sum(dst)
}

// sha1New and sha256New are the hash constructors the templates use.
func sha1New() hash.Hash   { return sha1.New() }
func sha256New() hash.Hash { return sha256.New() }
