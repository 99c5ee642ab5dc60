//go:build !unix

package gateway

// openFileLimit returns 0: the limit of open files is not read here.
func openFileLimit() int { return 0 }
