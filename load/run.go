// Package load is the load generator: a constant-rate, coordinated-
// omission-free attack on vegeta's library, where every request is signed
// afresh (a replayed nonce is rejected by design), latency is measured from
// when each request was due, percentiles come from an exact HDR histogram,
// and SLOs gate the result. Runs can be sharded over machines and merged.
package load

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/signature"
)

// Options configure a load run.
type Options struct {
	// Target is the gateway's base URL.
	Target string
	// Items are the workload; see NewActionItem and NewScenarioItem.
	Items []*Item
	// Style labels the metrics; "mixed" for a scenario mix.
	Style    string
	Workload string
	Schedule Schedule
	// Duration bounds the attack; 0 means until Requests are sent (or the
	// schedule's end, for steps).
	Duration time.Duration
	// Requests bounds the number of requests; 0 means no bound.
	Requests uint64
	// Workers is the initial number of workers; MaxWorkers bounds them (0
	// means unbounded, as needed to hold a rate whatever the latency).
	Workers, MaxWorkers uint64
	// Connections is the idle connections kept per host.
	Connections int
	Timeout     time.Duration
	Insecure    bool
	// RootCAs are the authorities a TLS target's certificate is checked
	// against; nil means the system's (which SSL_CERT_FILE sets).
	RootCAs *x509.CertPool
	// StartAt delays the start (shards of a distributed run start together).
	StartAt time.Time
	// LateAfter is how far behind schedule a request may be sent before it
	// counts as late; 0 means max(10 ms, 2 intervals at the starting rate).
	LateAfter time.Duration
	// Results, when set, receives every result in vegeta's own gob
	// encoding, redacted: `vegeta report` and `vegeta plot` read it.
	Results io.Writer
	// Progress is called every ProgressEvery with the run so far.
	Progress      func(Progress)
	ProgressEvery time.Duration
	Metrics       *Metrics
}

// Progress is the run so far, for a live status line.
type Progress struct {
	Elapsed  time.Duration
	Sent     uint64
	Rate     float64
	Success  float64
	P99      time.Duration
	Late     uint64
	Workload string
}

// Run attacks the target until the duration or request count is reached or
// ctx is done, and returns the summary of what was gathered: a stopped run
// still reports everything that came back.
func Run(ctx context.Context, o Options) (*Summary, error) {
	u, err := url.Parse(o.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q must be a URL such as http://127.0.0.1:8080", o.Target)
	}
	if len(o.Items) == 0 {
		return nil, errors.New("no workload: give an action or scenarios")
	}
	if o.Schedule == nil {
		return nil, errors.New("no rate")
	}
	maxRate := o.Schedule.Rate(0) == 0 && o.Schedule.Hits(time.Hour) == 0
	if maxRate && o.MaxWorkers == 0 {
		return nil, errors.New("--rate 0 sends as fast as the workers go: bound them with --workers N")
	}
	if o.Duration == 0 && o.Requests == 0 {
		if st, ok := o.Schedule.(Steps); ok {
			o.Duration = st.Total()
		} else {
			return nil, errors.New("give --duration or --requests, or both")
		}
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Workers == 0 {
		o.Workers = vegeta.DefaultWorkers
	}
	if o.MaxWorkers == 0 {
		o.MaxWorkers = vegeta.DefaultMaxWorkers
	}
	if o.Workers > o.MaxWorkers {
		o.Workers = o.MaxWorkers
	}
	if o.Connections == 0 {
		o.Connections = vegeta.DefaultConnections
	}
	if o.LateAfter == 0 {
		// Timers and the scheduler put a send a millisecond or two off on a
		// busy machine; only a delay beyond this is the generator falling
		// behind.
		o.LateAfter = 10 * time.Millisecond
		if r := o.Schedule.Rate(0); r > 0 {
			o.LateAfter = max(o.LateAfter, time.Duration(2*float64(time.Second)/r))
		}
	}
	if !o.StartAt.IsZero() {
		select {
		case <-time.After(time.Until(o.StartAt)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}

	// The attack's own transport (vegeta's defaults, which the options
	// below then edit), so that its connections close when the run ends:
	// left open, a connection dialed and never used keeps a server's
	// graceful shutdown waiting (net/http counts a new connection busy for
	// 5 s), and each run of a process kept its own until the server's idle
	// timeout.
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	atk := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}),
		vegeta.Workers(o.Workers), vegeta.MaxWorkers(o.MaxWorkers), vegeta.Connections(o.Connections),
		vegeta.MaxConnections(0), vegeta.Timeout(o.Timeout), vegeta.KeepAlive(true), vegeta.MaxBody(64<<10),
		vegeta.TLSConfig(&tls.Config{InsecureSkipVerify: o.Insecure, RootCAs: o.RootCAs}), //nolint:gosec // the user asked for it
		vegeta.Redirects(vegeta.NoFollow),
	)
	m := newMix(o.Items)
	signs := newSignRecorder()
	var pacer vegeta.Pacer = o.Schedule
	if o.Requests > 0 {
		pacer = bounded{o.Schedule, o.Requests}
	}
	var enc vegeta.Encoder
	if o.Results != nil {
		enc = vegeta.NewEncoder(o.Results)
	}

	start := time.Now()
	col := newCollector(start, o.Schedule, o.LateAfter, signs)
	results := atk.Attack(m.targeter(signs, o.Metrics), pacer, o.Duration, o.Workload)
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-stopped:
		}
	}()
	var tick <-chan time.Time
	if o.Progress != nil {
		every := o.ProgressEvery
		if every <= 0 {
			every = time.Second
		}
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	var lastSent time.Time
	var encErr error
	for {
		select {
		case res, ok := <-results:
			if !ok {
				results = nil
				break
			}
			idx, clean := splitFragment(res.URL)
			res.URL = clean
			it := o.Items[min(idx, len(o.Items)-1)]
			ok2, code := it.judge(int(res.Code), res.Headers, res.Body)
			due := res.Timestamp
			if !maxRate {
				due = start.Add(o.Schedule.Due(res.Seq))
			}
			lat := res.Latency
			if due.Before(res.Timestamp) {
				lat = res.End().Sub(due) // measured from when it was due
			}
			ob := observation{item: it.Name, sent: res.Timestamp, due: due, latency: lat, status: int(res.Code), code: code,
				ok: ok2, err: redactError(res.Error), bytesIn: res.BytesIn, bytesOut: res.BytesOut}
			if maxRate {
				ob.due = time.Time{}
			}
			col.add(ob)
			if res.Timestamp.After(lastSent) {
				lastSent = res.Timestamp
			}
			late := !ob.due.IsZero() && res.Timestamp.Sub(ob.due) > o.LateAfter
			style := it.Style
			if style == "" {
				style = o.Style
			}
			o.Metrics.observe(it.Name, style, int(res.Code), code, ok2, lat, late)
			if enc != nil && encErr == nil {
				encErr = enc.Encode(redactResult(res))
			}
		case <-tick:
			o.Progress(col.progress(o.Workload))
		}
		if results == nil {
			break
		}
	}
	close(stopped)
	attack := lastSent.Sub(start)
	if o.Duration > 0 && ctx.Err() == nil && o.Requests == 0 {
		attack = o.Duration
	}
	sum := col.summary(attack, ctx.Err() != nil)
	sum.Target, sum.Workload, sum.Schedule, sum.Style = u.Redacted(), o.Workload, o.Schedule.String(), o.Style
	if encErr != nil {
		return sum, fmt.Errorf("write results: %w", encErr)
	}
	return sum, nil
}

// bounded stops a schedule after n hits.
type bounded struct {
	Schedule
	n uint64
}

func (b bounded) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= b.n {
		return 0, true
	}
	return b.Schedule.Pace(elapsed, hits)
}

// splitFragment returns the item index carried in a URL's fragment and the
// URL without it.
func splitFragment(u string) (int, string) {
	i := strings.LastIndexByte(u, '#')
	if i < 0 {
		return 0, u
	}
	n, err := strconv.Atoi(u[i+1:])
	if err != nil {
		return 0, u
	}
	return n, u[:i]
}

// progress is the run so far.
func (c *collector) progress(workload string) Progress {
	el := time.Since(c.start)
	p := Progress{Elapsed: el, Sent: c.requests, Late: c.late, Workload: workload}
	if el > 0 {
		p.Rate = float64(c.requests) / el.Seconds()
	}
	if c.requests > 0 {
		p.Success = float64(c.successes) / float64(c.requests)
		p.P99 = time.Duration(c.latency.ValueAtQuantile(99)) * time.Microsecond
	}
	return p
}

// secretParams are the query parameters a result never keeps.
var secretParams = []string{signature.ParamSignature, signature.ParamSignatureNonce, signature.ParamAccessKeyID, signature.ParamSecurityToken}

// redactURL replaces the values of signature material and key IDs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable URL]"
	}
	if u.RawQuery == "" {
		return raw
	}
	params, err := signature.ParseQuery(nil, u.RawQuery)
	if err != nil {
		u.RawQuery = "[redacted]"
		return u.String()
	}
	for i := range params {
		for _, s := range secretParams {
			if params[i].Key == s {
				params[i].Value = "redacted"
			}
		}
	}
	u.RawQuery = string(signature.AppendQuery(nil, params, true))
	return u.String()
}

var urlInError = regexp.MustCompile(`"(https?://[^"]*)"`)

// redactError removes signature material from a transport error, which
// quotes the request URL.
func redactError(e string) string {
	if e == "" {
		return ""
	}
	return urlInError.ReplaceAllStringFunc(e, func(m string) string {
		return `"` + redactURL(m[1:len(m)-1]) + `"`
	})
}

// redactResult is the result as written to disk: no signature, nonce or
// key ID in the URL or error, and no response body (an echoed string to
// sign carries the key ID and the nonce).
func redactResult(r *vegeta.Result) *vegeta.Result {
	c := *r
	c.URL = redactURL(r.URL)
	c.Error = redactError(r.Error)
	c.Body = nil
	return &c
}
