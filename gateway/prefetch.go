//go:build amd64 || arm64

package gateway

import "unsafe"

// prefetch asks the CPU to bring the cache line at p into its caches
// without waiting for it (PREFETCHT0, PRFM PLDL1KEEP): the request goes on
// while the line, and the page walk that finds it, arrive. It never
// faults, whatever p.
//
//go:noescape
func prefetch(p unsafe.Pointer)
