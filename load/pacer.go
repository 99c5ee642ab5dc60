package load

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Schedule is a vegeta Pacer that also knows when each hit was due, so
// that latency can be measured from the intended send time (no
// coordinated omission) and late hits counted.
type Schedule interface {
	vegeta.Pacer
	// Due returns when hit number n (from 0) is due, from the attack start.
	Due(n uint64) time.Duration
	// Rate returns the requested rate at elapsed, per second.
	Rate(elapsed time.Duration) float64
	// Hits returns how many hits are due by elapsed.
	Hits(elapsed time.Duration) float64
	// String describes the schedule ("2000/s", "ramp 100/s→5000/s over 1m").
	String() string
}

// ParseRate parses "2000/s", "500/1m", "2000" (per second) or "0" (as fast
// as the workers go). It returns the rate per second.
func ParseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, per, hasPer := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("rate %q: write a number of requests per unit, e.g. 2000/s, 500/1m or 0 for as fast as possible", s)
	}
	if !hasPer {
		return n, nil
	}
	unit := time.Second
	switch per {
	case "s", "1s", "sec":
	case "m", "min":
		unit = time.Minute
	case "ms":
		unit = time.Millisecond
	default:
		d, err := time.ParseDuration(per)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("rate %q: the unit after / must be s, m, ms or a duration such as 10s", s)
		}
		unit = d
	}
	return n * float64(time.Second) / float64(unit), nil
}

// Constant is a constant rate per second; 0 means as fast as possible.
type Constant struct{ PerSecond float64 }

// Pace implements vegeta.Pacer.
func (c Constant) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if c.PerSecond == 0 {
		return 0, false
	}
	return paceBy(c, elapsed, hits)
}

// Due implements Schedule.
func (c Constant) Due(n uint64) time.Duration {
	if c.PerSecond == 0 {
		return 0
	}
	return time.Duration(float64(n) / c.PerSecond * float64(time.Second))
}

// Rate implements Schedule.
func (c Constant) Rate(time.Duration) float64 { return c.PerSecond }

// Hits implements Schedule.
func (c Constant) Hits(elapsed time.Duration) float64 { return c.PerSecond * elapsed.Seconds() }

func (c Constant) String() string {
	if c.PerSecond == 0 {
		return "max"
	}
	return formatRate(c.PerSecond)
}

func formatRate(r float64) string {
	return strconv.FormatFloat(r, 'f', -1, 64) + "/s"
}

// Ramp rises linearly from From to To requests per second over Over.
type Ramp struct {
	From, To float64
	Over     time.Duration
}

func (r Ramp) slope() float64 { return (r.To - r.From) / r.Over.Seconds() }

// Rate implements Schedule.
func (r Ramp) Rate(elapsed time.Duration) float64 {
	if elapsed >= r.Over {
		return r.To
	}
	return r.From + r.slope()*elapsed.Seconds()
}

// Hits implements Schedule.
func (r Ramp) Hits(elapsed time.Duration) float64 {
	t := elapsed.Seconds()
	if elapsed <= r.Over {
		return r.From*t + r.slope()*t*t/2
	}
	o := r.Over.Seconds()
	return r.From*o + r.slope()*o*o/2 + r.To*(t-o)
}

// Due implements Schedule: the inverse of Hits.
func (r Ramp) Due(n uint64) time.Duration { return inverse(r, float64(n)) }

// Pace implements vegeta.Pacer.
func (r Ramp) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return paceBy(r, elapsed, hits)
}

func (r Ramp) String() string {
	return fmt.Sprintf("ramp %s→%s over %s", formatRate(r.From), formatRate(r.To), r.Over)
}

// Step is one stage of a Steps schedule.
type Step struct {
	PerSecond float64
	For       time.Duration
}

// Steps holds each rate for its duration in turn, then the last rate.
type Steps []Step

// Rate implements Schedule.
func (s Steps) Rate(elapsed time.Duration) float64 {
	for _, st := range s {
		if elapsed < st.For {
			return st.PerSecond
		}
		elapsed -= st.For
	}
	return s[len(s)-1].PerSecond
}

// Hits implements Schedule.
func (s Steps) Hits(elapsed time.Duration) float64 {
	h := 0.0
	for _, st := range s {
		if elapsed <= st.For {
			return h + st.PerSecond*elapsed.Seconds()
		}
		h += st.PerSecond * st.For.Seconds()
		elapsed -= st.For
	}
	return h + s[len(s)-1].PerSecond*elapsed.Seconds()
}

// Due implements Schedule.
func (s Steps) Due(n uint64) time.Duration { return inverse(s, float64(n)) }

// Pace implements vegeta.Pacer.
func (s Steps) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return paceBy(s, elapsed, hits)
}

// Total is the duration of all the steps.
func (s Steps) Total() time.Duration {
	var d time.Duration
	for _, st := range s {
		d += st.For
	}
	return d
}

func (s Steps) String() string {
	parts := make([]string, len(s))
	for i, st := range s {
		parts[i] = formatRate(st.PerSecond) + "@" + st.For.String()
	}
	return "steps " + strings.Join(parts, ",")
}

// ParseSteps parses "1000/s@30s,2000/s@30s".
func ParseSteps(spec string) (Steps, error) {
	var out Steps
	for part := range strings.SplitSeq(spec, ",") {
		r, d, ok := strings.Cut(strings.TrimSpace(part), "@")
		if !ok {
			return nil, fmt.Errorf("steps %q: write RATE@DURATION,RATE@DURATION, e.g. 1000/s@30s,2000/s@30s", spec)
		}
		rate, err := ParseRate(r)
		if err != nil {
			return nil, fmt.Errorf("steps: %w", err)
		}
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("steps %q: %q is not a positive duration", spec, d)
		}
		if rate == 0 {
			return nil, fmt.Errorf("steps %q: a step needs a positive rate", spec)
		}
		out = append(out, Step{rate, dur})
	}
	return out, nil
}

// ParseRamp parses "100/s:5000/s"; the ramp lasts over.
func ParseRamp(spec string, over time.Duration) (Ramp, error) {
	a, b, ok := strings.Cut(spec, ":")
	if !ok {
		return Ramp{}, fmt.Errorf("ramp %q: write FROM:TO, e.g. 100/s:5000/s", spec)
	}
	from, err := ParseRate(a)
	if err != nil {
		return Ramp{}, fmt.Errorf("ramp: %w", err)
	}
	to, err := ParseRate(b)
	if err != nil {
		return Ramp{}, fmt.Errorf("ramp: %w", err)
	}
	if over <= 0 {
		return Ramp{}, fmt.Errorf("ramp %q needs --duration to know how long to rise", spec)
	}
	if from == 0 && to == 0 {
		return Ramp{}, fmt.Errorf("ramp %q: at least one end must be positive", spec)
	}
	return Ramp{From: from, To: to, Over: over}, nil
}

// Scale returns s with every rate multiplied by f: a shard's share.
func Scale(s Schedule, f float64) Schedule {
	switch s := s.(type) {
	case Constant:
		return Constant{s.PerSecond * f}
	case Ramp:
		return Ramp{From: s.From * f, To: s.To * f, Over: s.Over}
	case Steps:
		out := make(Steps, len(s))
		for i, st := range s {
			out[i] = Step{st.PerSecond * f, st.For}
		}
		return out
	}
	return s
}

// paceBy implements vegeta's Pacer contract from a schedule's Hits: wait
// until the next hit is due.
func paceBy(s Schedule, elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due := s.Hits(elapsed)
	if float64(hits) < due {
		return 0, false // behind schedule: go at once
	}
	next := s.Due(hits)
	if next == never {
		// The rate has fallen to zero for good (a ramp down to 0): no hit
		// is due again. Sleeping until "never" hung the attack, as vegeta
		// checks the duration only between sleeps and Stop cannot wake it.
		return 0, true
	}
	wait := next - elapsed
	if wait <= 0 {
		return 0, false
	}
	return wait, false
}

// never is when a hit the schedule never reaches is due.
const never = time.Duration(math.MaxInt64)

// inverse finds when hit n is due by bisection on Hits, to a microsecond.
func inverse(s Schedule, n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	lo, hi := time.Duration(0), time.Second
	for s.Hits(hi) < n {
		hi *= 2
		if hi > 1000*time.Hour {
			return never // unreachable, e.g. after a ramp down to 0
		}
	}
	for hi-lo > time.Microsecond {
		mid := lo + (hi-lo)/2
		if s.Hits(mid) < n {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
