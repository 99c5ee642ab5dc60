package conformance

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// Options configure a run.
type Options struct {
	// Target is the gateway's base URL (scheme and host).
	Target string
	// Credentials sign every request; the key must be active.
	Credentials signature.Credentials
	// InactiveKeyID is a disabled key of the target, for the .Inactive
	// checks; "" skips them.
	InactiveKeyID string
	// SecondKey is another active key, for replays across keys (the nonce
	// store is network-wide); nil skips them.
	SecondKey *signature.Credentials
	// ThrottledKey is a key the target rate-limits to a few requests per
	// second, for the Throttling.User checks; nil skips them.
	ThrottledKey *signature.Credentials
	Profiles     []Profile
	Scenarios    []Scenario
	Select       Selection
	// STSKey is an STS key of the target with its security token, for the
	// SecurityToken checks (docs/protocol.md §9 F15); nil skips them.
	STSKey *signature.Credentials
	// Concurrency bounds the cases run at once; 0 means 8.
	Concurrency int
	// Timeout bounds each request; 0 means 10 s.
	Timeout time.Duration
	// Client sends the requests; nil means a client that trusts the system
	// roots (or none, with Insecure).
	Client *http.Client
	// Insecure skips TLS certificate verification.
	Insecure bool
	// RootCAs are the authorities a TLS target's certificate is checked
	// against; nil means the system's (which SSL_CERT_FILE sets).
	RootCAs *x509.CertPool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnSend is called for every request sent, from any goroutine: tests
	// recompute valid requests' signatures with the official SDKs there.
	OnSend func(Sent)
	// OnResult is called as each case finishes, from any goroutine.
	OnResult func(Result)
	// Rules is the rule table the findings are graded by; nil means the
	// built-in one (scenarios/rules.yaml).
	Rules *Rules
	// Strict fails a case on a `should` finding, not only on a `must` one.
	Strict bool
	// Long adds the replay-window check (docs/protocol.md §4.1): a request stamped
	// at the far edge of the skew window is replayed just before its time
	// leaves the window on the other side, about twice Skew later.
	Long bool
	// Skew is the target's clock-skew window, for the replay-window check;
	// 0 means the documented 15 minutes.
	Skew time.Duration
}

// Sent describes one request sent, for OnSend.
type Sent struct {
	Case   string
	Step   int
	Signed *signature.Signed
	// Valid reports that the step deviated from a correct request in no
	// way: its signature must match any correct signer's.
	Valid bool
	// Secret is the secret it was signed with.
	Secret signature.Secret
}

// Selection narrows the cases run. Empty fields select everything.
type Selection struct {
	Products   []string
	Styles     []signature.Style
	Categories []string
	// IDs are scenario ids or glob patterns (path.Match syntax).
	IDs []string
}

// UnreachableError means the target never answered (connection refused,
// DNS failure) or its TLS handshake failed; Error tells them apart.
type UnreachableError struct {
	Target string
	Err    error
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// DefaultSkew is the documented clock-skew window, in both directions
// (docs/protocol.md §4.1).
const DefaultSkew = 15 * time.Minute

// Case is a scenario expanded to one style and one product.
type Case struct {
	ID       string
	Scenario *Scenario
	Style    signature.Style
	Profile  *Profile
}

// Expand returns the cases of the selected scenarios, in a stable order:
// scenario order, then style, then profile order.
func Expand(scenarios []Scenario, profiles []Profile, sel Selection) []Case {
	var out []Case
	for i := range scenarios {
		s := &scenarios[i]
		if !sel.matches(s) {
			continue
		}
		styles := s.Styles
		if len(styles) == 0 {
			styles = signature.Styles
		}
		for _, st := range styles {
			if len(sel.Styles) > 0 && !slices.Contains(sel.Styles, st) {
				continue
			}
			for j := range profiles {
				p := &profiles[j]
				if len(s.Products) > 0 && !slices.Contains(s.Products, p.Product) {
					continue
				}
				if len(sel.Products) > 0 && !slices.Contains(sel.Products, p.Product) {
					continue
				}
				out = append(out, Case{ID: fmt.Sprintf("%s[%s/%s]", s.ID, st, p.Product), Scenario: s, Style: st, Profile: p})
			}
		}
	}
	return out
}

func (sel Selection) matches(s *Scenario) bool {
	if len(sel.Categories) > 0 && !slices.Contains(sel.Categories, s.Category) {
		return false
	}
	if len(sel.IDs) == 0 {
		return true
	}
	for _, pat := range sel.IDs {
		if pat == s.ID {
			return true
		}
		if ok, _ := path.Match(pat, s.ID); ok {
			return true
		}
	}
	return false
}

// Run runs the selected cases against the target and returns the report.
// The error is an *UnreachableError when the target never answered, or an
// error in the options; failed cases are in the report, not the error.
func Run(ctx context.Context, opts Options) (*Report, error) {
	u, err := url.Parse(opts.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q must be a URL such as http://127.0.0.1:8080 or https://onsmqtt.cn-hangzhou.aliyuncs.com", opts.Target)
	}
	if opts.Credentials.AccessKeyID == "" || opts.Credentials.AccessKeySecret == "" {
		return nil, errors.New("no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	}
	if len(opts.Profiles) == 0 {
		return nil, errors.New("no profiles")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Skew <= 0 {
		opts.Skew = DefaultSkew
	}
	if opts.Rules == nil {
		if opts.Rules, err = BuiltinRules(); err != nil {
			return nil, err
		}
	}
	if opts.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		if opts.Insecure || opts.RootCAs != nil {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: opts.Insecure, RootCAs: opts.RootCAs} //nolint:gosec // the user asked for it
		}
		opts.Client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		defer tr.CloseIdleConnections()
	}
	r := &runner{opts: opts, target: u, nonces: signature.NewNonceSource()}
	start := opts.Now()
	// Interrupted before the target answered, the run still reports each
	// case, as not started.
	if err := r.preflight(ctx); err != nil && ctx.Err() == nil {
		return nil, err
	}
	cases := Expand(opts.Scenarios, opts.Profiles, opts.Select)
	results := make([]Result, len(cases))
	echoes := make([]echo, len(cases))
	var window chan Result
	if opts.Long && ctx.Err() == nil {
		window = make(chan Result, 1)
		go func() { window <- r.replayWindowCheck(ctx) }()
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i], echoes[i] = r.runCase(ctx, &cases[i])
				if opts.OnResult != nil {
					opts.OnResult(results[i])
				}
			}
		}()
	}
	dispatched := 0
dispatch:
	for i := range cases {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- i:
			dispatched++
		case <-ctx.Done():
			break dispatch
		}
	}
	close(work)
	wg.Wait()
	for j := dispatched; j < len(cases); j++ {
		results[j] = r.skipped(&cases[j], skipNotStarted)
	}
	diagnosis := diagnose(results, echoes, r.accepted.Load() > 0)
	if len(cases) > 0 && ctx.Err() == nil {
		results = append(results, r.endOfRunCheck(ctx, start))
	}
	if len(cases) > 0 {
		results = append(results, r.requestIDCheck())
	}
	if window != nil {
		results = append(results, <-window)
	}
	rep := &Report{
		Tool: "acsharness", Target: opts.Target, Products: ProductCodes(opts.Profiles), Started: start,
		Duration: opts.Now().Sub(start).Seconds(), ClockOffset: r.clockOffset.Seconds(), Findings: r.findings, Strict: opts.Strict,
		Long: opts.Long, Interrupted: ctx.Err() != nil, Diagnosis: diagnosis, Results: results,
	}
	rep.tally()
	return rep, nil
}

// runner holds what the cases of one run share.
type runner struct {
	opts        Options
	target      *url.URL
	nonces      *signature.NonceSource
	clockOffset time.Duration
	findings    []string

	// accepted counts the valid requests signed with the main key that
	// the target accepted: one rules out a wrong secret.
	accepted atomic.Int64

	mu         sync.Mutex
	requestIDs map[string]string // RequestId -> case that got it
	duplicates []string
	transport  int          // responses seen
	early      []earlyNonce // nonces of valid requests accepted early in the run
}

// preflight checks that the target answers at all, and reads its clock
// from the Date header; an offset beyond 2 s shifts every timestamp, one
// beyond MaxClockOffset is reported instead.
func (r *runner) preflight(ctx context.Context) error {
	off, err := Probe(ctx, r.opts.Client, r.opts.Target, r.opts.Timeout, r.opts.Now)
	if err != nil {
		return err
	}
	if f := ClockFinding(off); f != "" {
		r.findings = append(r.findings, f)
	} else if off > 2*time.Second || off < -2*time.Second {
		r.clockOffset = off
	}
	return nil
}

// Probe checks that the target answers at all (any HTTP answer will do)
// and returns its clock's offset from ours, read from its Date header (0
// without one). A target that never answers is an *UnreachableError.
func Probe(ctx context.Context, client *http.Client, target string, timeout time.Duration, now func() time.Time) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/", nil)
	if err != nil {
		return 0, err
	}
	sent := now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, &UnreachableError{Target: target, Err: err}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return 0, nil
	}
	return d.Sub(sent.Add(now().Sub(sent) / 2).Truncate(time.Second)), nil
}

func (r *runner) now() time.Time { return r.opts.Now().Add(r.clockOffset) }

// Why a case did not run, and what would run it (Result.Reason and
// Result.Enable of a skipped case).
const (
	skipNotStarted  = "the run was interrupted before this case started"
	skipInterrupted = "the run was interrupted while this case ran: its last request got no answer"
)

// skip is why a case cannot run against this target, and the flag or
// environment variable that would run it ("" when none would).
type skip struct{ reason, enable string }

func (r *runner) skipped(c *Case, reason string) Result {
	return r.skippedFor(c, skip{reason: reason})
}

func (r *runner) skippedFor(c *Case, s skip) Result {
	res := r.newResult(c)
	res.Status, res.Reason, res.Enable = Skip, s.reason, s.enable
	return res
}

func (r *runner) newResult(c *Case) Result {
	s := c.Scenario
	return Result{ID: c.ID, ScenarioID: s.ID, Title: s.Title, Category: s.Category, Style: string(c.Style),
		Product: c.Profile.Product, Spec: s.Spec, Rules: s.Rules, File: s.File, Line: s.Line}
}

// needs are the keys beyond the main one that some scenarios need
// (Scenario.Needs), why a case is skipped without each, and how to give it.
var needs = map[string]skip{
	"inactive-key":  {"no inactive key to check InvalidAccessKeyId.Inactive", "pass --inactive-key-id ID (a disabled key of the target)"},
	"second-key":    {"no second key to check replays across keys", "set ACSHARNESS_SECOND_ACCESS_KEY_ID and ACSHARNESS_SECOND_ACCESS_KEY_SECRET (another active key)"},
	"throttled-key": {"no rate-limited key to check Throttling.User", "set ACSHARNESS_THROTTLED_ACCESS_KEY_ID and ACSHARNESS_THROTTLED_ACCESS_KEY_SECRET (a key limited to about 1 request/s)"},
	"sts-key":       {"no STS key to check SecurityToken", "set ACSHARNESS_STS_ACCESS_KEY_ID, ACSHARNESS_STS_ACCESS_KEY_SECRET and ACSHARNESS_STS_SECURITY_TOKEN"},
}

// skipReason says why a case cannot run against this target, or nothing.
func (r *runner) skipReason(c *Case) (skip, bool) {
	for _, need := range c.Scenario.Needs {
		missing := false
		switch need {
		case "inactive-key":
			missing = r.opts.InactiveKeyID == ""
		case "second-key":
			missing = r.opts.SecondKey == nil
		case "throttled-key":
			missing = r.opts.ThrottledKey == nil
		case "sts-key":
			missing = r.opts.STSKey == nil || r.opts.STSKey.SecurityToken == ""
		}
		if missing {
			return needs[need], true
		}
	}
	for _, st := range c.Scenario.Steps {
		style := c.Style
		if st.Request.Style != "" {
			style = st.Request.Style
		}
		if style == signature.ROA && c.Profile.ROA == nil && st.Request.Path == "" {
			return skip{"the profile has no ROA route", "add a roa: route to the --profile file"}, true
		}
		if st.Request.Action == "business" && c.Profile.Business == nil {
			return skip{"the profile has no business action", "add a business: action to the --profile file"}, true
		}
	}
	return skip{}, false
}

// runCase runs a case's steps in order, and returns its result and what
// the target echoed when it refused a signature the case expected to pass.
// A case the run's interruption cut short is skipped, not failed: its
// last request got no answer because we stopped waiting.
func (r *runner) runCase(ctx context.Context, c *Case) (Result, echo) {
	if s, ok := r.skipReason(c); ok {
		return r.skippedFor(c, s), echoNone
	}
	res := r.newResult(c)
	start := time.Now()
	captures := map[string]string{}
	ech := echoNone
	for i := range c.Scenario.Steps {
		st := &c.Scenario.Steps[i]
		out := r.runStep(ctx, c, i, st, captures)
		if out.cut {
			res.Steps = append(res.Steps, out.trace)
			res.Duration = time.Since(start).Seconds()
			res.Status, res.Reason = Skip, skipInterrupted
			return res, echoNone
		}
		findings := out.findings
		for j := range findings {
			findings[j].Step = i + 1
			out.trace.Failures = append(out.trace.Failures, findings[j].String())
		}
		res.Steps = append(res.Steps, out.trace)
		res.Findings = append(res.Findings, findings...)
		if out.mismatch != nil && res.Mismatch == nil {
			res.Mismatch = out.mismatch
		}
		blocking := r.blocking(findings)
		if len(findings) > 0 && res.Reason == "" || blocking {
			res.Expected, res.Observed = out.expected, out.observed
			res.Reason = fmt.Sprintf("step %d: %s", i+1, joinFindings(findings))
		}
		if blocking {
			if out.expectationMet {
				res.Cause = r.firstBlocking(findings).Message
			}
			if out.sameEcho && ech == echoNone {
				ech = echoSame
			}
			break
		}
		if i == len(c.Scenario.Steps)-1 && res.Reason == "" {
			res.Expected, res.Observed = out.expected, out.observed
		}
	}
	res.Status = r.status(res.Findings)
	if res.Status == Pass {
		res.Reason = ""
	}
	res.Duration = time.Since(start).Seconds()
	return res, ech
}

// blocking reports whether findings fail a case: a `must` one, or a
// `should` one under Strict.
func (r *runner) blocking(fs []Finding) bool {
	return slices.ContainsFunc(fs, r.blocks)
}

func (r *runner) blocks(f Finding) bool { return f.Level == Must || f.Level == Should && r.opts.Strict }

// firstBlocking is the first finding that fails a case (findings holds one).
func (r *runner) firstBlocking(fs []Finding) Finding {
	return fs[slices.IndexFunc(fs, r.blocks)]
}

// status grades a case by its findings.
func (r *runner) status(fs []Finding) string {
	switch {
	case r.blocking(fs):
		return Fail
	case slices.ContainsFunc(fs, func(f Finding) bool { return f.Level == Should }):
		return Warn
	}
	return Pass
}

func joinFindings(fs []Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}

// stepRule is the rule a step's expectation is judged by: its own, or the
// scenario's first rule that applies to the style ("" when it names none).
func (r *runner) stepRule(s *Scenario, st *Step, style signature.Style) string {
	if st.Expect.Rule != "" {
		return st.Expect.Rule
	}
	for _, id := range s.Rules {
		if rule := r.opts.Rules.Get(id); rule != nil && rule.AppliesTo(style) {
			return id
		}
	}
	return ""
}

// exchange is one request sent and its answer.
type exchange struct {
	signed *signature.Signed
	status int
	header http.Header
	body   []byte
	err    error
}

// stepOutcome is what one step sent and got, and what the checks made of it.
type stepOutcome struct {
	trace              StepTrace
	expected, observed string
	findings           []Finding
	mismatch           *Mismatch
	// expectationMet: the answer had the status and code expected, so
	// the findings say what else was wrong.
	expectationMet bool
	// sameEcho: the answer refused the signature and echoed a string to
	// sign equal to ours.
	sameEcho bool
	// cut: the run was interrupted while the step waited for an answer.
	cut bool
}

func (r *runner) runStep(ctx context.Context, c *Case, index int, st *Step, captures map[string]string) stepOutcome {
	style := c.Style
	if st.Request.Style != "" {
		style = st.Request.Style
	}
	failed := func(err error) stepOutcome {
		return stepOutcome{trace: StepTrace{Name: st.Name}, findings: []Finding{{Rule: r.stepRule(c.Scenario, st, style), Level: Must, Message: err.Error()}}}
	}
	creds, secret := r.credentials(st.Sign)
	_, action, err := r.request(c.Profile, style, st)
	if err != nil {
		return failed(err)
	}
	batch := make([]*signature.Signed, max(st.Copies, 1))
	for i := range batch {
		if i > 0 && !st.Distinct {
			batch[i] = batch[0]
			continue
		}
		s, sc, err := r.buildWith(c, style, st, captures, creds)
		if err != nil {
			return failed(err)
		}
		batch[i], creds = s, sc
	}
	signed := batch[0]
	valid := signIsEmpty(st.Sign) && tamperIsEmpty(st.Tamper)
	if r.opts.OnSend != nil {
		r.opts.OnSend(Sent{Case: c.ID, Step: index, Signed: signed.Clone(), Valid: valid, Secret: secret})
	}
	answers := r.send(ctx, batch)

	first := answers[0]
	for _, a := range answers {
		if a.err == nil && a.status >= 200 && a.status < 300 {
			first = a
			break
		}
	}
	trace := StepTrace{Name: st.Name, Request: traceRequest(signed), Response: traceResponse(first)}
	if len(batch) > 1 {
		for _, a := range answers {
			trace.Statuses = append(trace.Statuses, a.status)
		}
	}
	if ctx.Err() != nil && slices.ContainsFunc(answers, func(a exchange) bool { return a.err != nil }) {
		return stepOutcome{trace: trace, cut: true}
	}
	chk := checker{c: c, rules: r.opts.Rules, style: style, action: action, signed: signed, creds: creds, rule: r.stepRule(c.Scenario, st, style)}
	out := stepOutcome{trace: trace}
	out.expected, out.observed, out.findings, out.mismatch = chk.check(st, answers)
	out.expectationMet, out.sameEcho = !chk.missed, chk.sameEcho
	for _, a := range answers {
		if id := a.header.Get("X-Acs-Request-Id"); id != "" {
			r.noteRequestID(id, c.ID)
		}
	}
	if valid && first.err == nil && first.status >= 200 && first.status < 300 {
		r.accepted.Add(1)
	}
	if valid && len(batch) == 1 && first.err == nil && first.status == 200 && first.header.Get("X-Acs-Request-Id") != "" {
		r.noteEarlyNonce(c, st, style, signed.Nonce)
	}
	if st.Capture != nil {
		if name, ok := st.Capture["nonce"]; ok {
			captures[name] = signed.Nonce
		}
		if name, ok := st.Capture["request_id"]; ok {
			captures[name] = first.header.Get("X-Acs-Request-Id")
		}
	}
	return out
}

// build signs a fresh request of step st, with its deviations before and
// after signing, and returns it with the credentials it was signed with.
func (r *runner) build(c *Case, style signature.Style, st *Step, captures map[string]string) (*signature.Signed, signature.Credentials, error) {
	creds, _ := r.credentials(st.Sign)
	return r.buildWith(c, style, st, captures, creds)
}

func (r *runner) buildWith(c *Case, style signature.Style, st *Step, captures map[string]string, creds signature.Credentials) (*signature.Signed, signature.Credentials, error) {
	req, _, err := r.request(c.Profile, style, st)
	if err != nil {
		return nil, creds, err
	}
	// The wire form of a space is chosen before signing: a V3 body is
	// hashed as sent (docs/protocol.md §3.2), so a form re-encoded after signing
	// would no longer match its x-acs-content-sha256.
	b := &signature.Builder{Credentials: creds, Now: r.now, SpacePercent: st.Tamper.Space == "percent"}
	switch n := st.Sign.Nonce; {
	case n == "empty":
		b.Nonce = func() string { return "" }
	case strings.HasPrefix(n, "literal:"):
		v := strings.TrimPrefix(n, "literal:")
		b.Nonce = func() string { return v }
	case strings.HasPrefix(n, "reuse:"):
		v := captures[strings.TrimPrefix(n, "reuse:")]
		b.Nonce = func() string { return v }
	case n == "uuid":
		b.Nonce = newUUID
	default:
		b.Nonce = r.nonces.Next
	}
	applyTime(&req, style, st.Sign.Timestamp, r.now())
	s, err := b.Sign(req)
	if err != nil {
		return nil, creds, fmt.Errorf("cannot build the request: %w", err)
	}
	tamper(s, st.Tamper, creds)
	return s, creds, nil
}

func signIsEmpty(s SignSpec) bool {
	return (s.Nonce == "" || s.Nonce == "fresh") && s.Secret == "" && s.Key == "" &&
		s.Timestamp == (TimeSpec{}) && len(s.Omit) == 0 && len(s.Set) == 0
}

func tamperIsEmpty(t TamperSpec) bool {
	return len(t.Set) == 0 && len(t.Add) == 0 && len(t.Drop) == 0 && len(t.Rename) == 0 && len(t.Headers) == 0 &&
		len(t.DropHeaders) == 0 && len(t.HeaderCase) == 0 && !t.FlipSig && t.Body == nil && t.RawQuery == "" &&
		t.Space == "" && t.Method == "" && !t.Resign && len(t.Unsign) == 0 && t.ROAForm == "" && t.Authorization == ""
}

// newUUID returns a fresh random (version 4) UUID in lowercase, the nonce
// form the docs recommend (docs/protocol.md §1.1).
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// credentials picks the key and secret a step signs with.
func (r *runner) credentials(s SignSpec) (signature.Credentials, signature.Secret) {
	c := r.opts.Credentials
	switch s.Key {
	case "unknown":
		c = signature.Credentials{AccessKeyID: "acsharness-unknown-" + randomHex(6), AccessKeySecret: signature.Secret(randomHex(16))}
	case "inactive":
		// The gateway refuses the key before it checks the signature, so
		// the secret does not matter.
		c = signature.Credentials{AccessKeyID: r.opts.InactiveKeyID, AccessKeySecret: signature.Secret("inactive-" + randomHex(8))}
	case "second":
		c = *r.opts.SecondKey
	case "throttled":
		c = *r.opts.ThrottledKey
	case "sts":
		c = *r.opts.STSKey
	case "main-with-sts-token":
		// The main key carrying the STS key's token: another key's token.
		c.SecurityToken = r.opts.STSKey.SecurityToken
	}
	if s.Secret == "wrong" {
		c.AccessKeySecret = signature.Secret("wrong-" + randomHex(12))
	}
	return c, c.AccessKeySecret
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// request builds the correct request a step starts from, and returns the
// name of the action it calls.
func (r *runner) request(p *Profile, style signature.Style, st *Step) (signature.Request, string, error) {
	rs := st.Request
	req := signature.Request{Style: style, Endpoint: r.opts.Target, Host: p.Host, Version: p.Version}
	if rs.Host != "" {
		req.Host = rs.Host
	}
	ref := p.Probe
	switch rs.Action {
	case "", "probe":
	case "business":
		ref = *p.Business
	default:
		ref = ActionRef{Action: rs.Action, Method: p.Probe.Method}
	}
	req.Action = ref.Action
	req.Method = ref.Method
	var base OrderedKV = ref.Params
	if style == signature.ROA || (style == signature.V3 && rs.Path != "") {
		route := p.ROA
		if route == nil {
			route = &Route{Action: ref.Action, Method: "GET", Version: p.Version}
		}
		req.Path, req.Method, req.Action = route.Path, route.Method, route.Action
		if route.Version != "" {
			req.Version = route.Version
		}
		base = route.Params
	}
	if rs.Path != "" {
		req.Path = rs.Path
	}
	if rs.Action != "" && rs.Action != "probe" && rs.Action != "business" {
		// A literal action names the action of a path request too (its
		// x-acs-action and the XML root expected), not only an RPC one.
		req.Action = rs.Action
	}
	if rs.Method != "" {
		req.Method = rs.Method
	}
	if rs.Version != "" {
		req.Version = rs.Version
	}
	if !rs.NoProbeParams {
		for _, kv := range base {
			req.Query = append(req.Query, signature.Param{Key: kv.Key, Value: kv.Value})
		}
	}
	for _, kv := range rs.Params {
		req.Query = req.Query.Set(kv.Key, kv.Value)
	}
	for _, kv := range rs.Form {
		req.Form = append(req.Form, signature.Param{Key: kv.Key, Value: kv.Value})
	}
	if rs.Body != "" {
		req.Body = []byte(rs.Body)
	}
	if len(rs.Headers) > 0 || len(st.Sign.Set) > 0 && style != signature.RPC {
		req.Header = http.Header{}
	}
	// A header value may name the request's action and version, as the
	// SDKs' x-acs-action and x-acs-version do.
	fill := strings.NewReplacer("{action}", req.Action, "{version}", req.Version)
	for _, kv := range rs.Headers {
		req.Header.Set(kv.Key, fill.Replace(kv.Value))
	}
	switch rs.Format {
	case "", "NONE":
	default:
		req.Format = rs.Format
	}
	if rs.Format == "NONE" && style == signature.ROA {
		req.Omit = append(req.Omit, signature.HeaderAccept)
	}
	req.Omit = append(req.Omit, st.Sign.Omit...)
	for _, kv := range st.Sign.Set {
		if style == signature.RPC {
			req.Query = req.Query.Set(kv.Key, kv.Value)
		} else {
			req.Header.Set(kv.Key, kv.Value)
		}
	}
	return req, req.Action, nil
}

// applyTime applies a timestamp deviation to the request before signing.
func applyTime(req *signature.Request, style signature.Style, t TimeSpec, now time.Time) {
	if t == (TimeSpec{}) {
		return
	}
	at := now.Add(t.Offset).UTC()
	var value string
	switch {
	case t.Form == "fraction":
		value = at.Format("2006-01-02T15:04:05.000Z")
	case t.Form == "offset":
		value = at.In(time.FixedZone("UTC+8", 8*3600)).Format(time.RFC3339)
	case t.Form == "zoneless":
		value = at.Format("2006-01-02T15:04:05")
	case t.Form == "ampm":
		value = at.Format("Mon, 02 Jan 2006 03:04:05 PM GMT")
	case t.Form == "http-date":
		value = string(signature.AppendDate(nil, at))
	case style == signature.ROA && t.Form == "":
		value = string(signature.AppendDate(nil, at))
	default:
		value = string(signature.AppendTimestamp(nil, at))
	}
	if t.Literal != "" {
		value = t.Literal
	}
	switch style {
	case signature.RPC:
		name := signature.ParamTimestamp
		if t.Name != "" {
			req.Omit = append(req.Omit, signature.ParamTimestamp)
			name = t.Name
		}
		req.Query = req.Query.Set(name, value)
	case signature.ROA:
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set(signature.HeaderDate, value)
	case signature.V3:
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set(signature.HeaderACSDate, value)
	}
}

// tamper applies deviations after signing.
func tamper(s *signature.Signed, t TamperSpec, creds signature.Credentials) {
	inForm := func(k string) bool { return s.Form != nil && s.Form.Has(k) && !s.Query.Has(k) }
	for _, kv := range t.Set {
		if inForm(kv.Key) {
			s.Form = s.Form.Set(kv.Key, kv.Value)
		} else {
			s.Query = s.Query.Set(kv.Key, kv.Value)
		}
	}
	for _, kv := range t.Add {
		if inForm(kv.Key) {
			s.Form = append(s.Form, signature.Param{Key: kv.Key, Value: kv.Value})
		} else {
			s.Query = append(s.Query, signature.Param{Key: kv.Key, Value: kv.Value})
		}
	}
	for _, k := range t.Drop {
		s.Query = s.Query.Without(k)
		if s.Form != nil {
			s.Form = s.Form.Without(k)
		}
	}
	for _, kv := range t.Rename {
		for i := range s.Query {
			if s.Query[i].Key == kv.Key {
				s.Query[i].Key = kv.Value
			}
		}
		for i := range s.Form {
			if s.Form[i].Key == kv.Key {
				s.Form[i].Key = kv.Value
			}
		}
	}
	for _, kv := range t.Headers {
		s.Header.Set(kv.Key, kv.Value)
	}
	for _, h := range t.DropHeaders {
		s.Header.Del(h)
	}
	for _, hc := range t.HeaderCase {
		canon := http.CanonicalHeaderKey(hc.Key)
		if v, ok := s.Header[canon]; ok {
			delete(s.Header, canon)
			s.Header[hc.Value] = v
		}
	}
	if t.Body != nil {
		s.Form = nil
		s.Body = []byte(*t.Body)
	}
	switch t.Space {
	case "plus":
		s.SpacePercent = false
	case "percent":
		s.SpacePercent = true
	}
	if t.Method != "" {
		s.Method = t.Method
	}
	if t.Resign {
		s.Resign(creds)
	}
	if len(t.Unsign) > 0 && s.Style == signature.V3 {
		unsign(s, t.Unsign, creds)
	}
	if t.ROAForm != "" && s.Style == signature.ROA {
		signROAForm(s, t.ROAForm, creds)
	}
	if t.FlipSig {
		flipSignature(s)
	}
	if t.Authorization != "" {
		s.Header.Set(signature.HeaderAuthorization, expandAuthorization(s, t.Authorization))
	}
	if t.RawQuery != "" {
		q := string(signature.AppendQuery(nil, s.Query, !s.SpacePercent))
		s.RawQuery = strings.ReplaceAll(t.RawQuery, "{query}", q)
	}
}

// unsign signs a V3 request again over its signed headers less those
// named: a valid signature over too few headers (docs/protocol.md §3.4 step 2).
func unsign(s *signature.Signed, names []string, creds signature.Credentials) {
	m := s.Message()
	m.Header = s.Header.Clone()
	m.Header.Del(signature.HeaderAuthorization)
	signed := slices.DeleteFunc(signature.V3SignedHeaders(&m), func(h string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, h) })
	})
	art := signature.SignV3(&m, signed, creds.AccessKeySecret)
	s.Artifacts = art
	auth := signature.V3Auth{Algorithm: signature.V3Algorithm, Credential: creds.AccessKeyID, SignedHeaders: signed, Signature: art.Signature}
	s.Header.Set(signature.HeaderAuthorization, auth.String())
}

// signROAForm signs a ROA request again in the form of another official
// client: an empty query value as "k=" (the TypeScript, Node and Python
// clients), or the path escaped as sent (darabonba) (docs/protocol.md §2.2, §9 F8,
// F9). The wire is the same; only the signature differs.
func signROAForm(s *signature.Signed, form string, creds signature.Credentials) {
	s.Header.Del(signature.HeaderAuthorization)
	m := s.Message()
	var sts []byte
	switch form {
	case "empty-equals":
		sts = signature.AppendROAStringToSignEmptyEquals(nil, &m)
	case "escaped-path":
		m.Path = string(signature.AppendV3CanonicalURI(nil, m.Path))
		sts = signature.AppendROAStringToSign(nil, &m)
	}
	mac := hmac.New(sha1.New, []byte(creds.AccessKeySecret))
	mac.Write(sts)
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	s.Artifacts = signature.Artifacts{Style: signature.ROA, StringToSign: string(sts), Signature: sig}
	s.Header.Set(signature.HeaderAuthorization, signature.ROAAuthorization(creds.AccessKeyID, sig))
}

// flipSignature changes one character of the signature sent: the fourth
// from the end, which is significant in base64 (unlike the bits before the
// padding) and in hex, and which a gateway comparing only a prefix misses.
func flipSignature(s *signature.Signed) {
	flip := func(sig string) string {
		if sig == "" {
			return "x"
		}
		b := []byte(sig)
		i := max(len(b)-4, 0)
		switch {
		case b[i] == 'A' || b[i] == '0':
			b[i] = 'B'
		case b[i] >= 'a' && b[i] <= 'f':
			b[i] = '0'
		default:
			b[i] = 'A'
		}
		return string(b)
	}
	if sig, ok := s.Query.Get(signature.ParamSignature); ok && s.Style == signature.RPC {
		s.Query = s.Query.Set(signature.ParamSignature, flip(sig))
		return
	}
	auth := s.Header.Get(signature.HeaderAuthorization)
	switch s.Style {
	case signature.ROA:
		if i := strings.LastIndexByte(auth, ':'); i >= 0 {
			s.Header.Set(signature.HeaderAuthorization, auth[:i+1]+flip(auth[i+1:]))
		}
	case signature.V3:
		if i := strings.LastIndex(auth, "Signature="); i >= 0 {
			j := i + len("Signature=")
			s.Header.Set(signature.HeaderAuthorization, auth[:j]+flip(auth[j:]))
		}
	}
}

// send sends every request of batch at once and returns every answer.
func (r *runner) send(ctx context.Context, batch []*signature.Signed) []exchange {
	out := make([]exchange, len(batch))
	var ready, done sync.WaitGroup
	startGun := make(chan struct{})
	for i, s := range batch {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			rctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
			defer cancel()
			req, err := s.HTTPRequest(rctx)
			ready.Done()
			<-startGun
			if err != nil {
				out[i] = exchange{signed: s, err: err}
				return
			}
			resp, err := r.opts.Client.Do(req)
			if err != nil {
				out[i] = exchange{signed: s, err: err}
				return
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			out[i] = exchange{signed: s, status: resp.StatusCode, header: resp.Header, body: body, err: err}
		}()
	}
	ready.Wait()
	close(startGun)
	done.Wait()
	for i := range out {
		if out[i].header == nil {
			out[i].header = http.Header{}
		}
	}
	return out
}

func (r *runner) noteRequestID(id, caseID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requestIDs == nil {
		r.requestIDs = map[string]string{}
	}
	r.transport++
	if first, dup := r.requestIDs[id]; dup {
		if len(r.duplicates) < 10 {
			r.duplicates = append(r.duplicates, fmt.Sprintf("%s (in %s and %s)", id, first, caseID))
		}
		return
	}
	r.requestIDs[id] = caseID
}

// requestIDCheck is the run-wide check that no two responses share a
// RequestId (docs/protocol.md §5: unique per request).
func (r *runner) requestIDCheck() Result {
	res := Result{ID: "envelope/request-id-unique[run]", ScenarioID: "envelope/request-id-unique", Category: "envelope",
		Title: "Every response of the run carries its own RequestId", Style: "all", Product: "all", Spec: "docs/protocol.md §5",
		Rules: []string{ruleRequestIDUnique}, Expected: "every x-acs-request-id distinct"}
	r.mu.Lock()
	defer r.mu.Unlock()
	res.Observed = fmt.Sprintf("%d responses, %d distinct RequestIds", r.transport, len(r.requestIDs))
	switch {
	case r.transport == 0:
		res.Status, res.Reason = Skip, "no response carried x-acs-request-id"
	case len(r.duplicates) > 0:
		r.runFinding(&res, ruleRequestIDUnique, "RequestId repeated: "+strings.Join(r.duplicates, ", "))
	default:
		res.Status = Pass
	}
	return res
}

// runFinding records a finding of a run-wide check and grades the result.
func (r *runner) runFinding(res *Result, rule, msg string) {
	f := Finding{Rule: rule, Level: r.opts.Rules.level(rule), Message: msg}
	res.Findings = append(res.Findings, f)
	res.Status, res.Reason = r.status(res.Findings), joinFindings(res.Findings)
}

// traceRequest records a request as sent, without signature material.
func traceRequest(s *signature.Signed) RequestTrace {
	red := s.Redacted()
	for i, p := range red.Query {
		if p.Key == signature.ParamSignature {
			red.Query[i].Value = "[redacted]"
		}
	}
	t := RequestTrace{Method: s.Method, URL: red.URL(), Headers: map[string]string{}}
	if red.RawQuery != "" {
		t.URL = red.Scheme + "://" + red.Addr + red.Path + "?[raw query, redacted]"
	}
	for k, v := range red.Header {
		val := strings.Join(v, ", ")
		if strings.EqualFold(k, signature.HeaderAuthorization) {
			val = redactAuthorization(val)
		}
		t.Headers[k] = val
	}
	if s.Host != s.Addr {
		t.Headers["Host"] = s.Host
	}
	t.Body = string(red.BodyBytes())
	return t
}

// redactAuthorization keeps the scheme, key ID and signed headers of an
// Authorization header and hides the signature.
func redactAuthorization(v string) string {
	if i := strings.LastIndex(v, "Signature="); i >= 0 {
		return v[:i] + "Signature=[redacted]"
	}
	if i := strings.LastIndexByte(v, ':'); i >= 0 && strings.HasPrefix(v, "acs ") {
		return v[:i+1] + "[redacted]"
	}
	return "[redacted]"
}

func traceResponse(a exchange) ResponseTrace {
	t := ResponseTrace{Status: a.status}
	if a.err != nil {
		t.Error = a.err.Error()
		return t
	}
	t.Headers = map[string]string{}
	for _, k := range []string{"Content-Type", "X-Acs-Request-Id", "Date"} {
		if v := a.header.Get(k); v != "" {
			t.Headers[k] = v
		}
	}
	body := a.body
	if len(body) > 4096 {
		body = append(bytes.Clone(body[:4096]), "…"...)
	}
	t.Body = string(body)
	return t
}

// IsUnreachable reports whether err is a transport failure that means the
// target never answered.
func IsUnreachable(err error) bool {
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op)
}

// expandAuthorization fills an Authorization template with the parts of the
// header as signed (see TamperSpec.Authorization).
func expandAuthorization(s *signature.Signed, tmpl string) string {
	var alg, cred, signed, sig string
	auth := s.Header.Get(signature.HeaderAuthorization)
	switch s.Style {
	case signature.V3:
		a, _ := signature.ParseV3Authorization(auth)
		alg, cred, signed, sig = a.Algorithm, a.Credential, strings.Join(a.SignedHeaders, ";"), a.Signature
	case signature.ROA:
		alg = "acs"
		cred, sig, _ = signature.ParseROAAuthorization(auth)
	default:
		cred = s.AccessKeyID
		sig, _ = s.Query.Get(signature.ParamSignature)
	}
	return strings.NewReplacer("{algorithm}", alg, "{credential}", cred, "{signed_headers}", signed, "{signature}", sig).Replace(tmpl)
}
