// Package gateway is the reference POP gateway: it verifies RPC, ROA and V3
// signed requests in the order of docs/protocol.md §4.2, answers with the exact
// error codes, statuses and envelopes of docs/protocol.md §4 and §5, and serves a
// small in-memory backend per product (ApsaraMQ for MQTT and for RabbitMQ)
// so that a success looks real. It is acsharness's embedded default target,
// runs in-process for tests, and runs as `acsharness serve`.
package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acsharness/acsharness/product"
	"github.com/acsharness/acsharness/signature"
)

// Gateway is the reference gateway, an http.Handler. Build it with New.
type Gateway struct {
	cfg      Config
	pinned   *product.Profile
	backends map[string]*backend
	keys     keyring
	nonces   *NonceStore
	limiter  *limiter
	faults   faultSet
	metrics  *metrics
	registry *prometheus.Registry
	verifier sync.Pool                       // *signature.Verifier
	hosts    cache[string, *product.Profile] // Host headers resolved (issue 13: 2.5% of a request)
	// systemClock: the clock is time.Now (Config.Now was nil), so a
	// request's time is the one ServeHTTP read as it began.
	systemClock bool

	faultMu      sync.Mutex
	perKeyNonces map[string]bool // the per-key-nonces fault's store
	fixedReqID   string          // the repeated-request-id fault's one ID
	lru          [64]string      // the nonce-lru fault's ring of nonces
	lruNext      int
}

// New builds a gateway from cfg, filling its defaults. An invalid setting is
// an error naming it and the valid values.
func New(cfg Config) (*Gateway, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:         c,
		systemClock: cfg.Now == nil,
		backends:    map[string]*backend{},
		keys:        newKeyring(c.Keys),
		nonces:      NewNonceStore(c.NonceRetention, c.NonceCapacity, c.Now),
		limiter:     newLimiter(c.RateLimit, c.RateBurst, c.Now),
		faults:      newFaultSet(c.Faults),
		verifier:    sync.Pool{New: func() any { return new(signature.Verifier) }},
	}
	if c.Product != "" {
		p, _ := product.Find(c.Products, c.Product)
		g.pinned = &p
	}
	for _, p := range c.Products {
		g.backends[p.Code] = newBackend(p, c.Now)
	}
	reg := c.Registerer
	if reg == nil {
		g.registry = prometheus.NewRegistry()
		reg = g.registry
	}
	g.metrics, err = newMetrics(reg, g)
	if err != nil {
		return nil, err
	}
	g.perKeyNonces = map[string]bool{}
	g.fixedReqID = newRequestID()
	return g, nil
}

// Config returns the gateway's configuration with its defaults filled.
func (g *Gateway) Config() Config { return g.cfg }

// Nonces returns the gateway's nonce store.
func (g *Gateway) Nonces() *NonceStore { return g.nonces }

// Registry returns the gateway's own metrics registry, or nil when its
// metrics went to Config.Registerer.
func (g *Gateway) Registry() *prometheus.Registry { return g.registry }

// call is the state of one request as it goes through the checks.
type call struct {
	r        *http.Request
	rp       reply
	style    signature.Style
	prod     *product.Profile
	params   signature.Params // RPC: query and form, deduplicated; ROA/V3: query
	extra    signature.Params // ROA/V3 business parameters from the body and path
	body     []byte
	action   *action
	backend  *backend
	akID     string
	result   string   // the error code answered, or "OK"
	throttle throttle // Throttling.User: what the client is told to wait
	nonceKey nonceKey // the nonce's key in the store, once hashed
	hashed   bool
	// nonceDeferred: the nonce's lookup was left to its record after the
	// signature (checkNonce), or to authenticate when a step fails first.
	nonceDeferred bool
	now           int64             // the request's time on the gateway's clock, in ns (authenticate)
	start         time.Time         // when ServeHTTP began, on the system clock
	pooled        *signature.Params // the query's list, from paramsPool
}

// paramsPool holds the lists requests parse their queries into, so that a
// request allocates none (issue 13).
var paramsPool = sync.Pool{New: func() any { return new(signature.Params) }}

// maxPooledParams bounds the lists given back: a hostile query's long one
// is left to the collector.
const maxPooledParams = 256

// parseRequestQuery parses the URL query into a list from the pool, given
// back by release when the request ends.
func (g *Gateway) parseRequestQuery(c *call) (signature.Params, *apiError) {
	if c.pooled == nil {
		c.pooled = paramsPool.Get().(*signature.Params)
	}
	p, err := g.parseQuery((*c.pooled)[:0], c.r.URL.RawQuery)
	if p != nil {
		*c.pooled = p // keep what it grew to
	}
	return p, err
}

// release gives the request's pooled list back, emptied, once nothing
// reads it: the answer is written, the request observed.
func (c *call) release() {
	if c.pooled == nil {
		return
	}
	ptr := c.pooled
	c.pooled, c.params = nil, nil
	p := *ptr
	if cap(p) > maxPooledParams {
		return
	}
	clear(p[:cap(p)]) // no string of this request stays reachable
	*ptr = p[:0]
	paramsPool.Put(ptr)
}

// nonce returns the store's key of the request's nonce, hashing it once
// for both the check and the record.
func (g *Gateway) nonce(c *call, nonce string) nonceKey {
	if !c.hashed {
		c.nonceKey, c.hashed = g.nonces.key(nonce), true
	}
	return c.nonceKey
}

// Handler returns the gateway with its operational routes: /healthz
// answers 200 "ok" to a GET without a query or Authorization; everything
// else is the POP API.
func (g *Gateway) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && r.Method == http.MethodGet && r.URL.RawQuery == "" && r.Header.Get("Authorization") == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "ok\n")
			return
		}
		g.ServeHTTP(w, r)
	})
}

// ServeHTTP answers one POP API request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id, trace := newIDs()
	c := &call{r: r, start: start, rp: reply{requestID: id, traceID: trace, hostID: hostOnly(r.Host), format: FormatJSON}}
	g.applyEnvelopeFaults(c)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			c.result = CodeInternalError
			if g.cfg.Logger != nil {
				g.cfg.Logger.Error("panic", "request_id", c.rp.requestID, "panic", fmt.Sprint(p))
			}
			g.writeError(w, c, errInternal)
		}
		g.observe(c, start, time.Since(start))
		c.release()
	}()
	if err := g.serve(w, c); err != nil {
		c.result = err.Code
		g.writeError(w, c, err)
		return
	}
	c.result = "OK"
}

func (g *Gateway) writeError(w http.ResponseWriter, c *call, e *apiError) {
	if c.throttle.wait > 0 && !g.faults.has(FaultNoRetryAfter) {
		c.throttle.set(w.Header())
	}
	if g.faults.any {
		e = g.faultyError(c, e)
	}
	c.rp.writeError(w, e)
}

// serve runs the checks of docs/protocol.md §4.2 in order and the action.
func (g *Gateway) serve(w http.ResponseWriter, c *call) *apiError {
	r := c.r
	// A browser's CORS preflight, never signed, is answered as the
	// Access-Control-* headers of the real gateway promise (docs/protocol.md §9 F11).
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" &&
		r.Header.Get(signature.HeaderAuthorization) == "" && !g.faults.has(FaultNoPreflight) {
		c.rp.writePreflight(w, r.Header.Get("Access-Control-Request-Headers"))
		return nil
	}
	// Limits on hostile input come before anything is parsed.
	if n := headerBytes(r); n > g.cfg.MaxHeaderBytes {
		return errf(http.StatusRequestHeaderFieldsTooLarge, CodeHeaderTooLarge,
			"The request headers and URL hold %d bytes, more than the limit of %d.", n, g.cfg.MaxHeaderBytes)
	}
	// A request without a body (the server gives every bodiless request
	// http.NoBody) skips the reader and io.ReadAll's 512-byte buffer.
	if r.Body != nil && r.Body != http.NoBody {
		// The body has BodyTimeout to arrive, less than the write timeout,
		// so that one trickled in or stopped mid-chunk is still answered.
		// (A recorder in a test supports no deadline; nothing to bound.)
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.cfg.BodyTimeout))
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			var netErr net.Error
			switch {
			case errors.As(err, &tooLarge):
				return errf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "The request body is larger than the limit of %d bytes.", g.cfg.MaxBodyBytes)
			case errors.As(err, &netErr) && netErr.Timeout():
				return errf(http.StatusRequestTimeout, CodeBodyTimeout, "The request body did not arrive within %v.", g.cfg.BodyTimeout)
			}
			return errf(http.StatusBadRequest, CodeInvalidParameter, "The request body could not be read.")
		}
		c.body = body
	}

	// Step 1: Host → product. An IP or localhost defers to the version.
	if err := g.resolveHost(c); err != nil {
		return err
	}
	if c.prod != nil {
		// An error raised before Format or Accept is read answers in the
		// product's default (docs/protocol.md §5); each style refines it.
		c.rp.format = g.cfg.defaultFormat(c.prod)
	}
	// Step 2: the style, from the Authorization header.
	auth := r.Header.Get(signature.HeaderAuthorization)
	c.style = signature.StyleOfAuthorization(auth)
	switch c.style {
	case signature.RPC:
		if r.Method != http.MethodGet && r.Method != http.MethodPost && !g.faults.has(FaultAnyMethod) {
			return errUnsupportedHTTP
		}
		return g.serveRPC(w, c)
	default:
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
		default:
			return errUnsupportedHTTP
		}
		if c.style == signature.ROA {
			return g.serveROA(w, c, auth)
		}
		return g.serveV3(w, c, auth)
	}
}

// resolveHost routes by Host (docs/protocol.md §4.2 step 1, §6): an endpoint of a
// product in a region it serves, under aliyuncs.com or a configured suffix.
func (g *Gateway) resolveHost(c *call) *apiError {
	if g.pinned != nil {
		g.setProduct(c, g.pinned)
		return nil
	}
	if p, ok := g.hosts.load(c.r.Host); ok {
		g.setProduct(c, p)
		return nil
	}
	if p, ok := product.ForHost(g.cfg.Products, c.r.Host, g.cfg.EndpointSuffixes...); ok {
		prof := g.profile(p.Code)
		g.hosts.store(c.r.Host, prof, maxCachedHosts)
		g.setProduct(c, prof)
		return nil
	}
	if isLocalHost(c.r.Host) || g.faults.has(FaultAnyHost) {
		return nil
	}
	return errInvalidProduct
}

// maxCachedHosts bounds the Host headers remembered: an endpoint's few
// spellings, not every case variant a hostile client can send.
const maxCachedHosts = 64

// profile points at the configured profile of a product code, so that a
// request does not copy one to the heap (&p of a lookup's copy did).
func (g *Gateway) profile(code string) *product.Profile {
	for i := range g.cfg.Products {
		if g.cfg.Products[i].Code == code {
			return &g.cfg.Products[i]
		}
	}
	return nil
}

func (g *Gateway) setProduct(c *call, p *product.Profile) {
	c.prod = p
	c.backend = g.backends[p.Code]
	c.rp.product = p.SDKProduct
}

// isLocalHost reports whether host is an IP address or localhost, which
// carry no product name.
func isLocalHost(host string) bool {
	h := hostOnly(host)
	return net.ParseIP(strings.Trim(h, "[]")) != nil || h == "localhost" || strings.HasSuffix(h, ".localhost") || h == ""
}

// hostOnly strips the port from a Host header.
func hostOnly(host string) string {
	if strings.IndexByte(host, ':') < 0 {
		return host // no port; SplitHostPort would allocate its error
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// headerBytes approximates the size of the request line and headers.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// resolveVersion settles the product of a request addressed by IP from its
// version, and checks the version against the product (step 5).
func (g *Gateway) resolveVersion(c *call, version string, anyVersion bool) *apiError {
	if c.prod == nil {
		p, ok := product.ForVersion(g.cfg.Products, version)
		if !ok {
			if !anyVersion {
				return errInvalidVersion
			}
			p = g.cfg.Products[0]
		}
		g.setProduct(c, g.profile(p.Code))
		return nil
	}
	if version != c.prod.Version && !anyVersion && !g.faults.has(FaultAnyVersion) {
		return errInvalidVersion
	}
	return nil
}

// parseQuery form-decodes the query string; a malformed escape is answered
// 400 RequestParameterMalformed, as the real gateway does, never a 500
// (docs/protocol.md §1.6, §9 F1).
func (g *Gateway) parseQuery(dst signature.Params, raw string) (signature.Params, *apiError) {
	if g.faults.has(FaultPlusLiteral) {
		raw = strings.ReplaceAll(raw, "+", "%2B")
	}
	if dst == nil && raw != "" {
		// Size the list once, a pair per '&' plus one (at most one past
		// the limit), rather than grow it from nil five times per request.
		dst = make(signature.Params, 0, min(strings.Count(raw, "&")+1, g.cfg.MaxParams+1))
	}
	p, err := signature.ParseQuery(dst, raw)
	if e := g.malformedFault(err); e != nil {
		return nil, e
	}
	if err != nil {
		return nil, errMalformed
	}
	if len(p) > g.cfg.MaxParams {
		return nil, errf(http.StatusBadRequest, CodeTooManyParams, "The request carries %d parameters, more than the limit of %d.", len(p), g.cfg.MaxParams)
	}
	return p, nil
}

// isForm reports whether the request body is application/x-www-form-urlencoded.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// dedupe keeps the first parameter of each name, as a Java servlet's
// getParameter does (docs/protocol.md §1.6): a copy added after signing is ignored.
func dedupe(p signature.Params) signature.Params {
	// The SDKs send their parameters sorted (a url.Values encoded, a
	// sorted query): names in strictly increasing order repeat none.
	sorted := true
	for i := 1; i < len(p) && sorted; i++ {
		sorted = p[i-1].Key < p[i].Key
	}
	if sorted {
		return p
	}
	for i := 1; i < len(p); i++ {
		for j := 0; j < i; j++ {
			if p[j].Key == p[i].Key {
				out := p[:i:i]
				for _, q := range p[i:] {
					if !out.Has(q.Key) {
						out = append(out, q)
					}
				}
				return out
			}
		}
	}
	return p
}

// getParam looks up a common parameter by its case-sensitive name.
func (g *Gateway) getParam(p signature.Params, name string) (string, bool) {
	if v, ok := p.Get(name); ok {
		return v, true
	}
	if g.faults.has(FaultFoldParamNames) {
		for _, q := range p {
			if strings.EqualFold(q.Key, name) {
				return q.Value, true
			}
		}
	}
	if name == signature.ParamTimestamp && g.faults.has(FaultTimeStampAlias) {
		return p.Get("TimeStamp")
	}
	return "", false
}

// outcome turns a verifier's check into the gateway's: whether the
// signature passed (compared as the signature-prefix fault would, when on)
// and, when not, the server string to sign.
func (g *Gateway) outcome(v *signature.Verifier, ok bool, got string) (bool, string) {
	if g.faults.has(FaultSignaturePrefix) {
		ok = g.compare(v.Artifacts().Signature, got)
	}
	if ok {
		return true, ""
	}
	return false, v.StringToSign()
}

// compare is the faulty comparison of the signature faults.
func (g *Gateway) compare(want, got string) bool {
	if g.faults.has(FaultSignaturePrefix) {
		return len(got) >= 8 && len(want) >= 8 && want[:8] == got[:8]
	}
	return want == got
}

// authenticate runs steps 6 to 10 of docs/protocol.md §4.2: timestamp format and
// skew, nonce, key, signature, STS token, nonce record, throttling. verify checks the
// signature with a secret and returns the server string to sign when it
// does not match.
func (g *Gateway) authenticate(c *call, ts string, httpDate bool, nonce string, hasNonce bool, akID string,
	verify func(signature.Secret) (bool, string)) *apiError {
	if hasNonce {
		// The nonce's slot in the store starts coming into the caches:
		// the store's lookup comes after the signature's check, by which
		// time it has arrived (issue 13: the lookup's miss was 2% of the
		// gateway's time).
		g.nonces.prefetch(g.nonce(c, nonce))
	}
	err := g.authenticateSteps(c, ts, httpDate, nonce, hasNonce, akID, verify)
	if err != nil && c.nonceDeferred && g.nonces.seen(g.nonce(c, nonce), c.now) {
		// A step after the nonce's place failed: had the nonce been looked
		// up there, its answer would have come first.
		return errNonceUsed
	}
	return err
}

// authenticateSteps is authenticate before its deferred nonce lookup.
func (g *Gateway) authenticateSteps(c *call, ts string, httpDate bool, nonce string, hasNonce bool, akID string,
	verify func(signature.Secret) (bool, string)) *apiError {
	// The clock is read as few times as it can be: time.Now costs ~100 ns
	// here (issue 13).
	now := c.start
	if !g.systemClock {
		now = g.cfg.Now()
	}
	c.now = now.UnixNano()
	if err := g.checkTime(now, ts, httpDate); err != nil {
		return err
	}
	c.akID = akID
	if g.cfg.NonceCheck == NonceBeforeKey && hasNonce {
		if err := g.checkNonce(c, nonce); err != nil {
			return err
		}
	}
	key, ok := g.keys.byID[akID]
	if !ok {
		if e := g.unknownKeyFault(c); e != nil {
			return e
		}
		if g.cfg.KeyNotFoundCode == CodeKeyInvalid {
			return errKeyInvalid
		}
		return errKeyNotFound
	}
	if key.Status == KeyInactive && !g.faults.has(FaultInactiveKeyOK) {
		return errKeyInactive
	}
	if g.cfg.NonceCheck == NonceAfterKey && hasNonce {
		if err := g.checkNonce(c, nonce); err != nil {
			return err
		}
	}
	// Two readings of the monotonic clock alone, against the request's
	// start: time.Now would read the wall clock too.
	before := time.Since(c.start)
	ok, sts := verify(key.Secret)
	g.metrics.verifyBy.get(string(c.style)).Observe((time.Since(c.start) - before).Seconds())
	if g.faults.has(FaultSkipSignature) {
		ok = true
	}
	if !ok {
		return g.mismatch(c, sts)
	}
	// The STS token, once the signature (which covers it) has passed: only
	// the key's holder learns whether a token is another key's.
	if err := g.keys.checkToken(key, c.securityToken(), now); err != nil && !g.faults.has(FaultSTSTokenUnchecked) {
		return err
	}
	if hasNonce && g.cfg.NonceRecord == RecordAfterSignature {
		c.nonceDeferred = false // the record below checks as it inserts
		if err := g.recordNonce(c, nonce); err != nil {
			return err
		}
	}
	if th, ok := g.limiter.allow(key); !ok && !g.faults.has(FaultNoThrottling) {
		c.throttle = th
		return errThrottled
	}
	return nil
}

// securityToken returns the STS token the request carries, "" for none:
// the SecurityToken parameter (RPC) or the x-acs-security-token header
// (ROA, V3) (docs/protocol.md §1.1, §2.1, §3.1).
func (c *call) securityToken() string {
	if c.style == signature.RPC {
		v, _ := c.params.Get(signature.ParamSecurityToken)
		return v
	}
	return signature.HeaderValue(c.r.Header, signature.HeaderACSSecurityToken)
}

// mismatch is the error for a wrong signature, carrying the server string
// to sign after the marker the official SDK looks for (docs/protocol.md §5).
func (g *Gateway) mismatch(c *call, sts string) *apiError {
	code := g.cfg.mismatchCode(c.prod) // per product (docs/protocol.md §9 F13)
	switch sts {
	case bodyHashMismatch:
		return &apiError{http.StatusBadRequest, code, "Specified x-acs-content-sha256 does not match the request body."}
	case contentMD5Mismatch:
		return &apiError{http.StatusBadRequest, code, "Specified Content-MD5 does not match the request body."}
	}
	if c.style == signature.V3 && code == CodeSignatureDoesNotMatch && !g.faults.has(FaultV3MismatchRPCForm) {
		return &apiError{http.StatusBadRequest, CodeSignatureDoesNotMatch, msgMismatchV3 + sts + "]"}
	}
	if code == CodeIncompleteSignature {
		return &apiError{http.StatusBadRequest, CodeIncompleteSignature, msgIncomplete + sts}
	}
	return &apiError{http.StatusBadRequest, CodeSignatureDoesNotMatch, msgMismatch + sts}
}

// Markers a verifier returns instead of a string to sign when the body,
// not the signature, is what does not match.
const (
	bodyHashMismatch   = "\x00x-acs-content-sha256"
	contentMD5Mismatch = "\x00content-md5"
)

// checkTime parses a Timestamp / x-acs-date (ISO 8601 UTC) or a ROA Date
// (RFC 1123 GMT) and checks the skew window in both directions
// (docs/protocol.md §4.1).
func (g *Gateway) checkTime(now time.Time, ts string, httpDate bool) *apiError {
	t, ok := g.parseTime(ts, httpDate)
	if !ok {
		if !g.faults.has(FaultLenientTimestamp) {
			return errTSFormat
		}
		t = now
	}
	skew := g.cfg.Skew
	if g.faults.has(FaultWideSkew) {
		skew = time.Hour
	}
	d := now.Sub(t)
	if d > skew || (d < -skew && !g.faults.has(FaultFutureOK)) {
		return errTSExpired
	}
	return nil
}

// parseTime accepts RFC 3339 with optional fractional seconds and a Z, or a
// numeric offset when TimestampOffsets is set, or no zone at all, read as
// UTC, unless ZonelessTimestamp refuses it (docs/protocol.md §4.1, §9 F2); a Date
// header in any of the three HTTP date forms or with a 12-hour clock and
// AM/PM, which the real gateway parses (docs/protocol.md §4.1, §9 F3).
func (g *Gateway) parseTime(s string, httpDate bool) (time.Time, bool) {
	if httpDate {
		t, err := http.ParseTime(s)
		if err != nil {
			t, err = time.Parse(dateAMPM, s)
		}
		return t, err == nil
	}
	if t, ok := parseTimestampZ(s); ok {
		return t, true
	}
	if len(s) < 19 || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if g.faults.has(FaultNoFraction) && strings.Contains(s, ".") {
		return time.Time{}, false
	}
	if err != nil {
		if g.cfg.ZonelessTimestamp != ZonelessUTC {
			return time.Time{}, false
		}
		t, err = time.ParseInLocation(timestampZoneless, s, time.UTC)
		return t, err == nil
	}
	if !strings.HasSuffix(s, "Z") && !g.cfg.TimestampOffsets {
		return time.Time{}, false
	}
	return t, true
}

// parseTimestampZ parses the form every official SDK sends,
// YYYY-MM-DDThh:mm:ssZ, in a fraction of time.Parse's time (issue 13),
// and reports false for anything else, a day past the month's last or a
// 60th second included, which it leaves to time.Parse and the settings.
// What it takes, time.Parse takes as the same instant (TestParseTimestampZ).
func parseTimestampZ(s string) (time.Time, bool) {
	if len(s) != len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	var f [6]int // year, month, day, hour, minute, second
	for i, at := range [6]struct{ from, to int }{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		for _, c := range []byte(s[at.from:at.to]) {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			f[i] = f[i]*10 + int(c-'0')
		}
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > daysIn(time.Month(f[1]), f[0]) || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}, false
	}
	// The day's number counted from 1970-01-01 (H. Hinnant's
	// days_from_civil, the years from March on so that February ends them).
	y, m := f[0], f[1]
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + f[2] - 1
	days := era*146097 + yoe*365 + yoe/4 - yoe/100 + doy - 719468
	return time.Unix(int64(days)*86400+int64(f[3]*3600+f[4]*60+f[5]), 0).UTC(), true
}

// daysIn is the number of days of month m of year y.
func daysIn(m time.Month, y int) int {
	if m == time.February {
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + int((m+m/8)%2)
}

// Time layouts beyond RFC 3339 and the HTTP dates (docs/protocol.md §9 F2, F3).
const (
	timestampZoneless = "2006-01-02T15:04:05.999999999"
	dateAMPM          = "Mon, 02 Jan 2006 03:04:05 PM GMT"
)

// checkNonce rejects a nonce already used (docs/protocol.md §4.1). An empty nonce
// counts as present and as used: the real gateway answered
// SignatureNonceUsed to one.
func (g *Gateway) checkNonce(c *call, nonce string) *apiError {
	if g.faults.has(FaultForgetNonces) {
		return nil
	}
	if nonce == "" && !g.faults.has(FaultEmptyNonceOK) {
		return errNonceUsed
	}
	if g.faults.has(FaultNonceLRU) {
		return g.lruNonce(nonce, g.cfg.NonceRecord == RecordOnArrival)
	}
	if g.faults.has(FaultPerKeyNonces) {
		g.faultMu.Lock()
		defer g.faultMu.Unlock()
		if g.perKeyNonces[c.akID+"\x00"+nonce] {
			return errNonceUsed
		}
		if g.cfg.NonceRecord == RecordOnArrival {
			g.perKeyNonces[c.akID+"\x00"+nonce] = true
		}
		return nil
	}
	if g.cfg.NonceRecord == RecordOnArrival {
		return g.addNonce(c, nonce)
	}
	if !g.faults.has(FaultNonceRace) {
		// The lookup waits for the record after the signature, which
		// checks as it inserts: a fresh nonce's first lookup misses the
		// caches, and one lookup under one lock, not two, pays for it.
		// Each later step that fails looks the nonce up first
		// (authenticate), so the answers keep their order.
		c.nonceDeferred = true
		return nil
	}
	if g.nonces.seen(g.nonce(c, nonce), c.now) {
		return errNonceUsed
	}
	return nil
}

// recordNonce records a nonce once the signature has passed: the atomic
// check-and-insert that lets exactly one of many racing copies through.
func (g *Gateway) recordNonce(c *call, nonce string) *apiError {
	switch {
	case g.faults.has(FaultForgetNonces):
		return nil
	case g.faults.has(FaultNonceLRU):
		return g.lruNonce(nonce, true)
	case g.faults.has(FaultPerKeyNonces):
		g.faultMu.Lock()
		defer g.faultMu.Unlock()
		k := c.akID + "\x00" + nonce
		if g.perKeyNonces[k] {
			return errNonceUsed
		}
		g.perKeyNonces[k] = true
		return nil
	case g.faults.has(FaultNonceRace):
		// The fault: check, pause, then record without rechecking. The
		// pause stands for a slow store (a remote cache's round trip); at
		// 20 ms, copies sent at once on a machine loaded to 10 (make test
		// beside other jobs) arrived apart and the self-test missed the
		// fault one run in a few dozen.
		if g.nonces.Seen(nonce) {
			return errNonceUsed
		}
		time.Sleep(100 * time.Millisecond)
		_, _ = g.nonces.Add(nonce)
		return nil
	}
	return g.addNonce(c, nonce)
}

func (g *Gateway) addNonce(c *call, nonce string) *apiError {
	added, err := g.nonces.addKey(g.nonce(c, nonce), c.now)
	if err != nil {
		return errUnavailable
	}
	if !added {
		return errNonceUsed
	}
	return nil
}

// finish runs steps 11 and 12: the action's business parameters and the
// action itself.
func (g *Gateway) finish(w http.ResponseWriter, c *call, params signature.Params) *apiError {
	a := c.action
	if g.faults.has(FaultSkipBusinessCheck) {
		a = &action{name: a.name, handle: a.handle}
	}
	if g.faults.has(FaultStrictParams) && (params.Has("RegionId") || params.Has("ResourceOwnerAccount") || params.Has("SignatureType")) {
		return errInvalidParameter("RegionId")
	}
	out, err := c.backend.call(a, params, g.cfg.MissingParameterStyle)
	if err != nil {
		// A backend's error comes in its own field order (docs/protocol.md §9 F10).
		c.rp.business = true
		return err
	}
	name := c.action.name
	if c.rp.xmlRoot != "" {
		name = strings.TrimSuffix(c.rp.xmlRoot, "Response")
	}
	c.rp.writeSuccess(w, name, out)
	return nil
}

// bodyParams adds the business parameters a ROA or V3 body carries: a form,
// or a JSON object whose scalar members become parameters.
func (g *Gateway) bodyParams(c *call) *apiError {
	if len(c.body) == 0 {
		return nil
	}
	if isForm(c.r) {
		p, err := g.parseQuery(nil, string(c.body))
		if err != nil {
			return err
		}
		c.extra = append(c.extra, p...)
		return nil
	}
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(c.body, &obj); err != nil {
		return errf(http.StatusBadRequest, CodeInvalidParameter, "The request body is not a JSON object: %v.", err)
	}
	if obj == nil {
		// json.Unmarshal takes a body of `null` into a nil map without an
		// error; it is no object either (found by hostile_test.go).
		return errf(http.StatusBadRequest, CodeInvalidParameter, "The request body is not a JSON object: null.")
	}
	for k, v := range obj {
		switch v := v.(type) {
		case string:
			c.extra = append(c.extra, signature.Param{Key: k, Value: v})
		case float64:
			c.extra = append(c.extra, signature.Param{Key: k, Value: strconv.FormatFloat(v, 'f', -1, 64)})
		case bool:
			c.extra = append(c.extra, signature.Param{Key: k, Value: strconv.FormatBool(v)})
		}
	}
	if len(c.extra) > g.cfg.MaxParams {
		return errf(http.StatusBadRequest, CodeTooManyParams, "The request carries %d parameters, more than the limit of %d.", len(c.extra), g.cfg.MaxParams)
	}
	return nil
}

// acceptFormat picks the ROA/V3 response format from Accept (docs/protocol.md §5).
func (g *Gateway) acceptFormat(c *call) string {
	accept := strings.ToLower(c.r.Header.Get(signature.HeaderAccept))
	switch {
	case (strings.Contains(accept, "application/xml") || strings.Contains(accept, "text/xml")) && g.faults.has(FaultJSONForXML):
		return FormatJSON
	case strings.Contains(accept, "application/xml") || strings.Contains(accept, "text/xml"):
		return FormatXML
	case strings.Contains(accept, "application/json"):
		return FormatJSON
	case g.cfg.ROADefaultFormat == "PRODUCT":
		return g.cfg.defaultFormat(c.prod)
	}
	return g.cfg.ROADefaultFormat
}

// canonicalKeys remembers the canonical form of the header names the
// gateway looks up, all constants: http.CanonicalHeaderKey allocates a new
// string for each lowercase one, per request.
var canonicalKeys cache[string, string]

func canonicalKey(name string) string {
	if k, ok := canonicalKeys.load(name); ok {
		return k
	}
	k := http.CanonicalHeaderKey(name)
	canonicalKeys.store(name, k, 64)
	return k
}

// headerPresent returns a header's trimmed first value and whether it was
// sent at all (an empty value counts as sent).
func headerPresent(h http.Header, name string) (string, bool) {
	vs, ok := h[canonicalKey(name)]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return strings.TrimSpace(vs[0]), true
}

// observe records metrics and the access log of a request that started at
// start and took d.
func (g *Gateway) observe(c *call, start time.Time, d time.Duration) {
	prod, actionName := "unknown", "unknown"
	if c.prod != nil {
		prod = c.prod.Code
	}
	if c.action != nil {
		actionName = c.action.name
	}
	style := string(c.style)
	if style == "" {
		style = "unknown"
	}
	g.metrics.requestsBy.get(requestLabels{prod, actionName, style, boundedCode(c.result)}).Inc()
	g.metrics.durationBy.get(style).Observe(d.Seconds())
	if al := g.cfg.AccessLog; al != nil {
		// Never a secret, a signature, a nonce or the query string.
		al.add(&accessRecord{time: start.Add(d), requestID: c.rp.requestID, remote: c.r.RemoteAddr, method: c.r.Method,
			path: c.r.URL.Path, host: c.rp.hostID, style: style, product: prod, action: actionName, accessKey: c.akID,
			result: c.result, duration: d})
	} else if g.cfg.Logger != nil {
		// Never a secret, a signature, a nonce or the query string.
		g.cfg.Logger.LogAttrs(c.r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", c.rp.requestID),
			slog.String("remote", c.r.RemoteAddr),
			slog.String("method", c.r.Method),
			slog.String("path", c.r.URL.Path),
			slog.String("host", c.rp.hostID),
			slog.String("style", style),
			slog.String("product", prod),
			slog.String("action", actionName),
			slog.String("access_key_id", c.akID),
			slog.String("result", c.result),
			slog.Duration("duration", d),
		)
	}
}
