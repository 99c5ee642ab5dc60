//go:build race

package load

// raceEnabled: under -race, sync.Pool drops items at random, so pooled
// memory (the signers' states, the string arena's chunks) is allocated
// afresh now and then, and allocation counts are not the program's.
const raceEnabled = true
