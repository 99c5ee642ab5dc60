package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Access log formats: the lines of log/slog's JSON and text handlers.
const (
	AccessLogJSON = "json"
	AccessLogText = "text"
)

// Defaults of an AccessLog.
const (
	// DefaultAccessLogBuffer is how many records wait to be written at
	// most: over a second of a busy gateway's requests.
	DefaultAccessLogBuffer = 1 << 15
	// DefaultAccessLogFlush is how often the waiting records are written.
	DefaultAccessLogFlush = 100 * time.Millisecond
)

// AccessLogOptions configure NewAccessLog.
type AccessLogOptions struct {
	// Format is AccessLogJSON (the default) or AccessLogText.
	Format string
	// Buffer is how many records wait to be written at most; 0 means
	// DefaultAccessLogBuffer. A request that finds it full drops its
	// record, counted in Dropped and in the gateway's
	// acsharness_gateway_access_log_dropped_total: it never waits.
	Buffer int
	// Flush is how often the waiting records are written, as one write;
	// 0 means DefaultAccessLogFlush. A buffer half full is written at once.
	Flush time.Duration
}

// AccessLog is the gateway's access log written off the request path: a
// request formats its line and appends it to a bounded buffer, and goes on;
// a goroutine writes the lines waiting, every Flush or when the buffer is
// half full, in writes of about 64 KiB. The lines are those of log/slog's
// JSON or text handler, byte for byte (time, level INFO, msg "request",
// then the request's fields), without slog's cost per record: slog
// formatted and wrote each record on the request path, 10% of a served
// request (issue 13). A line is formatted by the request it logs, while
// the strings it holds are in the caches: formatted later by the writer, a
// batch's records pointed at memory long since evicted, and the writer
// waited on it for every field. Close writes every line accepted before it
// returns, so nothing is lost on shutdown; a record that finds the buffer
// full, or arrives after Close, is dropped and counted. Use one AccessLog
// for one gateway.
type AccessLog struct {
	w        io.Writer
	text     bool
	capacity int // lines
	flush    time.Duration

	mu      sync.Mutex
	pending []byte // the lines waiting, formatted
	lines   int    // how many
	closed  bool

	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
	err     error                       // the first write error, read after done
	stamp   atomic.Pointer[secondStamp] // the last second formatted
}

// accessRecord is one request's line, as observed. No secret, signature,
// nonce or query string is ever in it.
type accessRecord struct {
	time                                      time.Time
	requestID, remote, method, path, host     string
	style, product, action, accessKey, result string
	duration                                  time.Duration
}

// NewAccessLog starts an access log writing to w, from its own goroutine:
// a w shared with other writers (stderr with the server's messages) must
// take concurrent writes, as an os.File does. Close it once the gateway is
// done serving.
func NewAccessLog(w io.Writer, o AccessLogOptions) (*AccessLog, error) {
	if o.Format == "" {
		o.Format = AccessLogJSON
	}
	if o.Format != AccessLogJSON && o.Format != AccessLogText {
		return nil, fmt.Errorf("access log format %q: use %s or %s", o.Format, AccessLogJSON, AccessLogText)
	}
	if o.Buffer < 0 || o.Flush < 0 {
		return nil, errors.New("access log buffer and flush interval must not be negative")
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultAccessLogBuffer
	}
	if o.Flush == 0 {
		o.Flush = DefaultAccessLogFlush
	}
	l := &AccessLog{w: w, text: o.Format == AccessLogText, capacity: o.Buffer, flush: o.Flush,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	return l, nil
}

// Dropped returns how many records were dropped: the buffer was full, a
// write failed, or the record came after Close.
func (l *AccessLog) Dropped() uint64 { return l.dropped.Load() }

// Close writes every record waiting and stops the log. It returns the first
// write error met, if any. Calling it again does nothing more.
func (l *AccessLog) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.stop)
	})
	<-l.done
	return l.err
}

// maxInlineLine is the room for one line on the request's stack: a
// longer one (a long path or host) is formatted on the heap.
const maxInlineLine = 512

// add formats one record's line and queues it, without waiting.
func (l *AccessLog) add(r *accessRecord) {
	var buf [maxInlineLine]byte
	line := l.appendRecord(buf[:0], r)
	l.mu.Lock()
	if l.closed || l.lines >= l.capacity {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	l.pending = append(l.pending, line...)
	l.lines++
	n := l.lines
	l.mu.Unlock()
	if n == l.capacity/2 {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// run writes the waiting lines every flush interval, when kicked, and a
// last time when stopped.
func (l *AccessLog) run() {
	defer close(l.done)
	t := time.NewTicker(l.flush)
	defer t.Stop()
	var spare []byte
	for {
		stopping := false
		select {
		case <-t.C:
		case <-l.kick:
		case <-l.stop:
			stopping = true
		}
		l.mu.Lock()
		batch := l.pending
		l.pending, l.lines = spare[:0], 0
		l.mu.Unlock()
		l.write(batch)
		// The buffer is kept for the next batch, so that it does not grow
		// again from nothing each time; one four times larger than the
		// batch it held, a past burst's, goes back to the collector.
		spare = batch
		if cap(spare) > 4*max(len(batch), accessLogChunk) {
			spare = nil
		}
		if stopping {
			return
		}
	}
}

// accessLogChunk is about the size of one write.
const accessLogChunk = 64 << 10

// write writes batch in chunks of whole lines of about accessLogChunk;
// the lines of a failed write count as dropped.
func (l *AccessLog) write(batch []byte) {
	for len(batch) > 0 {
		n := len(batch)
		if n > accessLogChunk {
			n = bytes.LastIndexByte(batch[:accessLogChunk], '\n') + 1
			if n == 0 { // one line longer than a chunk
				n = bytes.IndexByte(batch, '\n') + 1
			}
		}
		if w, err := l.w.Write(batch[:n]); err != nil {
			l.dropped.Add(uint64(bytes.Count(batch[min(max(w, 0), n):n], []byte{'\n'})))
			if l.err == nil {
				l.err = err
			}
		}
		batch = batch[n:]
	}
}

// appendRecord appends r's line as slog's JSON or text handler writes
// Logger.LogAttrs(ctx, slog.LevelInfo, "request", ...) of its fields.
func (l *AccessLog) appendRecord(b []byte, r *accessRecord) []byte {
	if l.text {
		b = append(b, "time="...)
		b = l.appendTime(b, r.time, true)
		b = append(b, " level=INFO msg=request"...)
	} else {
		b = append(b, `{"time":"`...)
		b = l.appendTime(b, r.time, false)
		b = append(b, `","level":"INFO","msg":"request"`...)
	}
	b = l.appendString(b, "request_id", r.requestID)
	b = l.appendString(b, "remote", r.remote)
	b = l.appendString(b, "method", r.method)
	b = l.appendString(b, "path", r.path)
	b = l.appendString(b, "host", r.host)
	b = l.appendString(b, "style", r.style)
	b = l.appendString(b, "product", r.product)
	b = l.appendString(b, "action", r.action)
	b = l.appendString(b, "access_key_id", r.accessKey)
	b = l.appendString(b, "result", r.result)
	if l.text {
		b = append(append(b, " duration="...), r.duration.String()...)
		return append(b, '\n')
	}
	b = strconv.AppendInt(append(b, `,"duration":`...), int64(r.duration), 10)
	return append(b, '}', '\n')
}

// appendString appends one attribute; key needs no quoting.
func (l *AccessLog) appendString(b []byte, key, v string) []byte {
	if !l.text {
		b = append(append(append(b, ',', '"'), key...), '"', ':')
		return appendJSONQuoted(b, v, false)
	}
	b = append(append(append(b, ' '), key...), '=')
	if textNeedsQuoting(v) {
		return strconv.AppendQuote(b, v)
	}
	return append(b, v...)
}

// textNeedsQuoting reports whether slog's text handler quotes s: when it is
// empty, or holds a space, '=', a quote, a control byte, invalid UTF-8, or
// a rune unicode counts as space or not printable.
func textNeedsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != '\\' && (c <= ' ' || c == '=' || c == '"') {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// secondStamp is one second of one zone, formatted: the date and time,
// 2006-01-02T15:04:05, and the zone, Z or -07:00.
type secondStamp struct {
	sec      int64
	loc      *time.Location
	datetime string
	zone     string
}

// appendTime appends t as slog's handlers write times: RFC 3339 with the
// nanoseconds, trailing zeros cut (JSON), or exactly three digits of
// milliseconds (text). The date, time and zone are formatted once per
// second and zone, and kept: time.Time.AppendFormat was a third of a line's
// cost (issue 13).
func (l *AccessLog) appendTime(b []byte, t time.Time, millis bool) []byte {
	if y := t.Year(); y < 0 || y > 9999 { // not four digits
		if millis {
			return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		}
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	s := l.stamp.Load()
	if s == nil || s.sec != t.Unix() || s.loc != t.Location() {
		full := t.Truncate(time.Second).Format(time.RFC3339)
		s = &secondStamp{sec: t.Unix(), loc: t.Location(), datetime: full[:19], zone: full[19:]}
		l.stamp.Store(s)
	}
	b = append(b, s.datetime...)
	ns := t.Nanosecond()
	switch {
	case millis:
		ms := ns / 1e6
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	case ns != 0:
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, s.zone...)
}
