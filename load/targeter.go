package load

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/signature"
)

// Item is one kind of request a workload sends: an action of the target, or
// a scenario step replayed with a fresh signature each time.
type Item struct {
	Name   string
	Weight int
	// Style labels the item's metrics: rpc, roa, v3.
	Style string
	// next fills t with a freshly signed request.
	next func(t *vegeta.Target) error
	// sign is next with tag (a URL fragment naming the item in a mix, or
	// "") at the end of the URL, built in the same buffer; nil means next,
	// then the tag appended.
	sign func(t *vegeta.Target, tag string) error
	// redactor returns the redaction of this item's request URLs for one
	// run's results goroutine (see redactURL); nil means redactURL.
	redactor func() func(url string) string
	// judge says whether an answer is what the item expects (2xx for an
	// action, the scenario's expectation otherwise) and its error code.
	judge func(status int, header http.Header, body []byte) (bool, string)
	// sample signs one request with its intermediate artefacts, for
	// Explain; nil for a scenario, whose requests deviate on purpose.
	sample func() (*signature.Signed, error)
}

// ActionSpec is an API call to send again and again.
type ActionSpec struct {
	Style   signature.Style
	Method  string
	Action  string
	Version string
	Path    string // ROA and V3 in ROA form
	Host    string // Host header; "" sends the target's
	Params  signature.Params
	Format  string
}

// clock caches the wire forms of the current second, so that a request
// formats no time.
type clock struct {
	cur atomic.Pointer[stamp]
}

type stamp struct {
	sec     int64
	iso     []byte // Timestamp, x-acs-date
	date    []byte // ROA Date
	isoStr  string
	dateStr string
}

func (c *clock) now(t time.Time) *stamp {
	sec := t.Unix()
	if s := c.cur.Load(); s != nil && s.sec == sec {
		return s
	}
	s := &stamp{sec: sec, iso: signature.AppendTimestamp(nil, t), date: signature.AppendDate(nil, t)}
	s.isoStr, s.dateStr = string(s.iso), string(s.date)
	c.cur.Store(s)
	return s
}

// NewActionItem prepares an action: the fixed part of its signature is
// computed once, so that each request costs two copies, a nonce, a
// timestamp and the HMAC (see signature's templates), and its redaction
// for results.bin is computed once per item (and, for RPC, once per second
// of Timestamp) rather than parsed out of every result.
func NewActionItem(name string, weight int, target string, a ActionSpec, creds signature.Credentials,
	nonces *signature.NonceSource) (*Item, error) {
	b := &signature.Builder{Credentials: creds, Nonce: func() string { return "template" }}
	s, err := b.Sign(signature.Request{Style: a.Style, Method: a.Method, Endpoint: target, Host: a.Host, Path: a.Path,
		Action: a.Action, Version: a.Version, Query: a.Params, Format: a.Format})
	if err != nil {
		return nil, err
	}
	var clk clock
	it := &Item{Name: name, Weight: max(weight, 1), Style: string(a.Style), judge: judgeStatus,
		sample: actionSample(target, a, creds, nonces)}
	base := s.Scheme + "://" + s.Addr
	host := http.Header{}
	if s.Host != s.Addr {
		host.Set("Host", s.Host)
	}
	var arena stringArena
	switch a.Style {
	case signature.RPC:
		tmpl, err := signature.NewRPCTemplate(s.Method, s.Query, creds.AccessKeySecret)
		if err != nil {
			return nil, err
		}
		if s.Method == http.MethodPost {
			host.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		prefix := []byte(base + "/?")
		it.sign = func(t *vegeta.Target, tag string) error {
			st := clk.now(time.Now())
			var nb [signature.NonceSize]byte
			var sb [64]byte
			var ub [512]byte
			nonce := nonces.Append(nb[:0])
			sig := tmpl.AppendSignature(sb[:0], nonce, st.iso)
			u := tmpl.AppendQuery(append(ub[:0], prefix...), sig, nonce, st.iso)
			t.Method, t.URL, t.Header = s.Method, arena.String(append(u, tag...)), host
			return nil
		}
		if it.redactor, err = rpcRedactor(s.Method, s.Query, prefix); err != nil {
			return nil, err
		}
	case signature.ROA, signature.V3:
		msg := s.Message()
		url := s.URL()
		var roa *signature.ROATemplate
		var v3 *signature.V3Template
		if a.Style == signature.ROA {
			roa, err = signature.NewROATemplate(&msg, creds.AccessKeySecret)
		} else {
			v3, err = signature.NewV3Template(&msg, creds.AccessKeySecret)
		}
		if err != nil {
			return nil, err
		}
		fixed := s.Header.Clone()
		for k, v := range host {
			fixed[k] = v
		}
		// The values that change are set per request.
		for _, k := range []string{"Date", "X-Acs-Date", "X-Acs-Signature-Nonce", "Authorization"} {
			delete(fixed, k)
		}
		akPrefix := "acs " + creds.AccessKeyID + ":"
		body := s.BodyBytes()
		var tagged atomic.Pointer[[2]string] // the tag and the URL ending in it
		withTag := func(tag string) string {
			if tag == "" {
				return url
			}
			tu := tagged.Load()
			if tu == nil || tu[0] != tag {
				tu = &[2]string{tag, url + tag}
				tagged.Store(tu)
			}
			return tu[1]
		}
		// headers are the fixed ones and the three that change, whose
		// values share one array.
		headers := func(dateKey, date string, nonce, auth []byte) http.Header {
			h := make(http.Header, len(fixed)+3)
			maps.Copy(h, fixed)
			vals := new([3]string)
			vals[0], vals[1], vals[2] = date, arena.String(nonce), arena.String(auth)
			h[dateKey], h["X-Acs-Signature-Nonce"], h["Authorization"] = vals[0:1:1], vals[1:2:2], vals[2:3:3]
			return h
		}
		if roa != nil {
			it.sign = func(t *vegeta.Target, tag string) error {
				st := clk.now(time.Now())
				var nb [signature.NonceSize]byte
				var ab [128]byte
				nonce := nonces.Append(nb[:0])
				auth := roa.AppendSignature(append(ab[:0], akPrefix...), st.date, nonce)
				t.Method, t.URL, t.Header, t.Body = s.Method, withTag(tag), headers("Date", st.dateStr, nonce, auth), body
				return nil
			}
		} else {
			it.sign = func(t *vegeta.Target, tag string) error {
				st := clk.now(time.Now())
				var nb [signature.NonceSize]byte
				var ab [256]byte
				nonce := nonces.Append(nb[:0])
				auth := v3.AppendAuthorization(ab[:0], creds.AccessKeyID, st.iso, nonce)
				t.Method, t.URL, t.Header, t.Body = s.Method, withTag(tag), headers("X-Acs-Date", st.isoStr, nonce, auth), body
				return nil
			}
		}
		// The URL carries no signature (the headers do): redacted once.
		red := redactURL(url)
		it.redactor = func() func(string) string {
			return func(u string) string {
				if u == url {
					return red
				}
				return redactURL(u)
			}
		}
	default:
		return nil, fmt.Errorf("unknown style %q", a.Style)
	}
	it.next = func(t *vegeta.Target) error { return it.sign(t, "") }
	return it, nil
}

// judgeStatus is the expectation of an action: a 2xx without an error code.
func judgeStatus(status int, _ http.Header, body []byte) (bool, string) {
	code := errorCode(body)
	// Some POP APIs (SMS, for one) answer a success with "Code":"OK".
	ok := status >= 200 && status < 300 && (code == "" || code == "OK")
	if code == "OK" {
		code = ""
	}
	return ok, code
}

// NewScenarioItem replays the single step of a scenario case, signing each
// request afresh through the conformance runner's builder (slower than an
// action, which signs from a template).
func NewScenarioItem(name string, weight int, f *conformance.StepFactory) *Item {
	return &Item{
		Name: name, Weight: max(weight, 1), Style: string(f.Style()),
		next: func(t *vegeta.Target) error {
			s, err := f.Build()
			if err != nil {
				return err
			}
			t.Method, t.URL, t.Body = s.Method, s.URL(), s.BodyBytes()
			t.Header = s.Header.Clone()
			if s.Host != s.Addr {
				t.Header.Set("Host", s.Host)
			}
			return nil
		},
		judge: func(status int, header http.Header, body []byte) (bool, string) {
			return f.Judge(nil, status, header, body)
		},
	}
}

// errorCode finds the Code of an error envelope, JSON or XML, without
// parsing the whole body.
func errorCode(body []byte) string {
	if i := bytes.Index(body, []byte(`"Code":"`)); i >= 0 {
		rest := body[i+8:]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			return boundCode(rest[:j])
		}
	}
	if i := bytes.Index(body, []byte("<Code>")); i >= 0 {
		rest := body[i+6:]
		if j := bytes.Index(rest, []byte("</Code>")); j >= 0 {
			return boundCode(rest[:j])
		}
	}
	return ""
}

// boundCode keeps a code shaped like one (InvalidAccessKeyId.NotFound,
// Throttling.User) and makes anything else "malformed": the code becomes a
// metric label and a report key, where a target's URL, query or 64 KB of
// body must never land.
func boundCode(c []byte) string {
	if len(c) > 64 {
		return "malformed"
	}
	for _, b := range c {
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == '-') {
			return "malformed"
		}
	}
	return string(c)
}

// mix spreads hits over items by weight, smoothly (an item of weight 2
// next to one of weight 1 goes A A B, interleaved, never in long runs),
// lock-free.
type mix struct {
	items []*Item
	order []int // one cycle of item indexes
	n     atomic.Uint64
}

func newMix(items []*Item) *mix {
	m := &mix{items: items}
	total := 0
	for _, it := range items {
		total += it.Weight
	}
	current := make([]int, len(items))
	for range total { // smooth weighted round robin, as nginx does
		best := 0
		for i, it := range items {
			current[i] += it.Weight
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		m.order = append(m.order, best)
	}
	return m
}

// maxSampleEvery bounds how rarely signatures are timed: at the highest
// rates one in 64. Reading the thread's CPU clock is a system call (0.6–0.8
// µs here, more than a warm signature), so timing every signature would
// slow the hot path; see sampleEvery.
const maxSampleEvery = 64

// sampleEvery returns how many signatures go by for each one timed, for a
// run whose peak rate is peak per second (0: as fast as possible): every
// one up to 1000/s, where the machine has time to spare, then about 1000
// timed per second, so that the clock's cost stays a few hundredths of a
// microsecond per request.
func sampleEvery(peak float64) uint64 {
	if peak == 0 {
		return maxSampleEvery
	}
	every := uint64(1)
	for every < maxSampleEvery && float64(every)*1000 < peak {
		every *= 2
	}
	return every
}

// targeter returns the vegeta Targeter of the mix: each call picks the
// next item and signs a fresh request of it; one call in every `every` reads the
// CPU time the signing took (on a locked thread, so that the
// clock is the same thread's before and after). In a mix of several items,
// the item's index rides in the URL fragment, which is never sent, so each
// result can be told apart. Requests in flight are the mix's count less
// the results read (see Metrics): the targeter updates no metric but the
// sampled signing time.
func (m *mix) targeter(signs *signRecorder, metrics *Metrics, every uint64) vegeta.Targeter {
	overhead := clockOverhead()
	every = max(every, 1)
	tags := mixTags(len(m.items))
	return func(t *vegeta.Target) error {
		n := m.n.Add(1) - 1
		i := m.order[n%uint64(len(m.order))]
		it := m.items[i]
		tag := tags[i]
		var err error
		if n%every == 0 {
			runtime.LockOSThread()
			c0 := threadCPU()
			err = it.signTagged(t, tag)
			took := max(threadCPU()-c0-overhead, 0)
			runtime.UnlockOSThread()
			if err == nil {
				signs.record(took, n)
				metrics.signed(took)
			}
		} else {
			err = it.signTagged(t, tag)
		}
		return err
	}
}

// signTagged fills t with a freshly signed request of the item whose URL
// ends in tag.
func (it *Item) signTagged(t *vegeta.Target, tag string) error {
	if it.sign != nil {
		return it.sign(t, tag)
	}
	if err := it.next(t); err != nil {
		return err
	}
	if tag != "" {
		t.URL += tag
	}
	return nil
}

// mixTags are the URL fragments naming each item of a mix: none when the
// mix has one item, whose results need no telling apart.
func mixTags(n int) []string {
	tags := make([]string, n)
	if n > 1 {
		for i := range tags {
			tags[i] = "#" + strconv.Itoa(i)
		}
	}
	return tags
}

// clockOverhead is the cost of reading the thread's CPU clock (a system
// call: 0.6–0.8 µs on a virtual machine here), the least of a few readings
// around nothing, taken off every sample.
var clockOverhead = sync.OnceValue(func() time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	least := time.Duration(math.MaxInt64)
	for range 32 {
		c0 := threadCPU()
		least = min(least, threadCPU()-c0)
	}
	return max(least, 0)
})

// sent is how many requests the targeter has signed.
func (m *mix) sent() uint64 { return m.n.Load() }
