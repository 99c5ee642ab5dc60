package load

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuClockName names the clock signing is timed with.
const cpuClockName = "thread-cpu"

// threadCPU is the CPU time of the calling thread, to the nanosecond
// (CLOCK_THREAD_CPUTIME_ID). Read around a signature on a locked thread, it
// counts the signer's own work and none of the time the goroutine waited
// for a CPU, a lock or the scheduler.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfCPU returns the CPU time, user and system, this process has used, and
// whether it could be read.
func selfCPU() (time.Duration, bool) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
