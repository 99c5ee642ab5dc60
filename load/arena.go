package load

import (
	"sync"
	"unsafe"
)

// arenaChunkSize is the size of the chunks a stringArena carves strings
// from: about fifty signed URLs.
const arenaChunkSize = 16 << 10

// stringArena makes strings out of shared chunks of memory rather than one
// allocation each: the targeter's signed URLs and header values, one per
// request, cost one allocation per chunk instead. A string keeps its whole
// chunk alive until the garbage collector finds none of the chunk's
// strings in use (a result is read and dropped within moments, so a chunk
// lives as long as its last request is in flight). A chunk's bytes are
// written once, past every string cut from it, by one goroutine at a time
// (the pool hands a chunk to one caller), so the strings never change.
// The zero value is ready; it is safe for concurrent use.
type stringArena struct {
	chunks sync.Pool // *arenaChunk
}

type arenaChunk struct{ b []byte }

// String returns a string holding a copy of b.
func (a *stringArena) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaChunkSize/8 {
		return string(b)
	}
	c, _ := a.chunks.Get().(*arenaChunk)
	if c == nil || cap(c.b)-len(c.b) < len(b) {
		c = &arenaChunk{b: make([]byte, 0, arenaChunkSize)}
	}
	off := len(c.b)
	c.b = append(c.b, b...)
	s := unsafe.String(&c.b[off], len(b))
	a.chunks.Put(c)
	return s
}
