package conformance

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClockFinding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		offset time.Duration
		want   string
	}{
		{"in step", 0, ""},
		{"drifting, shifted", 30 * time.Minute, ""},
		{"at the bound", -MaxClockOffset, ""},
		{"just beyond", MaxClockOffset + time.Second, "its Date header is 1h0m1s ahead of ours"},
		{"hours behind", -2 * time.Hour, "its Date header is 2h0m0s behind ours"},
		{"days", -72 * time.Hour, "3 days behind ours"},
		{"year 1 (the offset saturates)", math.MinInt64, "at least 106751 days behind ours"},
		{"far future", math.MaxInt64, "at least 106751 days ahead of ours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ClockFinding(tc.offset)
			if tc.want == "" {
				assert.Empty(t, got, "an offset within %s is applied, not reported", MaxClockOffset)
				return
			}
			assert.Contains(t, got, "the target's clock is wrong")
			assert.Contains(t, got, tc.want)
		})
	}
}
