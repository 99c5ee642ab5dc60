package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/signature"
)

// BenchClientEnv names the environment variable that makes a process the
// client of BenchGateway: BenchGateway starts its client executable with
// BenchClientEnv=1, and that executable's main (acsharness's, or a test
// binary's TestMain) calls BenchClientMain when IsBenchClient. The client
// runs in its own process so that the server's CPU time is the server's
// alone.
const BenchClientEnv = "ACSHARNESS_BENCH_CLIENT"

// IsBenchClient reports whether this process was started as BenchGateway's
// client process.
func IsBenchClient() bool { return os.Getenv(BenchClientEnv) == "1" }

// GatewayBenchOptions configure BenchGateway.
type GatewayBenchOptions struct {
	// Target is the base URL of the gateway under test, already running in
	// this process (the command starts the reference gateway with
	// gateway.StartLocal): the server CPU time is this process's.
	Target      string
	Credentials signature.Credentials
	// Server describes what serves Target, for the report ("reference
	// gateway, access log to /dev/null").
	Server string
	// Spec is the action sent; the zero value sends the probe action of
	// the first built-in profile, in the RPC style.
	Spec ActionSpec
	// Duration is the attack time of each side, split into Rounds; 0
	// means 7 s.
	Duration time.Duration
	// Workers is the fixed number of concurrent requests (keep-alive
	// connections) of the client; 0 means 32.
	Workers uint64
	// Rounds is the number of alternating rounds, each a run of each side;
	// the ratios are the medians of the rounds'. 0 means 7.
	Rounds int
	// Client is the command line of the client process, started with
	// BenchClientEnv=1 in its environment: `acsharness bench gateway-client`,
	// or a test binary running the test that calls BenchClientMain. nil
	// means this process's own executable without arguments, whose main
	// must then call BenchClientMain when IsBenchClient.
	Client []string
	// CPUProfile, when set, receives a CPU profile (pprof) of this process
	// while it serves one more run of the gateway alone, after the rounds,
	// for ProfileDuration (0 means Duration/Rounds or 5 s, whichever is
	// longer).
	CPUProfile      io.Writer
	ProfileDuration time.Duration
	// BareCPUProfile, when set, receives a CPU profile of the bare handler
	// serving a run as long, after the gateway's: the base of a
	// `go tool pprof -diff_base` that shows what the gateway adds.
	BareCPUProfile io.Writer
}

// GatewayBenchSide is one side of BenchGateway over all its rounds.
type GatewayBenchSide struct {
	Requests  uint64  `json:"requests"`
	Successes uint64  `json:"successes"`
	Seconds   float64 `json:"seconds"`
	// Rate is requests per second over the attack time.
	Rate float64 `json:"rate"`
	// P50 and P99 are latencies in seconds, the medians of the rounds'.
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	// ServerCPU and ClientCPU are the CPU time (user and system) of the
	// server process and of the client process per request, in
	// microseconds; 0 where the platform cannot tell (no getrusage).
	ServerCPU float64 `json:"server_cpu_us_per_request"`
	ClientCPU float64 `json:"client_cpu_us_per_request"`
}

// GatewayBenchRound is one round: a run of each side.
type GatewayBenchRound struct {
	Gateway GatewayRoundSide `json:"gateway"`
	Bare    GatewayRoundSide `json:"bare"`
}

// GatewayRoundSide is one run of one side.
type GatewayRoundSide struct {
	Requests  uint64  `json:"requests"`
	Successes uint64  `json:"successes"`
	Seconds   float64 `json:"seconds"`
	P50       float64 `json:"p50"`
	P99       float64 `json:"p99"`
	// ServerCPU and ClientCPU are in seconds, over the run.
	ServerCPU float64 `json:"server_cpu_seconds"`
	ClientCPU float64 `json:"client_cpu_seconds"`
}

func (s GatewayRoundSide) rate() float64 {
	if s.Seconds <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Seconds
}

func (s GatewayRoundSide) serverCPUPerRequest() float64 {
	if s.Requests == 0 {
		return 0
	}
	return s.ServerCPU / float64(s.Requests)
}

// GatewayBench is the outcome of BenchGateway.
type GatewayBench struct {
	Workload   string  `json:"workload"`
	Server     string  `json:"server,omitempty"`
	Workers    uint64  `json:"workers"`
	Duration   float64 `json:"duration_seconds"`
	Rounds     int     `json:"rounds"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	// NumCPU is the machine's logical CPUs, shared by server and client.
	NumCPU  int              `json:"num_cpu"`
	Gateway GatewayBenchSide `json:"gateway"`
	Bare    GatewayBenchSide `json:"bare"`
	// Ratio is the median over the rounds of the gateway's rate over the
	// bare handler's (Throughput.Median): goal ≥ 0.90.
	Ratio float64 `json:"gateway_over_bare"`
	// Throughput is the gateway's rate over the bare handler's, per round.
	Throughput Spread `json:"throughput_ratio"`
	// CPUPerRequest is the gateway's server CPU per request over the bare
	// handler's, per round: goal ≤ 1.25. Empty where CPU time is unknown.
	CPUPerRequest Spread `json:"cpu_per_request_ratio"`
	// PerRound holds every run.
	PerRound []GatewayBenchRound `json:"per_round"`
}

// BenchGateway compares, on loopback, the gateway at o.Target serving valid
// signed requests (a fresh nonce each) with a bare net/http handler of this
// process answering the same status, headers and body. The client is
// acsharness's load generator in a separate process (o.Client), a max-rate
// attack of o.Workers keep-alive workers; the server's CPU time is this
// process's, read with getrusage around each run, so that a heavy client
// sharing the cores cannot hide the server's cost. The sides alternate
// over o.Rounds rounds, the first side alternating too, after a warm-up of
// each; the ratios are per round, reported as medians with their spread.
func BenchGateway(ctx context.Context, o GatewayBenchOptions) (*GatewayBench, error) {
	if err := benchShape(&o.Duration, &o.Rounds, &o.Workers, 7*time.Second); err != nil {
		return nil, err
	}
	if o.Spec.Action == "" && o.Spec.Path == "" {
		p := conformance.BuiltinProfiles()[0]
		o.Spec = ActionSpec{Style: signature.RPC, Method: p.Probe.Method, Action: p.Probe.Action, Version: p.Version, Host: p.Host}
		for _, kv := range p.Probe.Params {
			o.Spec.Params = append(o.Spec.Params, signature.Param{Key: kv.Key, Value: kv.Value})
		}
	}
	workload := string(o.Spec.Style) + " " + o.Spec.Action
	gwItem, err := NewActionItem(o.Spec.Action, 1, o.Target, o.Spec, o.Credentials, signature.NewNonceSource())
	if err != nil {
		return nil, err
	}
	status, header, body, err := probeItem(ctx, gwItem)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", o.Target, err)
	}
	if ok, code := gwItem.judge(status, header, body); !ok {
		return nil, fmt.Errorf("the gateway refused the benchmark's signed request: status %d, code %q", status, code)
	}

	bareURL, stopBare, err := startBare(status, header, body)
	if err != nil {
		return nil, err
	}
	defer stopBare()

	client, err := startBenchClient(ctx, o.Client)
	if err != nil {
		return nil, err
	}
	defer client.close()

	job := benchJob{Spec: o.Spec, KeyID: o.Credentials.AccessKeyID, Secret: string(o.Credentials.AccessKeySecret),
		Token: string(o.Credentials.SecurityToken), Workers: o.Workers}
	run := func(target string, d time.Duration) (GatewayRoundSide, error) {
		job.Target, job.Duration = target, d
		return client.run(job)
	}
	per := o.Duration / time.Duration(o.Rounds)
	// The warm-up: the client process's first run, the servers' pools and
	// heaps, out of the figures.
	for _, target := range []string{o.Target, bareURL} {
		if _, err := run(target, min(per/2, 500*time.Millisecond)); err != nil {
			return nil, err
		}
	}

	out := &GatewayBench{Workload: workload, Server: o.Server, Workers: o.Workers, Duration: o.Duration.Seconds(), Rounds: o.Rounds,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU()}
	var rates, cpus []float64
	for r := range o.Rounds {
		var round GatewayBenchRound
		sides := []struct {
			target string
			res    *GatewayRoundSide
		}{{o.Target, &round.Gateway}, {bareURL, &round.Bare}}
		for k := range sides {
			s := sides[(k+r)%2] // alternate which side goes first
			if *s.res, err = run(s.target, per); err != nil {
				return nil, err
			}
		}
		out.PerRound = append(out.PerRound, round)
		if b := round.Bare.rate(); b > 0 {
			rates = append(rates, round.Gateway.rate()/b)
		}
		if b := round.Bare.serverCPUPerRequest(); b > 0 {
			cpus = append(cpus, round.Gateway.serverCPUPerRequest()/b)
		}
	}
	out.Gateway, out.Bare = sumSide(out.PerRound, true), sumSide(out.PerRound, false)
	out.Throughput, out.CPUPerRequest = spreadOf(rates), spreadOf(cpus)
	out.Ratio = out.Throughput.Median

	d := o.ProfileDuration
	if d <= 0 {
		d = max(per, 5*time.Second)
	}
	for _, p := range []struct {
		w      io.Writer
		target string
	}{{o.CPUProfile, o.Target}, {o.BareCPUProfile, bareURL}} {
		if p.w == nil {
			continue
		}
		if err := pprof.StartCPUProfile(p.w); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		_, err := run(p.target, d)
		pprof.StopCPUProfile()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sumSide adds up one side's rounds.
func sumSide(rounds []GatewayBenchRound, gateway bool) GatewayBenchSide {
	var s GatewayBenchSide
	var p50, p99 []float64
	var server, client float64
	for _, r := range rounds {
		x := r.Bare
		if gateway {
			x = r.Gateway
		}
		s.Requests += x.Requests
		s.Successes += x.Successes
		s.Seconds += x.Seconds
		server += x.ServerCPU
		client += x.ClientCPU
		p50, p99 = append(p50, x.P50), append(p99, x.P99)
	}
	s.P50, s.P99 = median(p50), median(p99)
	if s.Seconds > 0 {
		s.Rate = float64(s.Requests) / s.Seconds
	}
	if s.Requests > 0 {
		s.ServerCPU = server / float64(s.Requests) * 1e6
		s.ClientCPU = client / float64(s.Requests) * 1e6
	}
	return s
}

// startBare serves status, header and body on 127.0.0.1 from an
// http.Server with the reference gateway's timeouts (each costs a deadline
// per request), and returns its URL and its stop.
func startBare(status int, header http.Header, body []byte) (string, func(), error) {
	header = header.Clone()
	header.Del("Date") // net/http writes its own
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	bare := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			for k, v := range header {
				h[k] = v
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
	}
	go func() { _ = bare.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = bare.Close() }, nil
}

// probeItem sends one request of it and returns the answer.
func probeItem(ctx context.Context, it *Item) (int, http.Header, []byte, error) {
	var t vegeta.Target
	if err := it.next(&t); err != nil {
		return 0, nil, nil, err
	}
	req, err := t.Request()
	if err != nil {
		return 0, nil, nil, err
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req.WithContext(ctx))
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// benchJob is one run the client process makes: a max-rate attack of the
// target with a fresh signature and nonce per request. It travels over the
// client's stdin, a pipe, the only place the secret goes.
type benchJob struct {
	Target   string        `json:"target"`
	Spec     ActionSpec    `json:"spec"`
	KeyID    string        `json:"key_id"`
	Secret   string        `json:"secret"`
	Token    string        `json:"token,omitempty"`
	Workers  uint64        `json:"workers"`
	Duration time.Duration `json:"duration"`
}

// benchEvent is what the client process writes on its stdout: "start" as
// the attack begins, then "done" with the run or the error that stopped it.
type benchEvent struct {
	Event  string           `json:"event"`
	Result GatewayRoundSide `json:"result"`
	Error  string           `json:"error,omitempty"`
}

// BenchClientMain is the client process of BenchGateway: it reads jobs from
// stdin until it closes, runs each, and writes its events on stdout. It
// returns the process's exit status.
func BenchClientMain(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
	dec := json.NewDecoder(bufio.NewReader(stdin))
	enc := json.NewEncoder(stdout)
	for {
		var job benchJob
		if err := dec.Decode(&job); err != nil {
			if errors.Is(err, io.EOF) {
				return 0
			}
			fmt.Fprintf(stderr, "bench client: reading a job: %v\n", err)
			return 5
		}
		res, err := runBenchJob(ctx, job, func() { _ = enc.Encode(benchEvent{Event: "start"}) })
		ev := benchEvent{Event: "done", Result: res}
		if err != nil {
			ev.Error = err.Error()
		}
		if err := enc.Encode(ev); err != nil {
			fmt.Fprintf(stderr, "bench client: %v\n", err)
			return 5
		}
	}
}

// runBenchJob runs one job, calling start just before the attack begins.
func runBenchJob(ctx context.Context, job benchJob, start func()) (GatewayRoundSide, error) {
	creds := signature.Credentials{AccessKeyID: job.KeyID, AccessKeySecret: signature.Secret(job.Secret),
		SecurityToken: signature.Secret(job.Token)}
	it, err := NewActionItem(job.Spec.Action, 1, job.Target, job.Spec, creds, signature.NewNonceSource())
	if err != nil {
		start()
		return GatewayRoundSide{}, err
	}
	start()
	cpu0, _ := selfCPU()
	sum, err := Run(ctx, Options{Target: job.Target, Items: []*Item{it}, Style: string(job.Spec.Style),
		Workload: string(job.Spec.Style) + " " + job.Spec.Action, Schedule: Constant{0}, Duration: job.Duration,
		Workers: job.Workers, MaxWorkers: job.Workers, Timeout: 10 * time.Second})
	cpu1, _ := selfCPU()
	if err != nil {
		return GatewayRoundSide{}, err
	}
	if sum.Interrupted {
		return GatewayRoundSide{}, context.Canceled
	}
	return GatewayRoundSide{Requests: sum.Requests, Successes: sum.Successes, Seconds: sum.AttackDuration,
		P50: sum.Latency.P50, P99: sum.Latency.P99, ClientCPU: (cpu1 - cpu0).Seconds()}, nil
}

// benchClient is BenchGateway's handle on its client process.
type benchClient struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *json.Decoder
	stderr *tailBuffer
	enc    *json.Encoder
}

// startBenchClient starts the client process: argv, or this executable
// when argv is empty.
func startBenchClient(ctx context.Context, argv []string) (*benchClient, error) {
	if len(argv) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("the client process: %w", err)
		}
		argv = []string{exe}
	}
	exe := argv[0]
	cmd := exec.CommandContext(ctx, exe, argv[1:]...) //nolint:gosec // the caller's own client command
	cmd.Env = append(os.Environ(), BenchClientEnv+"=1")
	c := &benchClient{cmd: cmd, stderr: &tailBuffer{max: 4 << 10}}
	cmd.Stderr = c.stderr
	in, out, err := startPiped(cmd, "the client process "+exe)
	if err != nil {
		return nil, err
	}
	c.in, c.out, c.enc = in, json.NewDecoder(bufio.NewReader(out)), json.NewEncoder(in)
	return c, nil
}

// run sends one job and returns the run, with the server's CPU time (this
// process's) from the client's start event to its done event.
func (c *benchClient) run(job benchJob) (GatewayRoundSide, error) {
	if err := c.enc.Encode(job); err != nil {
		return GatewayRoundSide{}, c.failed(err)
	}
	var cpu0 time.Duration
	for {
		var ev benchEvent
		if err := c.out.Decode(&ev); err != nil {
			return GatewayRoundSide{}, c.failed(err)
		}
		switch ev.Event {
		case "start":
			cpu0, _ = selfCPU()
			continue
		case "done":
		default:
			return GatewayRoundSide{}, c.failed(fmt.Errorf("unexpected event %q", ev.Event))
		}
		if ev.Error != "" {
			return GatewayRoundSide{}, fmt.Errorf("the client process against %s: %s", job.Target, ev.Error)
		}
		if cpu1, ok := selfCPU(); ok {
			ev.Result.ServerCPU = (cpu1 - cpu0).Seconds()
		}
		return ev.Result, nil
	}
}

// failed names a broken exchange with the client process and what it
// wrote on its stderr.
func (c *benchClient) failed(err error) error {
	msg := strings.TrimSpace(c.stderr.String())
	if msg == "" {
		return fmt.Errorf("the client process %s did not answer: %v (its main must call load.BenchClientMain when load.IsBenchClient)", c.cmd.Path, err)
	}
	return fmt.Errorf("the client process %s did not answer: %v; it wrote: %s", c.cmd.Path, err, msg)
}

// close ends the client: its stdin closes, it exits.
func (c *benchClient) close() {
	_ = c.in.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	mu  sync.Mutex
	b   bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if over := t.b.Len() - t.max; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

// WriteText writes both sides and the two ratios with their spread.
func (b *GatewayBench) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "valid signed requests (%s, a fresh nonce each) over loopback: %d keep-alive workers at max rate in a separate client process,\n",
		b.Workload, b.Workers)
	fmt.Fprintf(w, "%d alternating rounds of %s per side, GOMAXPROCS %d, %d CPUs shared by server and client\n",
		b.Rounds, (time.Duration(b.Duration*float64(time.Second)) / time.Duration(max(b.Rounds, 1))).Round(time.Millisecond), b.GOMAXPROCS, b.NumCPU)
	if b.Server != "" {
		fmt.Fprintf(w, "server: %s\n", b.Server)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tREQ/S\tREQUESTS\tSUCCESS\tP50\tP99\tSERVER CPU/REQ\tCLIENT CPU/REQ\t")
	for _, r := range []struct {
		name string
		s    GatewayBenchSide
	}{{"reference gateway", b.Gateway}, {"bare net/http", b.Bare}} {
		success := 0.0
		if r.s.Requests > 0 {
			success = float64(r.s.Successes) / float64(r.s.Requests) * 100
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%.2f%%\t%s\t%s\t%s\t%s\t\n", r.name, r.s.Rate, r.s.Requests, success,
			secondsDuration(r.s.P50), secondsDuration(r.s.P99), micros(r.s.ServerCPU), micros(r.s.ClientCPU))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GATEWAY/BARE, PER ROUND\tMEDIAN\tMIN\tMAX\tGOAL\tROUNDS\t")
	for _, r := range []struct {
		name, goal string
		s          Spread
	}{{"throughput", "≥ 0.90", b.Throughput}, {"server CPU per request", "≤ 1.25", b.CPUPerRequest}} {
		if len(r.s.Rounds) == 0 {
			fmt.Fprintf(tw, "%s\tn/a\t\t\t%s\t\t\n", r.name, r.goal)
			continue
		}
		rounds := make([]string, len(r.s.Rounds))
		for i, v := range r.s.Rounds {
			rounds[i] = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%s\t%s\t\n", r.name, r.s.Median, r.s.Min, r.s.Max, r.goal, strings.Join(rounds, " "))
	}
	return tw.Flush()
}

func micros(us float64) string {
	if us <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f µs", us)
}

func secondsDuration(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond)
}
