//go:build race

package gateway_test

// raceEnabled is true in a test binary built with -race, under which
// sync.Pool drops items at random: the allocation budgets (alloc_test.go)
// hold only without it (go test ./gateway/ runs them; make test's -race
// skips them).
const raceEnabled = true
