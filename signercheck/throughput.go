package signercheck

import (
	"context"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// Throughput holds the three figures of a check, measured one request in
// flight on the same cases: the signer over the pipe, the echo signer over
// the same pipe (the protocol's own cost), and the reference signer
// in-process (no pipe).
type Throughput struct {
	Signer    Figure  `json:"signer"`
	Echo      *Figure `json:"echo,omitempty"`
	Reference Figure  `json:"reference"`
}

// Figure is the throughput of one signer: signatures per second, one call
// at a time, and the latency of a call.
type Figure struct {
	Name      string  `json:"name"`
	Calls     int     `json:"calls"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"signatures_per_second"`
	// Latencies of one call, in microseconds.
	MeanUS float64 `json:"mean_us"`
	P50US  float64 `json:"p50_us"`
	P90US  float64 `json:"p90_us"`
	P99US  float64 `json:"p99_us"`
	MaxUS  float64 `json:"max_us"`
}

// Names of the figures.
const (
	FigureSigner    = "your signer (over the pipe)"
	FigureEcho      = "echo signer (the pipe alone)"
	FigureReference = "reference signer (in-process)"
)

// rounds is the number of alternating rounds the figures are measured in:
// on a shared machine a burst of load then falls on every figure alike
// rather than on one.
const rounds = 5

// meter accumulates the timed calls of one figure over the rounds.
type meter struct {
	name    string
	call    func(i int) error
	next    int // the index of the next call: calls cycle through the cases
	hist    *hdr.Histogram
	calls   int
	elapsed time.Duration
}

func newMeter(name string, call func(i int) error) *meter {
	return &meter{name: name, call: call, hist: hdr.New(1, int64(time.Minute), 3)}
}

// warm makes n untimed calls.
func (m *meter) warm(n int) error {
	for range n {
		if err := m.call(m.next); err != nil {
			return err
		}
		m.next++
	}
	return nil
}

// run times up to n calls, one at a time, stopping early past budget (the
// figure's whole time) or when ctx ends.
func (m *meter) run(ctx context.Context, n int, budget time.Duration) error {
	start := time.Now()
	defer func() { m.elapsed += time.Since(start) }()
	for k := 0; k < n; k++ {
		if k%64 == 0 && (ctx.Err() != nil || m.elapsed+time.Since(start) > budget) {
			return ctx.Err()
		}
		t0 := time.Now()
		if err := m.call(m.next); err != nil {
			return err
		}
		_ = m.hist.RecordValue(max(int64(time.Since(t0)), 1))
		m.next++
		m.calls++
	}
	return nil
}

func (m *meter) figure() Figure {
	us := func(v float64) float64 { return v / 1e3 }
	f := Figure{Name: m.name, Calls: m.calls, Seconds: m.elapsed.Seconds()}
	if m.calls > 0 && m.elapsed > 0 {
		f.PerSecond = float64(m.calls) / m.elapsed.Seconds()
		f.MeanUS, f.P50US, f.P90US = us(m.hist.Mean()), us(float64(m.hist.ValueAtQuantile(50))), us(float64(m.hist.ValueAtQuantile(90)))
		f.P99US, f.MaxUS = us(float64(m.hist.ValueAtQuantile(99))), us(float64(m.hist.Max()))
	}
	return f
}

// measureAll measures the signer p, the echo signer and the reference
// signer on the same cases, each warmed up, in alternating rounds.
func measureAll(ctx context.Context, o Options, p *Process, cases []corpus.Case, lines [][]byte) (*Throughput, error) {
	if o.BenchTime <= 0 {
		o.BenchTime = 10 * time.Second
	}
	overPipe := func(proc *Process) func(i int) error {
		return func(i int) error {
			k := i % len(cases)
			raw, err := proc.Call(cases[k].Input.ID, lines[k], o.Timeout)
			if err != nil {
				return err
			}
			if _, err := ParseReply(raw); err != nil {
				return &ProtocolError{CaseID: cases[k].Input.ID, Line: quoteLine(raw), Reason: err.Error(), Stderr: proc.Stderr()}
			}
			return nil
		}
	}
	ref := make([]func(), len(cases))
	for k := range cases {
		ref[k] = referenceSigner(&cases[k].Input)
	}
	meters := []*meter{
		newMeter(FigureSigner, overPipe(p)),
		newMeter(FigureReference, func(i int) error { ref[i%len(ref)](); return nil }),
	}
	if len(o.Echo) > 0 {
		echo, err := Start(ctx, o.Echo, o.EchoEnv)
		if err != nil {
			return nil, err
		}
		defer echo.Close()
		meters = append(meters, newMeter(FigureEcho, overPipe(echo)))
	}
	for _, m := range meters {
		if err := m.warm(o.Warmup); err != nil {
			return nil, err
		}
	}
	for r := range rounds {
		n := o.BenchCalls/rounds + boolInt(r < o.BenchCalls%rounds)
		for _, m := range meters {
			if err := m.run(ctx, n, o.BenchTime); err != nil {
				return nil, err
			}
		}
	}
	t := &Throughput{Signer: meters[0].figure(), Reference: meters[1].figure()}
	if len(meters) > 2 {
		f := meters[2].figure()
		t.Echo = &f
	}
	return t, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// referenceSigner returns a function that signs in with the reference
// signer, every step (canonical form, string to sign, signature), as a
// signer over the pipe does; the request is prepared beforehand, as a
// signer's JSON decoding is counted in the pipe's figure.
func referenceSigner(in *corpus.Input) func() {
	secret := signature.Secret(in.Secret)
	switch in.Style {
	case signature.RPC:
		params := in.RPCParams()
		return func() { _ = signature.SignRPC(in.Method, params, secret) }
	case signature.ROA:
		m := in.Message()
		return func() { _ = signature.SignROA(&m, secret) }
	default:
		m := in.Message()
		return func() { _ = signature.SignV3(&m, nil, secret) }
	}
}
