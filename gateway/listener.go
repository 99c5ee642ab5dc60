package gateway

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// limitListener caps the connections open at once. A connection beyond the
// cap is closed as soon as it is accepted: the client learns at once, and
// the connections already open keep being served, where a listener that
// stops accepting (golang.org/x/net/netutil.LimitListener) would leave new
// clients, valid ones included, waiting in the kernel's backlog until a
// slow one let go (issue 9: at 20,000 slowloris connections the process hit
// its file limit and valid requests waited up to 7.7 s).
type limitListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	refused prometheus.Counter
}

func newLimitListener(ln net.Listener, maxConns int, refused prometheus.Counter) *limitListener {
	return &limitListener{Listener: ln, max: int64(maxConns), refused: refused}
}

// Accept returns the next connection within the cap, closing those beyond.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			_ = c.Close()
			if l.refused != nil {
				l.refused.Inc()
			}
			continue
		}
		return &limitConn{Conn: c, l: l}, nil
	}
}

// limitConn gives its place back when it is closed, once.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}
