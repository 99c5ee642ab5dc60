//go:build !amd64 && !arm64

package gateway

import "unsafe"

// prefetch does nothing where no prefetch instruction is wired (see
// prefetch.go).
func prefetch(unsafe.Pointer) {}
