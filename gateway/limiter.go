package gateway

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the per-AccessKey token bucket behind Throttling.User
// (docs/protocol.md §4). Only keys the gateway knows reach it, so it holds at most
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

// throttle is what a throttled client is told: how long until its next
// request may pass, and the bucket it is drawn from.
type throttle struct {
	wait  time.Duration // until one request may pass again
	reset time.Duration // until the bucket is full again
	burst int
}

// allow reports whether a request of k may go on now and, when not, how
// long the key must wait. A key's own rate limit, when set, replaces the
// gateway's. A refused request takes no token.
func (l *limiter) allow(k Key) (throttle, bool) {
	r, burst := l.rate, l.burst
	if k.RateLimit > 0 {
		r, burst = rate.Limit(k.RateLimit), max(1, k.RateBurst)
	}
	if r <= 0 {
		return throttle{}, true
	}
	l.mu.Lock()
	lim, ok := l.keys[k.ID]
	if !ok {
		lim = rate.NewLimiter(r, burst)
		l.keys[k.ID] = lim
	}
	l.mu.Unlock()
	now := l.now()
	res := lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	if wait == 0 {
		return throttle{}, true
	}
	res.CancelAt(now)
	// After the cancel the bucket is short of 1 - tokens; it refills at r.
	missing := float64(burst) - lim.TokensAt(now)
	return throttle{wait: wait, reset: time.Duration(missing / float64(r) * float64(time.Second)), burst: burst}, false
}

// Throttling headers (docs/protocol.md §4, §9 F14): the aliyun CLI backs off for
// x-acs-retry-after milliseconds; darabonba for the TimeLeft (milliseconds)
// of x-ratelimit-user or x-ratelimit-user-api, "Limit:1,Remain:0,
// TimeLeft:2000,Reset:1234". The gateway limits per key (user), so it sends
// x-ratelimit-user; Limit is the key's burst and Reset the milliseconds
// until its bucket is full again ([INF]: the real fields' units are not
// documented beyond TimeLeft).
const (
	HeaderRetryAfter    = "X-Acs-Retry-After"
	HeaderRateLimitUser = "X-Ratelimit-User"
)

// set writes the throttling headers; times round up to whole milliseconds,
// so that a client never retries early.
func (t throttle) set(h http.Header) {
	ms := func(d time.Duration) string {
		return strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10)
	}
	h.Set(HeaderRetryAfter, ms(t.wait))
	h.Set(HeaderRateLimitUser, "Limit:"+strconv.Itoa(t.burst)+",Remain:0,TimeLeft:"+ms(t.wait)+",Reset:"+ms(max(t.reset, t.wait)))
}
