//go:build !unix

package load

import "time"

// selfCPU cannot tell the CPU time on this platform.
func selfCPU() (time.Duration, bool) { return 0, false }
