package gateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawConn dials addr; every read and write is bounded so that a hang fails
// the test rather than stalling it.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(20*time.Second)))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readEnvelope reads one HTTP response from c and decodes its JSON error
// envelope.
func readEnvelope(t *testing.T, c net.Conn) (*http.Response, map[string]string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err, "an answer, not a closed connection")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	env := map[string]string{}
	require.NoError(t, json.Unmarshal(body, &env), "a JSON envelope: %s", body)
	return resp, env
}

// TestSlowBodyGetsAnEnvelope: a body trickled in slower than the body
// timeout, or a chunked body that stops mid-chunk, is answered 408
// RequestTimeout with an envelope before the write timeout closes the
// connection (issue 9: with both timeouts at 30 s the answer could never be
// written). The timeouts are shortened for the test; the sizes say nothing
// of speed.
func TestSlowBodyGetsAnEnvelope(t *testing.T) {
	t.Parallel()
	l, err := StartLocal(Config{BodyTimeout: 300 * time.Millisecond, WriteTimeout: 3 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	addr := strings.TrimPrefix(l.URL, "http://")
	head := "POST / HTTP/1.1\r\nHost: amqp-open.cn-hangzhou.aliyuncs.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	for _, tc := range []struct {
		name string
		send func(c net.Conn)
	}{
		{"trickled body", func(c net.Conn) {
			_, _ = io.WriteString(c, head+"Content-Length: 1000\r\n\r\n")
			// A byte every 50 ms: 1000 bytes would take 50 s. The
			// writes stop when the server answers and closes.
			for range 200 {
				if _, err := io.WriteString(c, "a"); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}},
		{"chunked body stopped mid-chunk", func(c net.Conn) {
			_, _ = io.WriteString(c, head+"Transfer-Encoding: chunked\r\n\r\n10\r\nAction=List")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawConn(t, addr)
			go tc.send(c)
			resp, env := readEnvelope(t, c)
			assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
			assert.Equal(t, CodeBodyTimeout, env["Code"])
			assert.Equal(t, "The request body did not arrive within 300ms.", env["Message"])
			assert.Regexp(t, upperUUID, env["RequestId"])
			assert.Equal(t, env["RequestId"], resp.Header.Get(HeaderRequestID))
		})
	}
	_, err = New(Config{BodyTimeout: time.Minute, WriteTimeout: 30 * time.Second})
	assert.ErrorContains(t, err, "body_timeout 1m0s must be positive and shorter than write_timeout 30s")
}

// TestMaxConns: beyond --max-conns a connection is closed at once, the
// connections already open keep being served, and a place freed is taken
// again (issue 9, hostile traffic).
func TestMaxConns(t *testing.T) {
	t.Parallel()
	g, err := New(Config{})
	require.NoError(t, err)
	addr, metricsAddr, stop := startServe(t, g, ServeOptions{Addr: "127.0.0.1:0", MaxConns: 2, MetricsAddr: "127.0.0.1:0"})
	defer func() { assert.NoError(t, stop()) }()

	healthz := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	ok := func(c net.Conn) {
		t.Helper()
		_, err := io.WriteString(c, healthz)
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, "an open connection is served")
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
	}
	first, second := rawConn(t, addr), rawConn(t, addr)
	ok(first)
	ok(second)

	third := rawConn(t, addr)
	_, _ = io.WriteString(third, healthz)
	n, err := third.Read(make([]byte, 1))
	assert.Equal(t, 0, n, "the connection beyond the cap gets nothing")
	require.Error(t, err, "and is closed at once (EOF or reset), not left waiting")
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "closed, not timed out: %v", err)

	ok(first) // still served
	require.NoError(t, second.Close())
	// The server notices the close when it next reads the connection;
	// retry a few times for the place to come free (bounded, no timing
	// asserted).
	var served bool
	for range 50 {
		c := rawConn(t, addr)
		if _, err := io.WriteString(c, healthz); err == nil {
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				resp.Body.Close()
				served = resp.StatusCode == 200
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.True(t, served, "a place freed is taken again")
	assert.GreaterOrEqual(t, testutil.ToFloat64(g.metrics.refused), 1.0, "refusals are counted")

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "acsharness_gateway_connections_refused_total")
}

func TestMaxConnsDefault(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 7, maxConns(7), "a setting wins")
	limit := openFileLimit()
	want := DefaultMaxConns
	if limit > 0 && limit/2 < want {
		want = limit / 2
	}
	assert.Equal(t, want, maxConns(0), "the default is well under the open-file limit %d", limit)
	if limit > 0 {
		assert.Less(t, maxConns(0), limit, fmt.Sprintf("the default cap stays under the file limit %d", limit))
	}
}

// TestMetricsServerTimeouts: the metrics listener closes idle keep-alive
// connections like the API listener (issue 9), and bounds slow requests.
func TestMetricsServerTimeouts(t *testing.T) {
	t.Parallel()
	g, err := New(Config{})
	require.NoError(t, err)
	m := NewMetricsServer(g.Registry())
	api := newHTTPServer(g)
	assert.Equal(t, api.IdleTimeout, m.IdleTimeout, "the API listener's idle timeout")
	assert.Positive(t, m.IdleTimeout)
	assert.Equal(t, api.ReadHeaderTimeout, m.ReadHeaderTimeout)
	assert.Positive(t, m.WriteTimeout)
	assert.Greater(t, api.WriteTimeout, g.cfg.BodyTimeout, "the body deadline comes before the write deadline")
}
