package signature

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync/atomic"
)

// NonceSize is the length of the nonces a [NonceSource] makes: 32 lowercase
// hex characters, the shape both official SDKs send (docs/protocol.md §1.1).
const NonceSize = 32

// NonceSource makes nonces that are unique across processes and time without
// coordination: a 64-bit prefix fixed per source (random, or carrying a
// shard number so that shards never overlap) followed by a 64-bit counter.
// It is safe for concurrent use and allocates nothing per nonce.
type NonceSource struct {
	prefix [16]byte // hex of the 64-bit prefix
	n      atomic.Uint64
}

// NewNonceSource returns a source with a random prefix and a counter
// starting at a random point.
func NewNonceSource() *NonceSource {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := &NonceSource{}
	hex.Encode(s.prefix[:], b[:8])
	s.n.Store(binary.BigEndian.Uint64(b[8:]) >> 1)
	return s
}

// NewShardNonceSource returns a source whose nonces no other shard of the
// same run can produce: the prefix holds the shard index in its top 16 bits
// and the run's random identifier in the other 48, so two shards of one run
// differ in the prefix, whatever their counters.
func NewShardNonceSource(shard uint16, run uint64) *NonceSource {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(shard)<<48|run&(1<<48-1))
	s := &NonceSource{}
	hex.Encode(s.prefix[:], b[:])
	return s
}

// Append appends a fresh nonce to dst.
func (s *NonceSource) Append(dst []byte) []byte {
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], s.n.Add(1))
	dst = append(dst, s.prefix[:]...)
	return hex.AppendEncode(dst, c[:])
}

// Next returns a fresh nonce.
func (s *NonceSource) Next() string {
	var b [NonceSize]byte
	return string(s.Append(b[:0]))
}
