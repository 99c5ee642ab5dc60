package load

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"2000/s", 2000},
		{"2000", 2000},
		{" 50/s ", 50},
		{"500/1m", 500.0 / 60},
		{"60/m", 1},
		{"60/min", 1},
		{"3/ms", 3000},
		{"10/10s", 1},
		{"1/1s", 1},
		{"5/sec", 5},
		{"0", 0},
		{"0/s", 0},
		{"0.5/s", 0.5},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRate(tc.in)
			require.NoError(t, err)
			assert.InDelta(t, tc.want, got, 1e-9, "requests per second of %q", tc.in)
		})
	}
	for _, tc := range []struct{ in, msg string }{
		{"", "requests per unit, e.g. 2000/s"},
		{"fast", "requests per unit, e.g. 2000/s"},
		{"-5/s", "requests per unit, e.g. 2000/s"},
		{"/s", "requests per unit, e.g. 2000/s"},
		{"inf", "requests per unit, e.g. 2000/s"},
		{"NaN/s", "requests per unit, e.g. 2000/s"},
		{"1e400", "requests per unit, e.g. 2000/s"},
		{"100/h", "unit after / must be s, m, ms or a duration such as 10s"},
		{"100/0s", "unit after / must be s, m, ms or a duration such as 10s"},
		{"100/-1s", "unit after / must be s, m, ms or a duration such as 10s"},
		{"100/", "unit after / must be s, m, ms or a duration such as 10s"},
	} {
		t.Run("bad "+tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRate(tc.in)
			require.Error(t, err, "%q must not parse as a rate", tc.in)
			assert.Contains(t, err.Error(), tc.msg, "the message shows the fix")
		})
	}
}

func TestParseSteps(t *testing.T) {
	t.Parallel()
	got, err := ParseSteps("1000/s@30s, 2000/s@1m,500/1m@10s")
	require.NoError(t, err)
	assert.Equal(t, Steps{{1000, 30 * time.Second}, {2000, time.Minute}, {500.0 / 60, 10 * time.Second}}, got)
	assert.Equal(t, 100*time.Second, got.Total())
	assert.Equal(t, "steps 1000/s@30s,2000/s@1m0s,8.333333333333334/s@10s", got.String())

	for _, tc := range []struct{ in, msg string }{
		{"", "RATE@DURATION"},
		{"1000/s", "RATE@DURATION"},
		{"1000/s@30s,", "RATE@DURATION"},
		{"x@30s", "steps: rate"},
		{"1000/s@", "not a positive duration"},
		{"1000/s@soon", "not a positive duration"},
		{"1000/s@-1s", "not a positive duration"},
		{"0@10s", "positive rate"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSteps(tc.in)
			require.Error(t, err, "%q must not parse as steps", tc.in)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestParseRamp(t *testing.T) {
	t.Parallel()
	got, err := ParseRamp("100/s:5000/s", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, Ramp{From: 100, To: 5000, Over: time.Minute}, got)
	assert.Equal(t, "ramp 100/s→5000/s over 1m0s", got.String())
	down, err := ParseRamp("100/s:0", 10*time.Second)
	require.NoError(t, err, "a ramp down to zero is allowed")
	assert.Equal(t, Ramp{From: 100, To: 0, Over: 10 * time.Second}, down)

	for _, tc := range []struct {
		in   string
		over time.Duration
		msg  string
	}{
		{"100/s", time.Minute, "FROM:TO"},
		{"x:100/s", time.Minute, "ramp: rate"},
		{"100/s:y", time.Minute, "ramp: rate"},
		{"100/s:200/s", 0, "needs --duration"},
		{"0:0", time.Minute, "at least one end"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRamp(tc.in, tc.over)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// schedules are one of each kind, for the properties every schedule keeps.
var schedules = []struct {
	name string
	s    Schedule
}{
	{"constant", Constant{200}},
	{"fractional", Constant{0.5}},
	{"ramp up", Ramp{From: 10, To: 1000, Over: 5 * time.Second}},
	{"ramp from zero", Ramp{From: 0, To: 400, Over: 2 * time.Second}},
	{"ramp down", Ramp{From: 500, To: 50, Over: 3 * time.Second}},
	{"steps", Steps{{100, time.Second}, {1000, 2 * time.Second}, {10, time.Second}}},
}

func TestScheduleDueAndHitsAreInverse(t *testing.T) {
	t.Parallel()
	for _, tc := range schedules {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prev := time.Duration(-1)
			for n := uint64(0); n < 3000; n += 7 {
				due := tc.s.Due(n)
				assert.GreaterOrEqual(t, due, prev, "Due must not decrease (hit %d)", n)
				prev = due
				// Bisection is to a microsecond: the hits due by then are n
				// within what the rate makes of a microsecond.
				tol := max(tc.s.Rate(due), 1)*2e-6 + 1e-9
				assert.InDelta(t, float64(n), tc.s.Hits(due), tol, "Hits(Due(%d)) = Hits(%s)", n, due)
			}
			for _, el := range []time.Duration{0, time.Millisecond, 250 * time.Millisecond, time.Second, 3500 * time.Millisecond, 8 * time.Second} {
				h := tc.s.Hits(el)
				n := uint64(math.Ceil(h))
				assert.GreaterOrEqual(t, tc.s.Due(n)+time.Microsecond, el, "hit %d is due no earlier than %s, when %.3f hits are due", n, el, h)
				if n > 0 {
					assert.LessOrEqual(t, tc.s.Due(n-1), el+time.Microsecond, "hit %d is due by %s", n-1, el)
				}
			}
		})
	}
}

func TestSchedulePaceWaitsUntilDueAndNeverStops(t *testing.T) {
	t.Parallel()
	for _, tc := range schedules {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Simulate an attacker that always sleeps as told: every hit
			// goes exactly when due, never before.
			var elapsed time.Duration
			for hits := uint64(0); hits < 2000; hits++ {
				wait, stop := tc.s.Pace(elapsed, hits)
				require.False(t, stop, "a schedule never stops by itself (hit %d at %s)", hits, elapsed)
				require.GreaterOrEqual(t, wait, time.Duration(0))
				elapsed += wait
				assert.GreaterOrEqual(t, elapsed+time.Microsecond, tc.s.Due(hits), "hit %d sent at %s before it is due", hits, elapsed)
				assert.LessOrEqual(t, elapsed, tc.s.Due(hits)+time.Microsecond, "hit %d sent at %s, later than due", hits, elapsed)
			}
			// Behind schedule: go at once.
			wait, stop := tc.s.Pace(tc.s.Due(100)+time.Second, 50)
			assert.Zero(t, wait, "a late attacker sends at once")
			assert.False(t, stop)
			// Long after any end of a ramp or steps: still pacing.
			_, stop = tc.s.Pace(time.Hour, uint64(tc.s.Hits(time.Hour)))
			assert.False(t, stop)
		})
	}
}

func TestConstantPace(t *testing.T) {
	t.Parallel()
	c := Constant{100}
	for _, tc := range []struct {
		elapsed time.Duration
		hits    uint64
		want    time.Duration
	}{
		{0, 0, 0},
		{0, 1, 10 * time.Millisecond},
		{5 * time.Millisecond, 1, 5 * time.Millisecond},
		{10 * time.Millisecond, 1, 0},
		{time.Second, 50, 0},
		{time.Second, 100, 0},
		{time.Second, 101, 10 * time.Millisecond},
	} {
		wait, stop := c.Pace(tc.elapsed, tc.hits)
		assert.False(t, stop)
		assert.InDelta(t, tc.want, wait, float64(time.Microsecond), "Pace(%s, %d)", tc.elapsed, tc.hits)
	}
	wait, stop := Constant{0}.Pace(time.Second, 1e6)
	assert.Zero(t, wait, "rate 0 goes as fast as the workers")
	assert.False(t, stop)
	assert.Zero(t, Constant{0}.Due(1000))
	assert.Equal(t, "max", Constant{0}.String())
	assert.Equal(t, "2000/s", Constant{2000}.String())
}

// A ramp down to zero ends its hits when the ramp ends: after the last hit
// the next is never due. Pace must say so rather than sleep for a thousand
// hours, which hung the attack (vegeta checks the duration only between
// sleeps, and Stop cannot wake it).
func TestRampToZeroEnds(t *testing.T) {
	t.Parallel()
	r := Ramp{From: 100, To: 0, Over: 10 * time.Second}
	assert.InDelta(t, 500, r.Hits(10*time.Second), 1e-9)
	assert.InDelta(t, 500, r.Hits(time.Hour), 1e-9, "no hit is due after the ramp")
	assert.InDelta(t, 0, r.Rate(time.Minute), 0)
	last := uint64(math.Round(r.Hits(r.Over))) // hit n is due when n hits are
	wait, stop := r.Pace(r.Due(last), last)
	assert.False(t, stop)
	assert.Less(t, wait, time.Millisecond)
	wait, stop = r.Pace(r.Over, last+1)
	assert.True(t, stop, "no hit %d is ever due: the schedule has ended", last+1)
	assert.Zero(t, wait)
}

func TestScale(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   Schedule
		f    float64
		want Schedule
	}{
		{"constant", Constant{900}, 1.0 / 3, Constant{300}},
		{"max stays max", Constant{0}, 0.25, Constant{0}},
		{"ramp", Ramp{From: 100, To: 400, Over: time.Minute}, 0.5, Ramp{From: 50, To: 200, Over: time.Minute}},
		{"steps", Steps{{1000, time.Second}, {2000, 2 * time.Second}}, 0.25, Steps{{250, time.Second}, {500, 2 * time.Second}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Scale(tc.in, tc.f)
			assert.Equal(t, tc.want, got)
			for _, el := range []time.Duration{time.Second, 3 * time.Second, time.Minute} {
				assert.InDelta(t, tc.in.Hits(el)*tc.f, got.Hits(el), 1e-6, "a shard's hits are its share of the whole")
			}
		})
	}
	// N shards of a schedule send, together, what the whole would.
	whole := Steps{{900, time.Second}, {300, time.Second}}
	sum := 0.0
	for range 3 {
		sum += Scale(whole, Shard{0, 3}.Share()).Hits(2 * time.Second)
	}
	assert.InDelta(t, whole.Hits(2*time.Second), sum, 1e-9)
}
