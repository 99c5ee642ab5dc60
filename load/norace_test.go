//go:build !race

package load

// raceEnabled: see race_test.go.
const raceEnabled = false
