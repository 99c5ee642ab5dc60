// Package race tells a test whether its binary was built with the race
// detector, so that the few tests the detector breaks or slows tenfold run
// where they mean something: `make test` runs every test under -race, then
// the tests that skip themselves there (Skip) once more without it. The
// Makefile lists them in NORACE_TESTS; TestMakefileListsEverySkip keeps the
// list in step with the code.
package race

import "testing"

// Skip skips t in a -race build, saying why. For an allocation budget (the
// race detector allocates, and sync.Pool drops items at random under it) or a
// CPU-heavy test of pure logic, one goroutine's arithmetic that the detector
// only slows: make test runs it in its pass without -race.
func Skip(t testing.TB, why string) {
	t.Helper()
	if Enabled {
		t.Skipf("skipped under -race (%s): make test runs it in its pass without -race", why)
	}
}
