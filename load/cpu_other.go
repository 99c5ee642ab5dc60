//go:build !linux

package load

import "time"

// cpuClockName names the clock signing is timed with: this platform has
// no per-thread CPU clock here, so a signature is timed in wall time, which
// counts a preemption in the middle of one.
const cpuClockName = "wall"

var wallStart = time.Now()

// threadCPU stands in for the thread's CPU clock with the wall clock.
func threadCPU() time.Duration { return time.Since(wallStart) }

// processCPU is not measured on this platform.
func processCPU() time.Duration { return 0 }

// selfCPU cannot tell the CPU time on this platform.
func selfCPU() (time.Duration, bool) { return 0, false }
