package load

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/acsharness/acsharness/signature"
)

// The signers BenchSigners compares in each style.
const (
	// SignerOurs is acsharness's template signer, as the load generator
	// signs: a fresh nonce and timestamp per request, into a reused buffer.
	SignerOurs = "acsharness"
	// SignerFloor is the bare hash and HMAC over a fixed string to sign,
	// with reused hash states: no signer can go faster.
	SignerFloor = "floor"
	// SignerSDK is the official openapi-util signer.
	SignerSDK = "sdk"
	// SignerTailFloor is the bare HMAC (and, for V3, SHA-256) over the
	// part of the string to sign that changes with each request (from the
	// nonce on), with reused states: what a signature costs at the least
	// once the unchanging prefix is hashed ahead, the floor under ours.
	SignerTailFloor = "tail-floor"
)

// SignerBenchOptions configure BenchSigners.
type SignerBenchOptions struct {
	// Duration is how long one measurement of one case lasts; 0 means 1 s.
	Duration time.Duration
	// Count is how many measurements of each case are taken, interleaved
	// with the other cases; the median is reported. 0 means 5.
	Count int
}

// SignerFigures are the measured cost of one signer, on one goroutine.
type SignerFigures struct {
	Signer string `json:"signer"`
	// Impl names the code measured.
	Impl string `json:"impl"`
	// NsPerOp is the median over the measurements.
	NsPerOp float64 `json:"ns_per_op"`
	// OpsPerSecond is 1e9 / NsPerOp: signatures per second on one core.
	OpsPerSecond float64 `json:"ops_per_second_per_core"`
	AllocsPerOp  float64 `json:"allocs_per_op"`
	BytesPerOp   float64 `json:"bytes_per_op"`
	// Runs are every measurement, in ns/op.
	Runs []float64 `json:"runs_ns_per_op"`
}

// SignerStyleBench compares the signers of one style on the same request.
type SignerStyleBench struct {
	Style     string        `json:"style"`
	Ours      SignerFigures `json:"ours"`
	Floor     SignerFigures `json:"floor"`
	TailFloor SignerFigures `json:"tail_floor"`
	SDK       SignerFigures `json:"sdk"`
	// OursOverFloor is the median, over the rounds, of ours' ns/op over the
	// naive floor's measured beside it: below 1, ours beats the bare HMAC
	// over the whole string to sign. OursOverFloorRange is its least and
	// greatest round.
	OursOverFloor      float64    `json:"ours_over_floor"`
	OursOverFloorRange [2]float64 `json:"ours_over_floor_range"`
	// OursOverTailFloor is the same against the tail floor: 1 is as fast as
	// hashing the per-request part alone.
	OursOverTailFloor float64 `json:"ours_over_tail_floor"`
	// SDKOverOurs is the median round's SDK ns/op over ours: how many times
	// faster ours is.
	SDKOverOurs float64 `json:"sdk_over_ours"`
}

// SignerBench is the outcome of BenchSigners.
type SignerBench struct {
	GoVersion  string  `json:"go_version"`
	Platform   string  `json:"platform"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	Duration   float64 `json:"duration_seconds"`
	Count      int     `json:"count"`
	// Request describes the request every signer signs.
	Request string `json:"request"`
	// SHAPath says which of Go's SHA code paths this CPU takes (SHA-NI, or
	// AVX2 for long writes only), since the ratios depend on it.
	SHAPath string             `json:"sha_path"`
	Styles  []SignerStyleBench `json:"styles"`
}

// shaPath describes the SHA code Go runs on this CPU: with SHA-NI, every
// write; without it, SHA-1 and SHA-256 use AVX2 only for long writes
// (SHA-1: 256 bytes or more), so the short tails a template hashes take the
// scalar code, about three times slower per block than the naive floor's
// long write.
func shaPath() string {
	switch {
	case runtime.GOARCH != "amd64":
		return runtime.GOARCH + ": the architecture's own SHA code"
	case hasSHANI() && !godebugOff(os.Getenv("GODEBUG"), "sha"):
		return "SHA-NI (every write)"
	case cpu.X86.HasAVX2 && !godebugOff(os.Getenv("GODEBUG"), "avx2"):
		return "no SHA-NI: AVX2 for long writes (SHA-1: 256 bytes or more), scalar code for short ones"
	}
	return "no SHA-NI, no AVX2: scalar code"
}

// godebugOff reports whether godebug (GODEBUG's value) turns the CPU
// feature off for Go's own code, as cpu.sha=off (or cpu.all=off) does: the
// way to measure, on a CPU with SHA-NI, the code another CPU runs.
func godebugOff(godebug, feature string) bool {
	off := false
	for _, kv := range strings.Split(godebug, ",") {
		switch strings.TrimSpace(kv) {
		case "cpu." + feature + "=off", "cpu.all=off":
			off = true
		case "cpu." + feature + "=on", "cpu.all=on":
			off = false
		}
	}
	return off
}

// The request every signer signs: MQTT SendMessage (docs/protocol.md §1.7.3) with a
// topic holding slashes and a payload holding a space and a CJK character.
const (
	benchKeyID  = "LTAI5tQbenchmarkKeyId0"
	benchSecret = signature.Secret("bEnChMaRkSeCrEt0123456789abcd") // 30 bytes, like a real secret
	benchHost   = "onsmqtt.cn-hangzhou.aliyuncs.com"
	benchDesc   = "MQTT SendMessage, about 12 signed parameters or headers besides nonce and time, Payload=\"hello 世\""
)

// benchAPI are the API parameters of the benchmark request.
func benchAPI() signature.Params {
	return signature.Params{
		{Key: "InstanceId", Value: "mqtt-cn-0pp1ldu4f0a"},
		{Key: "MqttTopic", Value: "devices/sensor-42/telemetry"},
		{Key: "Payload", Value: "hello 世"},
		{Key: "Qos", Value: "1"},
		{Key: "RegionId", Value: "cn-hangzhou"},
	}
}

// The fixed per-request values the signers are checked against before
// timing (each timed op then uses fresh ones).
var (
	fixNonce = []byte("0123456789abcdef0123456789abcdef")
	fixTime  = []byte("2020-05-19T10:33:56Z")
	fixDate  = []byte("Tue, 19 May 2020 10:33:56 GMT")
)

// benchOp is one signer of one style, ready to time.
type benchOp struct {
	signer, impl string
	op           func()
}

// sdkClock is the load generator's clock with the string forms the SDKs
// take, converted once per second.
type sdkClock struct {
	c         clock
	last      *stamp
	iso, date string
}

func (s *sdkClock) now() *sdkClock {
	if st := s.c.now(time.Now()); st != s.last {
		s.last, s.iso, s.date = st, string(st.iso), string(st.date)
	}
	return s
}

// benchClock hands the signers their timestamp the way a generator does:
// formatted once a second. It reads the system clock once every 1024
// signatures, so that no row pays for the clock read (about 50 ns on a
// virtual machine, more than a tenth of a signature), which is the
// caller's and the same for every signer; the floors sign a fixed string.
type benchClock struct {
	c  clock
	n  uint
	st *stamp
}

func (b *benchClock) now() *stamp {
	if b.n&1023 == 0 {
		b.st = b.c.now(time.Now())
	}
	b.n++
	return b.st
}

// benchInputs hands our signers their per-request inputs as the floors
// get theirs, ready-made: the timestamp from benchClock, and a fresh nonce
// from a ring of 1024 made beforehand. Making them is the caller's work
// (the load generator's targeter pays for both, and BenchmarkOverhead
// counts it), the same for every signer.
type benchInputs struct {
	clk    benchClock
	nonces [1024][]byte
	i      int
}

func newBenchInputs() *benchInputs {
	b := &benchInputs{}
	src := signature.NewNonceSource()
	for i := range b.nonces {
		b.nonces[i] = src.Append(nil)
	}
	return b
}

func (b *benchInputs) next() (*stamp, []byte) {
	n := b.nonces[b.i&1023]
	b.i++
	return b.clk.now(), n
}

// rpcSigners returns the RPC signers, each checked against the template.
func rpcSigners() ([]benchOp, error) {
	const method = http.MethodPost
	params := append(signature.Params{
		{Key: signature.ParamAction, Value: "SendMessage"},
		{Key: signature.ParamVersion, Value: "2020-04-20"},
		{Key: signature.ParamFormat, Value: "JSON"},
		{Key: signature.ParamAccessKeyID, Value: benchKeyID},
		{Key: signature.ParamSignatureMethod, Value: signature.SignatureMethodHMACSHA1},
		{Key: signature.ParamSignatureVersion, Value: signature.SignatureVersion10},
		{Key: "SignatureType", Value: ""},
	}, benchAPI()...)
	tpl, err := signature.NewRPCTemplate(method, params, benchSecret)
	if err != nil {
		return nil, err
	}
	want := string(tpl.AppendSignature(nil, fixNonce, fixTime))

	// docs/protocol.md §1.4: the key is secret + "&".
	floor, fsig := hmacSHA1Floor([]byte(string(benchSecret)+"&"), tpl.AppendStringToSign(nil, fixNonce, fixTime))
	if floor(); string(*fsig) != want {
		return nil, fmt.Errorf("rpc: the bare HMAC gives %s, the template %s", *fsig, want)
	}

	nonces := signature.NewNonceSource()
	in := newBenchInputs()
	var sig []byte
	ours := func() {
		st, nonce := in.next()
		sig = tpl.AppendSignature(sig[:0], nonce, st.iso)
	}

	m := map[string]*string{}
	for _, p := range params {
		m[p.Key] = tea.String(p.Value)
	}
	m[signature.ParamSignatureNonce], m[signature.ParamTimestamp] = tea.String(string(fixNonce)), tea.String(string(fixTime))
	meth, secret := tea.String(method), tea.String(string(benchSecret))
	if got := tea.StringValue(service.GetRPCSignature(m, meth, secret)); got != want {
		return nil, fmt.Errorf("rpc: openapi-util signs %s, the template %s", got, want)
	}
	var sc sdkClock
	sdk := func() {
		m[signature.ParamSignatureNonce], m[signature.ParamTimestamp] = tea.String(nonces.Next()), tea.String(sc.now().iso)
		service.GetRPCSignature(m, meth, secret)
	}
	sts := tpl.AppendStringToSign(nil, fixNonce, fixTime)
	tail, _ := hmacSHA1Floor([]byte(string(benchSecret)+"&"), sts[bytes.Index(sts, fixNonce):])
	return []benchOp{
		{SignerOurs, "signature.RPCTemplate.AppendSignature", ours},
		{SignerFloor, "hmac-sha1 (reused) + base64", floor},
		{SignerTailFloor, "hmac-sha1 (reused) over the string to sign from the nonce on + base64", tail},
		{SignerSDK, "openapi-util GetRPCSignature", sdk},
	}, nil
}

// lowerHeaders returns h with lowercase names, as the tea SDKs keep it.
func lowerHeaders(h http.Header) map[string]*string {
	m := map[string]*string{}
	for k, v := range h {
		m[strings.ToLower(k)] = tea.String(v[0])
	}
	return m
}

func queryMap(q signature.Params) map[string]*string {
	m := map[string]*string{}
	for _, p := range q {
		m[p.Key] = tea.String(p.Value)
	}
	return m
}

// roaSigners returns the ROA signers: SendMessage as a ROA POST with the
// headers the aliyun-sdk signs (docs/protocol.md §2.1) plus a nonce.
func roaSigners() ([]benchOp, error) {
	h := http.Header{}
	h.Set(signature.HeaderAccept, "application/json")
	h.Set(signature.HeaderContentMD5, signature.EmptyMD5)
	h.Set(signature.HeaderContentType, "application/octet-stream")
	h.Set(signature.HeaderDate, string(fixDate))
	h.Set(signature.HeaderACSSignatureMethod, signature.SignatureMethodHMACSHA1)
	h.Set(signature.HeaderACSSignatureVersion, signature.SignatureVersion10)
	h.Set(signature.HeaderACSNonce, string(fixNonce))
	h.Set(signature.HeaderACSVersion, "2020-04-20")
	h.Set(signature.HeaderACSAction, "SendMessage")
	msg := signature.Message{Method: http.MethodPost, Host: benchHost, Path: "/messages", Query: benchAPI(), Header: h}
	tpl, err := signature.NewROATemplate(&msg, benchSecret)
	if err != nil {
		return nil, err
	}
	want := string(tpl.AppendSignature(nil, fixDate, fixNonce))

	floor, fsig := hmacSHA1Floor([]byte(benchSecret), tpl.AppendStringToSign(nil, fixDate, fixNonce))
	if floor(); string(*fsig) != want {
		return nil, fmt.Errorf("roa: the bare HMAC gives %s, the template %s", *fsig, want)
	}

	nonces := signature.NewNonceSource()
	in := newBenchInputs()
	var sig []byte
	ours := func() {
		st, nonce := in.next()
		sig = tpl.AppendSignature(sig[:0], st.date, nonce)
	}

	req := &tea.Request{Method: tea.String(msg.Method), Pathname: tea.String(msg.Path), Query: queryMap(msg.Query), Headers: lowerHeaders(h)}
	secret := tea.String(string(benchSecret))
	if got := tea.StringValue(service.GetROASignature(service.GetStringToSign(req), secret)); got != want {
		return nil, fmt.Errorf("roa: openapi-util signs %s, the template %s", got, want)
	}
	var sc sdkClock
	sdk := func() {
		req.Headers["date"], req.Headers[signature.HeaderACSNonce] = tea.String(sc.now().date), tea.String(nonces.Next())
		service.GetROASignature(service.GetStringToSign(req), secret)
	}
	sts := tpl.AppendStringToSign(nil, fixDate, fixNonce)
	tail, _ := hmacSHA1Floor([]byte(benchSecret), sts[bytes.Index(sts, fixNonce):])
	return []benchOp{
		{SignerOurs, "signature.ROATemplate.AppendSignature", ours},
		{SignerFloor, "hmac-sha1 (reused) + base64", floor},
		{SignerTailFloor, "hmac-sha1 (reused) over the string to sign from the nonce on + base64", tail},
		{SignerSDK, "openapi-util GetStringToSign + GetROASignature", sdk},
	}, nil
}

// v3Signers returns the V3 signers: SendMessage RPC-shaped, POST / with
// the API parameters in the query (docs/protocol.md §3.1, §3.3). Ours and the SDK
// produce the whole Authorization value, the floor the signature alone.
func v3Signers() ([]benchOp, error) {
	h := http.Header{}
	h.Set(signature.HeaderAccept, "application/json")
	h.Set(signature.HeaderACSAction, "SendMessage")
	h.Set(signature.HeaderACSVersion, "2020-04-20")
	h.Set(signature.HeaderACSDate, string(fixTime))
	h.Set(signature.HeaderACSNonce, string(fixNonce))
	h.Set(signature.HeaderACSContentSHA256, signature.EmptySHA256)
	msg := signature.Message{Method: http.MethodPost, Host: benchHost, Path: "/", Query: benchAPI(), Header: h}
	tpl, err := signature.NewV3Template(&msg, benchSecret)
	if err != nil {
		return nil, err
	}
	want := string(tpl.AppendSignature(nil, fixTime, fixNonce))
	wantAuth := string(tpl.AppendAuthorization(nil, benchKeyID, fixTime, fixNonce))

	canonical := tpl.AppendCanonicalRequest(nil, fixTime, fixNonce)
	hash, mac := sha256.New(), hmac.New(sha256.New, []byte(benchSecret))
	var sum, sts, fsig []byte
	floor := func() {
		hash.Reset()
		hash.Write(canonical)
		sum = hash.Sum(sum[:0])
		sts = append(append(sts[:0], signature.V3Algorithm...), '\n')
		sts = hex.AppendEncode(sts, sum)
		mac.Reset()
		mac.Write(sts)
		sum = mac.Sum(sum[:0])
		fsig = hex.AppendEncode(fsig[:0], sum)
	}
	if floor(); string(fsig) != want {
		return nil, fmt.Errorf("v3: the bare SHA-256 and HMAC give %s, the template %s", fsig, want)
	}

	nonces := signature.NewNonceSource()
	in := newBenchInputs()
	var sig []byte
	// The signature, the floors' output (the Authorization header around
	// it is a copy of the key ID and the signed-header list).
	ours := func() {
		st, nonce := in.next()
		sig = tpl.AppendSignature(sig[:0], st.iso, nonce)
	}

	headers := lowerHeaders(h)
	headers["host"] = tea.String(benchHost)
	headers["user-agent"] = tea.String("AlibabaCloud (linux; amd64) Go/go1.26 Core/1.0 TeaDSL/2")
	req := &tea.Request{Method: tea.String(msg.Method), Pathname: tea.String(msg.Path), Query: queryMap(msg.Query), Headers: headers}
	alg, payload := tea.String(signature.V3Algorithm), tea.String(signature.EmptySHA256)
	ak, secret := tea.String(benchKeyID), tea.String(string(benchSecret))
	if got := tea.StringValue(service.GetAuthorization(req, alg, payload, ak, secret)); got != wantAuth {
		return nil, fmt.Errorf("v3: openapi-util gives %s, the template %s", got, wantAuth)
	}
	var sc sdkClock
	sdk := func() {
		req.Headers[signature.HeaderACSDate], req.Headers[signature.HeaderACSNonce] = tea.String(sc.now().iso), tea.String(nonces.Next())
		service.GetAuthorization(req, alg, payload, ak, secret)
	}
	// The tail floor hashes the canonical request from the nonce on, and
	// the HMAC over the string to sign's hex digest alone (its algorithm
	// line being the unchanging prefix).
	canonTail := canonical[bytes.Index(canonical, fixNonce):]
	var tsum, tsig, hexSum []byte
	tail := func() {
		hash.Reset()
		hash.Write(canonTail)
		tsum = hash.Sum(tsum[:0])
		hexSum = hex.AppendEncode(hexSum[:0], tsum)
		mac.Reset()
		mac.Write(hexSum)
		tsum = mac.Sum(tsum[:0])
		tsig = hex.AppendEncode(tsig[:0], tsum)
	}
	return []benchOp{
		{SignerOurs, "signature.V3Template.AppendSignature", ours},
		{SignerFloor, "sha-256 + hmac-sha256 (reused) + hex", floor},
		{SignerTailFloor, "sha-256 over the canonical request from the nonce on + hmac-sha256 (reused) over the digest's hex", tail},
		{SignerSDK, "openapi-util GetAuthorization", sdk},
	}, nil
}

// measure runs op on the calling goroutine for about d, after a warm-up,
// and returns its cost per call. The loop reads the clock once per batch,
// never per call, so that timing costs nothing measurable.
func measure(op func(), d time.Duration) (ns, allocs, bytes float64) {
	warm := time.Now()
	for time.Since(warm) < min(d/10, 50*time.Millisecond) {
		for range 64 {
			op()
		}
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, batch := 0, 64
	start := time.Now()
	var el time.Duration
	for {
		for range batch {
			op()
		}
		n += batch
		if el = time.Since(start); el >= d {
			break
		}
		// Aim at batches of 10 ms or what is left, whichever is shorter.
		per := float64(el) / float64(n)
		batch = max(64, int(float64(min(10*time.Millisecond, d-el))/per))
	}
	runtime.ReadMemStats(&after)
	return float64(el) / float64(n), float64(after.Mallocs-before.Mallocs) / float64(n),
		float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchSigners measures, on this machine and one goroutine, the signing
// throughput of each style with acsharness's template signer, the bare
// HMAC floor and the official openapi-util signer, all on the same
// request (each checked to give the same signature before timing). The
// cases are measured in turn Count times, so that a slow patch of a shared
// machine weighs on all of them; each figure is the median.
func BenchSigners(ctx context.Context, o SignerBenchOptions) (*SignerBench, error) {
	if o.Duration == 0 {
		o.Duration = time.Second
	}
	if o.Count == 0 {
		o.Count = 5
	}
	if o.Duration < 0 || o.Count < 0 {
		return nil, errors.New("duration and count must be positive")
	}
	styles := []struct {
		name string
		make func() ([]benchOp, error)
	}{{"rpc", rpcSigners}, {"roa", roaSigners}, {"v3", v3Signers}}
	ops := make([][]benchOp, len(styles))
	type sample struct{ ns, allocs, bytes []float64 }
	samples := make([][]sample, len(styles))
	for i, st := range styles {
		var err error
		if ops[i], err = st.make(); err != nil {
			return nil, err
		}
		samples[i] = make([]sample, len(ops[i]))
	}
	for range o.Count {
		for i := range styles {
			for j, op := range ops[i] {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				ns, allocs, bytes := measure(op.op, o.Duration)
				s := &samples[i][j]
				s.ns, s.allocs, s.bytes = append(s.ns, ns), append(s.allocs, allocs), append(s.bytes, bytes)
			}
		}
	}
	out := &SignerBench{
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Duration: o.Duration.Seconds(), Count: o.Count, Request: benchDesc, SHAPath: shaPath(),
	}
	for i, st := range styles {
		sb := SignerStyleBench{Style: st.name}
		runs := map[string][]float64{}
		for j, op := range ops[i] {
			runs[op.signer] = samples[i][j].ns
			s := samples[i][j]
			f := SignerFigures{Signer: op.signer, Impl: op.impl, NsPerOp: median(s.ns), AllocsPerOp: median(s.allocs),
				BytesPerOp: median(s.bytes), Runs: s.ns}
			if f.NsPerOp > 0 {
				f.OpsPerSecond = 1e9 / f.NsPerOp
			}
			switch op.signer {
			case SignerOurs:
				sb.Ours = f
			case SignerFloor:
				sb.Floor = f
			case SignerTailFloor:
				sb.TailFloor = f
			case SignerSDK:
				sb.SDK = f
			}
		}
		overFloor := pairedRatios(runs[SignerOurs], runs[SignerFloor])
		sb.OursOverFloor = median(overFloor)
		if len(overFloor) > 0 {
			sb.OursOverFloorRange = [2]float64{slices.Min(overFloor), slices.Max(overFloor)}
		}
		sb.OursOverTailFloor = median(pairedRatios(runs[SignerOurs], runs[SignerTailFloor]))
		sb.SDKOverOurs = median(pairedRatios(runs[SignerSDK], runs[SignerOurs]))
		out.Styles = append(out.Styles, sb)
	}
	return out, nil
}

// hasSHANI reports whether the CPU has the SHA extensions, from Linux's
// /proc/cpuinfo (x/sys/cpu does not report them); false where unknown.
func hasSHANI() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && bytes.Contains(b, []byte(" sha_ni"))
}

// pairedRatios divides each round's a by the same round's b: measured side
// by side, a slow patch of a shared machine weighs on both.
func pairedRatios(a, b []float64) []float64 {
	var out []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// WriteText writes the figures as a table, one row per signer, the ratios
// on the row of ours.
func (b *SignerBench) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "signing throughput on one goroutine: %s %s, GOMAXPROCS %d, median of %d × %s per case\n",
		b.GoVersion, b.Platform, b.GOMAXPROCS, b.Count, time.Duration(b.Duration*float64(time.Second)))
	fmt.Fprintf(w, "request: %s; fresh nonce and timestamp per signature (the floors sign one fixed string)\n", b.Request)
	fmt.Fprintf(w, "SHA code on this CPU: %s\n", b.SHAPath)
	fmt.Fprintf(w, "ratios: the median over the rounds of each round's ratio (measured side by side), the range in brackets\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STYLE\tSIGNER\tNS/OP\tOPS/S/CORE\tALLOCS/OP\tB/OP\tOURS/FLOOR\tOURS/TAIL-FLOOR\tSDK/OURS\tIMPL")
	for _, s := range b.Styles {
		for _, f := range []SignerFigures{s.Ours, s.Floor, s.TailFloor, s.SDK} {
			ratios := "\t\t"
			if f.Signer == SignerOurs {
				ratios = fmt.Sprintf("%.2f [%.2f–%.2f]\t%.2f\t%.1f", s.OursOverFloor, s.OursOverFloorRange[0], s.OursOverFloorRange[1],
					s.OursOverTailFloor, s.SDKOverOurs)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%.1f\t%.0f\t%s\t%s\n",
				s.Style, f.Signer, f.NsPerOp, humanCount(f.OpsPerSecond), f.AllocsPerOp, f.BytesPerOp, ratios, f.Impl)
		}
	}
	return tw.Flush()
}

// humanCount writes n with a k or M suffix.
func humanCount(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}

// hmacSHA1Floor is the floor of the RPC and ROA signers: a reused HMAC-SHA1
// keyed once, Reset between calls, over one fixed string to sign, and the
// base64 of its sum. The returned pointer holds the last signature made.
func hmacSHA1Floor(key, sts []byte) (func(), *[]byte) {
	mac := hmac.New(sha1.New, key)
	var sum, sig []byte
	return func() {
		mac.Reset()
		mac.Write(sts)
		sum = mac.Sum(sum[:0])
		sig = base64.StdEncoding.AppendEncode(sig[:0], sum)
	}, &sig
}
