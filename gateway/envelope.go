package gateway

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Response formats.
const (
	FormatJSON = "JSON"
	FormatXML  = "XML"
)

// Content types of the two formats, exactly (docs/protocol.md §5; darabonba decides
// how to parse an error on this string).
const (
	ContentTypeJSON = "application/json;charset=utf-8"
	ContentTypeXML  = "text/xml;charset=utf-8"
)

// Response headers (docs/protocol.md §5).
const (
	HeaderRequestID = "X-Acs-Request-Id"
	HeaderTraceID   = "X-Acs-Trace-Id"
)

// newRequestID returns an uppercase 8-4-4-4-12 UUID (version 4), the shape
// of every RequestId (docs/protocol.md §5).
func newRequestID() string {
	var b [36]byte
	return string(appendRequestID(b[:0]))
}

// appendRequestID appends a fresh RequestId. Its 122 random bits come from
// math/rand/v2's generator, ChaCha8 seeded from the system's entropy per
// thread: unpredictable and unique without a system call or a lock per
// request, which crypto/rand cost twice per request (issue 13).
func appendRequestID(dst []byte) []byte {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hexUpper = "0123456789ABCDEF"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// appendTraceID appends a fresh trace ID: 32 lowercase hex digits.
func appendTraceID(dst []byte) []byte {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	return hex.AppendEncode(dst, u[:])
}

// newIDs returns a fresh RequestId and trace ID, both in one allocation.
func newIDs() (requestID, traceID string) {
	var b [36 + 32]byte
	ids := string(appendTraceID(appendRequestID(b[:0])))
	return ids[:36], ids[36:]
}

// base is embedded first in every success body: the RequestId field.
type base struct {
	RequestId string `json:"RequestId" xml:"RequestId"` //nolint:revive // the wire name
}

func (b *base) setRequestID(id string) { b.RequestId = id }

func (b *base) fields(w *wire) { w.str("RequestId", b.RequestId) }

// wirePool holds the buffers bodies are written into.
var wirePool = sync.Pool{New: func() any { return new(wire) }}

// maxPooledBody bounds the buffer a pooled writer keeps: one huge answer
// does not pin its memory.
const maxPooledBody = 64 << 10

func getWire(format string) *wire {
	w := wirePool.Get().(*wire)
	w.b, w.xml = w.b[:0], format == FormatXML
	return w
}

func putWire(w *wire) {
	if cap(w.b) <= maxPooledBody {
		wirePool.Put(w)
	}
}

// reply is what the gateway needs to answer one request.
type reply struct {
	requestID string
	traceID   string
	hostID    string
	format    string // FormatJSON or FormatXML
	product   string // the product in Recommend links ("OnsMqtt")
	business  bool   // the error is the backend's, not the gateway's (docs/protocol.md §9 F10)

	// Set only by faults of the self-test.
	headerID string         // x-acs-request-id when it must differ from requestID
	xmlRoot  string         // a success XML root to use instead of <{Action}Response>
	fault    *envelopeFault // the faults that change headers and bodies
}

// headers sets the headers of every answer (docs/protocol.md §5, §9 F11): the
// request and trace IDs, and the CORS headers that let a browser call the
// gateway and read x-acs-request-id (Access-Control-Expose-Headers).
func (rp *reply) headers(w http.ResponseWriter, contentType string, n int) {
	h := w.Header()
	id := rp.requestID
	if rp.headerID != "" {
		id = rp.headerID
	}
	// The values share one backing array (one allocation, not one per
	// Header.Set), each capped at its length so that an append copies. The
	// keys are already canonical.
	trace := rp.traceID
	if trace == "" {
		_, trace = newIDs()
	}
	v := []string{contentType, id, trace, "*", contentLength(n), "Accept-Encoding"}
	h["Content-Type"] = v[0:1:1]
	h[HeaderRequestID] = v[1:2:2]
	h[HeaderTraceID] = v[2:3:3]
	h["Access-Control-Allow-Origin"] = v[3:4:4]
	h["Access-Control-Expose-Headers"] = v[3:4:4]
	h["Content-Length"] = v[4:5:5]
	h["Vary"] = v[5:6:6]
	if rp.fault != nil {
		rp.fault.headers(h)
	}
}

// recommend is the troubleshooting link of an error (docs/protocol.md §5), and the
// product-less link when no product is known, never an empty product=
// (docs/protocol.md §9 F12).
func (rp *reply) recommend(code string) string {
	if rp.product == "" {
		return "https://api.aliyun.com/troubleshoot?q=" + code
	}
	return "https://api.aliyun.com/troubleshoot?q=" + code + "&product=" + rp.product + "&requestId=" + rp.requestID
}

// writeError answers e in the request's format.
func (rp *reply) writeError(w http.ResponseWriter, e *apiError) {
	ww := getWire(rp.format)
	defer putWire(ww)
	ww.failure(rp, e)
	ct := ContentTypeJSON
	if ww.xml {
		ct = ContentTypeXML
	}
	out := ww.b
	if rp.fault != nil {
		ct, out = rp.fault.contentType(ct, true), rp.fault.errorBody(out, rp, e)
	}
	rp.headers(w, ct, len(out))
	w.WriteHeader(e.Status)
	_, _ = w.Write(out)
}

// writeSuccess answers a 200 with body, an action's response whose
// RequestId is filled here. XML is rooted at <{Action}Response>.
func (rp *reply) writeSuccess(w http.ResponseWriter, action string, body response) {
	body.setRequestID(rp.requestID)
	ww := getWire(rp.format)
	defer putWire(ww)
	ww.success(action, body)
	ct := ContentTypeJSON
	if ww.xml {
		ct = ContentTypeXML
	}
	if rp.fault != nil {
		ct = rp.fault.contentType(ct, false)
	}
	rp.headers(w, ct, len(ww.b))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ww.b)
}

// PreflightMethods are the methods a CORS preflight is told the gateway
// serves: the real gateway's "POST, GET, OPTIONS" (docs/protocol.md §9 F11) and the
// ROA methods.
const PreflightMethods = "POST, GET, OPTIONS, PUT, DELETE, PATCH"

// writePreflight answers a CORS preflight: 200, no body, any origin, the
// methods served, and the request headers the browser asked for (a
// wildcard would not cover Authorization), when they are a plain list of
// header names.
func (rp *reply) writePreflight(w http.ResponseWriter, requested string) {
	h := w.Header()
	h.Set(HeaderRequestID, rp.requestID)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", PreflightMethods)
	if requested != "" && len(requested) <= 1024 && strings.Trim(requested, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_, ") == "" {
		h.Set("Access-Control-Allow-Headers", requested)
	}
	h.Set("Access-Control-Max-Age", "86400")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// xmlProlog opens every XML answer, success and error alike, with the
// single quotes of the real gateway (docs/protocol.md §7.11, §9 F6).
const xmlProlog = "<?xml version='1.0' encoding='UTF-8'?>"

// contentLengths caches the Content-Length values of bodies under 8 KiB,
// each made on first use: strconv.Itoa allocates for every number over 99.
var contentLengths [8 << 10]atomic.Pointer[string]

// contentLength returns n in decimal.
func contentLength(n int) string {
	if n < 0 || n >= len(contentLengths) {
		return strconv.Itoa(n)
	}
	if p := contentLengths[n].Load(); p != nil {
		return *p
	}
	s := strconv.Itoa(n)
	contentLengths[n].Store(&s)
	return s
}
