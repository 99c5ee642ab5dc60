package gateway

import (
	"sync"
	"sync/atomic"
)

// cache is a small read-mostly map for the request path: a lookup is an
// atomic load and a map access, without a lock; a store copies the map, so
// it holds few entries that rarely change (metric children, hosts).
type cache[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex
}

func (c *cache[K, V]) load(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// store adds k unless the cache holds max entries already.
func (c *cache[K, V]) store(k K, v V, max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[K]V
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if len(old) >= max {
		return
	}
	next := make(map[K]V, len(old)+1)
	for key, val := range old {
		next[key] = val
	}
	next[k] = v
	c.m.Store(&next)
}
