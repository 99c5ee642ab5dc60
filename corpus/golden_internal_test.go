package corpus

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A vector's wire_url: an absolute one matches byte for byte; a path-only
// one (one client's wire form) carries the same parameters, however encoded.
func TestSameWire(t *testing.T) {
	t.Parallel()
	const ours = "https://h/?A=a+b&B=%2A"
	for _, tc := range []struct {
		wire string
		ok   bool
	}{
		{ours, true},
		{"https://h/?A=a%20b&B=%2A", false}, // absolute: byte for byte
		{"/?A=a%20b&B=*", true},             // %20 for a space, a raw '*': the same parameters
		{"/?B=%2A&A=a+b", true},
		{"/?A=a+b", false},
		{"/?A=a+c&B=%2A", false},
		{"/x?A=a+b&B=%2A", false},
		{"/?A=%zz", false},
	} {
		err := sameWire(ours, tc.wire)
		if tc.ok {
			assert.NoError(t, err, tc.wire)
		} else {
			assert.Error(t, err, tc.wire)
		}
	}
}
