package gateway

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the per-AccessKey token bucket behind Throttling.User
// (pop-spec §4). Only keys the gateway knows reach it, so it holds at most
// one bucket per configured key.
type limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time
	mu    sync.Mutex
	keys  map[string]*rate.Limiter
}

func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	if burst <= 0 {
		burst = max(1, int(perSecond))
	}
	return &limiter{rate: rate.Limit(perSecond), burst: burst, now: now, keys: map[string]*rate.Limiter{}}
}

// allow reports whether a request of k may go on now. A key's own rate
// limit, when set, replaces the gateway's.
func (l *limiter) allow(k Key) bool {
	r, burst := l.rate, l.burst
	if k.RateLimit > 0 {
		r, burst = rate.Limit(k.RateLimit), max(1, k.RateBurst)
	}
	if r <= 0 {
		return true
	}
	l.mu.Lock()
	lim, ok := l.keys[k.ID]
	if !ok {
		lim = rate.NewLimiter(r, burst)
		l.keys[k.ID] = lim
	}
	l.mu.Unlock()
	return lim.AllowN(l.now(), 1)
}
