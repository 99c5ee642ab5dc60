// Package record records what a client sends to the reference gateway and
// turns a recording into a client conformance report (issue 12, "Any
// client, through the reference gateway").
//
// A [Recorder] wraps the gateway's http.Handler: for every request it keeps
// the request as received (signatures, nonces, key IDs and tokens
// redacted), the gateway's verdict (status, code, message), and what the
// client did against the spec, worked out from the raw request before
// redaction: its style; its encoding choices ('+' or %20, '~' raw or
// encoded, the ROA path escaped or decoded, "k" or "k="); its timestamp form
// and skew; its nonce form and uniqueness; the headers it signed;
// Format/Accept; and whether its signature verified and, if not, the first
// step that differs from what the request itself implies. [Load] and
// [Build] turn the recording into a [Report]: per rule of the spec, what the
// client did and whether that is the documented form, an accepted variant
// (named with the official SDKs that also use it, from signature.Forms) or a
// departure.
package record

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// The files of a recording.
const (
	FileManifest = "recording.json" // when and how the recording was made
	FileRequests = "requests.jsonl" // one Record per line, in arrival order
)

// Options configure a Recorder.
type Options struct {
	// Dir is the recording's folder, created when absent; it must not
	// already hold a recording.
	Dir string
	// Secret returns the secret of an AccessKey ID the gateway knows, so
	// that the recorder can check a signature and find where it departs.
	// Nil checks none.
	Secret func(accessKeyID string) (signature.Secret, bool)
	// Now is the gateway's clock, for the timestamp skew; nil means
	// time.Now.
	Now func() time.Time
	// Skew is the gateway's window (docs/protocol.md §4.1); 0 means 15 minutes.
	Skew time.Duration
	// MaxBody bounds the body kept of each request and read before the
	// gateway sees it; 0 means 64 KiB. A longer body is analysed by its
	// first MaxBody bytes and passed on whole.
	MaxBody int64
	// Tool names the program and version, for the manifest.
	Tool string
}

// Manifest is recording.json.
type Manifest struct {
	Tool    string    `json:"tool"`
	Started time.Time `json:"started"`
	// SkewSeconds is the gateway's timestamp window.
	SkewSeconds float64 `json:"skew_seconds"`
}

// Record is one request of a recording: what came in (redacted), what the
// gateway answered, and what the client did.
type Record struct {
	Seq      int       `json:"seq"`
	Time     time.Time `json:"time"`
	Request  Request   `json:"request"`
	Response Response  `json:"response"`
	Analysis Analysis  `json:"analysis"`
}

// Request is a request as received, with signatures, nonces, AccessKey IDs,
// security tokens and cookies redacted.
type Request struct {
	Method  string      `json:"method"`
	URI     string      `json:"uri"`
	Host    string      `json:"host"`
	Headers [][2]string `json:"headers"`
	// Body is the body as received, redacted, cut at 4 KiB; BodyBytes is
	// its whole length.
	Body      string `json:"body,omitempty"`
	BodyBytes int64  `json:"body_bytes"`
}

// Response is the gateway's verdict.
type Response struct {
	Status int `json:"status"`
	// Code is the error code of an error answer, "" on success.
	Code string `json:"code,omitempty"`
	// Message is the error message, its echoed string to sign redacted.
	Message     string `json:"message,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}

// Recorder records the requests that go through the handlers it wraps.
// It is safe for concurrent use.
type Recorder struct {
	o      Options
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	seq    int
	nonces map[[16]byte]int // a hash of each nonce seen, to the first request that sent it
	err    error
}

// New creates the recording folder and its manifest.
func New(o Options) (*Recorder, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("no recording folder: pass --record DIR")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Skew <= 0 {
		o.Skew = 15 * time.Minute
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("--record %s: %v (pick a folder you can write)", o.Dir, err)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, FileRequests)); err == nil {
		return nil, fmt.Errorf("--record %s already holds a recording: pick a new folder", o.Dir)
	}
	m, err := json.MarshalIndent(Manifest{Tool: o.Tool, Started: o.Now().UTC(), SkewSeconds: o.Skew.Seconds()}, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Dir, FileManifest), append(m, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("--record %s: %v (pick a folder you can write)", o.Dir, err)
	}
	f, err := os.OpenFile(filepath.Join(o.Dir, FileRequests), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--record %s: %v", o.Dir, err)
	}
	return &Recorder{o: o, f: f, w: bufio.NewWriter(f), nonces: map[[16]byte]int{}}, nil
}

// Close flushes and closes the recording; it returns the first write error
// met while recording, if any.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return r.err
	}
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	r.f = nil
	return r.err
}

// Wrap returns h with every request recorded, except the gateway's
// /healthz probe. The request reaches h unchanged, its body whole.
func (r *Recorder) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/healthz" && req.Header.Get("Authorization") == "" && req.URL.RawQuery == "" {
			h.ServeHTTP(w, req)
			return
		}
		at := r.o.Now()
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(req.Body, r.o.MaxBody))
			req.Body = readCloser{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
		}
		cw := &captureWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(cw, req)
		r.add(req, body, at, cw)
	})
}

type readCloser struct {
	io.Reader
	io.Closer
}

// captureWriter passes a response through and keeps its status and the
// start of its body.
type captureWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   []byte
}

const keepResponse = 16 << 10

func (c *captureWriter) WriteHeader(code int) {
	if !c.wrote {
		c.status, c.wrote = code, true
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	c.wrote = true
	if room := keepResponse - len(c.body); room > 0 {
		c.body = append(c.body, p[:min(room, len(p))]...)
	}
	return c.ResponseWriter.Write(p)
}

// Flush passes a flush through, when the writer underneath can.
func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// add analyses and writes one record.
func (r *Recorder) add(req *http.Request, body []byte, at time.Time, cw *captureWriter) {
	resp := parseResponse(cw.status, cw.Header().Get("Content-Type"), cw.body)
	a := analyze(req, body, at, r.o)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return
	}
	r.seq++
	rec := Record{Seq: r.seq, Time: at.UTC(), Request: redactRequest(req, body), Response: resp, Analysis: a.Analysis}
	if a.nonce != nil {
		key := sha256.Sum256([]byte(*a.nonce))
		var k [16]byte
		copy(k[:], key[:16])
		if first, seen := r.nonces[k]; seen {
			rec.Analysis.add(RuleNonceUnique, ValueRepeated, fmt.Sprintf("first sent by request %d", first))
		} else {
			r.nonces[k] = r.seq
			rec.Analysis.add(RuleNonceUnique, ValueUnique, "")
		}
	}
	line, err := json.Marshal(rec)
	if err == nil {
		_, err = r.w.Write(append(line, '\n'))
	}
	if err == nil {
		err = r.w.Flush() // every line on disk as it comes: serve runs until it is stopped
	}
	if err != nil && r.err == nil {
		r.err = err
	}
}
