package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/signature"
)

// The two generators BenchGenerator compares.
const (
	// GeneratorSigned is acsharness's attack as `acsharness load` runs
	// it: a fresh signature per request, every result judged, summarised,
	// counted in the Prometheus metrics and written redacted to
	// results.bin.
	GeneratorSigned = "acsharness signed"
	// GeneratorStatic is vegeta's own attack as `vegeta attack -rate 0
	// -output results.bin` runs it: one pre-built request sent again and
	// again, every result gob-encoded straight to the file.
	GeneratorStatic = "vegeta static"
)

// GeneratorBenchOptions configure BenchGenerator.
type GeneratorBenchOptions struct {
	// Server starts the minimal loopback server in a child process: a
	// command that runs ServeMinimal (the CLI runs itself as `acsharness
	// bench load-server`). In another process, the server's CPU is not the
	// generator's.
	Server func() *exec.Cmd
	// Duration is the attack time of each side in each round; 0 means 5 s.
	Duration time.Duration
	// Rounds is the number of interleaved pairs; 0 means 7.
	Rounds int
	// Workers is the fixed number of workers of both sides at max rate
	// (each keeps one connection); 0 means 32.
	Workers uint64
	// Dir is where each side writes its results file; "" means a
	// temporary directory, removed afterwards.
	Dir string
}

// GeneratorBenchRun is one side's measurement in one round.
type GeneratorBenchRun struct {
	Requests uint64  `json:"requests"`
	Seconds  float64 `json:"seconds"`
	// Throughput is requests answered per second of the attack.
	Throughput float64 `json:"throughput"`
	// CPUPerRequest is the process's CPU time (getrusage: user and
	// system) over the attack, per request, in seconds.
	CPUPerRequest float64 `json:"cpu_per_request"`
	// ResultsBytes is the size of the results file written.
	ResultsBytes int64 `json:"results_bytes"`
}

// GeneratorBenchSide is one generator's figures over the rounds.
type GeneratorBenchSide struct {
	Generator string `json:"generator"`
	// Throughput and CPUPerRequest are the medians over the rounds.
	Throughput    float64             `json:"throughput"`
	CPUPerRequest float64             `json:"cpu_per_request"`
	Runs          []GeneratorBenchRun `json:"runs"`
}

// benchShape fills in the defaults the interleaved benches share (the
// duration given, 7 rounds, 32 workers) and refuses negative ones.
func benchShape(d *time.Duration, rounds *int, workers *uint64, defDuration time.Duration) error {
	if *d == 0 {
		*d = defDuration
	}
	if *rounds == 0 {
		*rounds = 7
	}
	if *workers == 0 {
		*workers = 32
	}
	if *d < 0 || *rounds < 0 {
		return errors.New("duration and rounds must be positive")
	}
	return nil
}

// Spread is a ratio over the rounds: the median and the range of the
// per-round ratios, and each.
type Spread struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Rounds []float64 `json:"rounds"`
}

func spreadOf(v []float64) Spread {
	if len(v) == 0 {
		return Spread{}
	}
	return Spread{Median: median(v), Min: slices.Min(v), Max: slices.Max(v), Rounds: v}
}

// GeneratorBench is the outcome of BenchGenerator.
type GeneratorBench struct {
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// LoadAverage is the machine's load (1, 5, 15 minutes) when the
	// benchmark started, where the platform tells it.
	LoadAverage string             `json:"load_average,omitempty"`
	Request     string             `json:"request"`
	Workers     uint64             `json:"workers"`
	Duration    float64            `json:"duration_seconds"`
	Rounds      int                `json:"rounds"`
	Signed      GeneratorBenchSide `json:"signed"`
	Static      GeneratorBenchSide `json:"static"`
	// ThroughputRatio is signed over static throughput, round by round
	// (each round's two sides ran back to back): the goal is ≥ 0.95.
	ThroughputRatio Spread `json:"throughput_ratio"`
	// CPURatio is signed over static CPU per request, round by round: the
	// goal is ≤ 1.10.
	CPURatio Spread `json:"cpu_ratio"`
}

// loadBenchDesc describes the benchmark's request.
const loadBenchDesc = "RPC GET MQTT SendMessage, 12 query parameters once signed, Host " + benchHost

// loadBenchSpec is the request both sides send: a realistic RPC request,
// MQTT SendMessage with twelve parameters once signed and a payload
// holding a space and a CJK character.
func loadBenchSpec() ActionSpec {
	return ActionSpec{Style: signature.RPC, Method: http.MethodGet, Action: "SendMessage", Version: "2020-04-20",
		Host: benchHost, Format: "JSON", Params: benchAPI()}
}

// BenchGenerator measures the load generator against vegeta's own static
// attack on this machine: both at max rate with the same workers and
// connections, both writing every result to a file, against the same
// minimal server in a child process, the sides back to back in each round
// (which goes first alternates), so that a busy patch of a shared machine
// weighs on both alike. Figures are medians over the rounds; the ratios
// are taken round by round.
func BenchGenerator(ctx context.Context, o GeneratorBenchOptions) (*GeneratorBench, error) {
	if err := benchShape(&o.Duration, &o.Rounds, &o.Workers, 5*time.Second); err != nil {
		return nil, err
	}
	if o.Server == nil {
		return nil, errors.New("no server command")
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "acsharness-bench-load-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	srv, err := startChildServer(o.Server())
	if err != nil {
		return nil, err
	}
	defer srv.Close()

	it, err := NewActionItem("SendMessage", 1, srv.URL, loadBenchSpec(), benchCreds, signature.NewNonceSource())
	if err != nil {
		return nil, err
	}
	var static vegeta.Target
	if err := it.next(&static); err != nil {
		return nil, err
	}
	out := &GeneratorBench{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		LoadAverage: loadAverage(), Request: loadBenchDesc, Workers: o.Workers, Duration: o.Duration.Seconds(), Rounds: o.Rounds,
		Signed: GeneratorBenchSide{Generator: GeneratorSigned}, Static: GeneratorBenchSide{Generator: GeneratorStatic}}
	signed := func(w io.Writer) (uint64, error) {
		// As `acsharness load` runs: with its Prometheus metrics.
		metrics, err := NewMetrics(prometheus.NewRegistry())
		if err != nil {
			return 0, err
		}
		sum, err := Run(ctx, Options{Target: srv.URL, Items: []*Item{it}, Style: "rpc", Workload: "rpc SendMessage",
			Schedule: Constant{0}, Duration: o.Duration, Workers: o.Workers, MaxWorkers: o.Workers, Results: w, Metrics: metrics})
		if err != nil {
			return 0, err
		}
		if sum.Successes != sum.Requests {
			return 0, fmt.Errorf("%s: %d of %d requests failed (%v)", GeneratorSigned, sum.Requests-sum.Successes, sum.Requests, sum.Status)
		}
		return sum.Requests, nil
	}
	staticRun := func(w io.Writer) (uint64, error) {
		return staticAttack(ctx, static, o.Duration, 0, o.Workers, w)
	}
	sides := []struct {
		side *GeneratorBenchSide
		run  func(io.Writer) (uint64, error)
	}{{&out.Signed, signed}, {&out.Static, staticRun}}
	// A short warm-up of each: the first connections, the server's and
	// this process's caches.
	for _, s := range sides {
		if _, err := measureSide(ctx, dir, min(o.Duration/10, 500*time.Millisecond), s.run); err != nil {
			return nil, err
		}
	}
	var tput, cpu []float64
	for r := range o.Rounds {
		for k := range sides {
			s := sides[(k+r)%2]
			run, err := measureSide(ctx, dir, o.Duration, s.run)
			if err != nil {
				return nil, err
			}
			s.side.Runs = append(s.side.Runs, run)
		}
		sg, st := out.Signed.Runs[r], out.Static.Runs[r]
		if st.Throughput > 0 {
			tput = append(tput, sg.Throughput/st.Throughput)
		}
		if st.CPUPerRequest > 0 {
			cpu = append(cpu, sg.CPUPerRequest/st.CPUPerRequest)
		}
	}
	for _, s := range sides {
		var t, c []float64
		for _, r := range s.side.Runs {
			t, c = append(t, r.Throughput), append(c, r.CPUPerRequest)
		}
		s.side.Throughput, s.side.CPUPerRequest = median(t), median(c)
	}
	out.ThroughputRatio, out.CPURatio = spreadOf(tput), spreadOf(cpu)
	return out, nil
}

// measureSide runs one side for d into a fresh results file and measures
// it. The garbage of what ran before is collected first, so that neither
// side pays for the other's.
func measureSide(ctx context.Context, dir string, d time.Duration, run func(io.Writer) (uint64, error)) (GeneratorBenchRun, error) {
	path := filepath.Join(dir, "results.bin")
	f, err := os.Create(path)
	if err != nil {
		return GeneratorBenchRun{}, err
	}
	defer os.Remove(path)
	runtime.GC()
	cpu0, start := processCPU(), time.Now()
	n, err := run(f)
	took, cpu := time.Since(start), processCPU()-cpu0
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return GeneratorBenchRun{}, err
	}
	if n == 0 {
		return GeneratorBenchRun{}, errors.New("no request was sent")
	}
	r := GeneratorBenchRun{Requests: n, Seconds: took.Seconds(), Throughput: float64(n) / took.Seconds(),
		CPUPerRequest: cpu.Seconds() / float64(n)}
	if fi, err := os.Stat(path); err == nil {
		r.ResultsBytes = fi.Size()
	}
	return r, nil
}

// staticAttack is vegeta's own attack as `vegeta attack -rate 0 -workers N
// -max-workers N -output FILE` runs it: t sent again and again for d (0:
// no bound) or n requests (0: no bound) by workers fixed workers, with the
// attacker and pacer load.Run uses, and every result gob-encoded to w as it
// arrives. It returns how many requests were sent; an answer other than
// 200 is an error.
func staticAttack(ctx context.Context, t vegeta.Target, d time.Duration, n, workers uint64, w io.Writer) (uint64, error) {
	atk, tr := newAttacker(Options{Workers: workers, MaxWorkers: workers})
	defer tr.CloseIdleConnections()
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	enc := vegeta.NewEncoder(w)
	var sent uint64
	var err error
	for res := range atk.Attack(vegeta.NewStaticTargeter(t), &bounded{Schedule: Constant{0}, n: n}, d, "") {
		sent++
		if err == nil && res.Code != http.StatusOK {
			err = fmt.Errorf("%s: status %d %s", GeneratorStatic, res.Code, res.Error)
		}
		if err == nil {
			err = enc.Encode(res)
		}
	}
	return sent, err
}

// benchCreds are the benchmark's credentials: the minimal server checks
// nothing, and no real key signs a benchmark request.
var benchCreds = signature.Credentials{AccessKeyID: benchKeyID, AccessKeySecret: benchSecret}

// minimalBody is the minimal server's answer: small, and without an error
// code, so that an action's judge counts it a success.
var minimalBody = []byte(`{"RequestId":"bench"}`)

// minimalHandler answers every request 200 with a 21-byte JSON body and
// nothing else: a server that costs as little as net/http allows, so that
// a benchmark of a load generator measures the generator.
func minimalHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(minimalBody)
	})
}

// ServeMinimal serves minimalHandler on a free port of 127.0.0.1, writes
// its base URL and a newline to out, and serves until stop is closed or
// at EOF (a parent that closes the child's stdin, or dies, stops it), or
// until ctx is done.
func ServeMinimal(ctx context.Context, stop io.Reader, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: minimalHandler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if _, err := fmt.Fprintln(out, "http://"+ln.Addr().String()); err != nil {
		_ = srv.Close()
		return err
	}
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, stop); close(eof) }()
	select {
	case <-eof:
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	return srv.Close()
}

// childServer is a server running in a child process (see ServeMinimal).
type childServer struct {
	// URL is the server's base URL.
	URL   string
	cmd   *exec.Cmd
	stdin io.Closer
	done  chan struct{}
}

// startPiped starts cmd, a child process of the benches named what in an
// error, with pipes to its standard input and from its standard output.
func startPiped(cmd *exec.Cmd, what string) (io.WriteCloser, io.ReadCloser, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", what, err)
	}
	return in, out, nil
}

// startChildServer starts cmd, a process that prints a base URL on its
// first line of output and serves until its stdin closes, and waits for
// the URL.
func startChildServer(cmd *exec.Cmd) (*childServer, error) {
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	stdin, stdout, err := startPiped(cmd, "the server process")
	if err != nil {
		return nil, err
	}
	c := &childServer{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	type read struct {
		line string
		err  error
	}
	first := make(chan read, 1)
	go func() {
		// Reads end before Wait, which closes the pipe.
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		first <- read{line, err}
		_, _ = io.Copy(io.Discard, r)
		_ = cmd.Wait()
		close(c.done)
	}()
	var got read
	select {
	case got = <-first:
	case <-time.After(childServerStart):
		got.err = fmt.Errorf("nothing within %s", childServerStart)
	}
	if got.err != nil || !strings.HasPrefix(got.line, "http://") {
		c.Close()
		return nil, fmt.Errorf("the server process %s did not print its URL: %q %v", cmd.Path, got.line, got.err)
	}
	c.URL = strings.TrimSpace(got.line)
	return c, nil
}

// childServerStart bounds the wait for a child server's URL.
const childServerStart = 30 * time.Second

// Close stops the child: its stdin closes, then, if it has not exited
// within 5 s, it is killed.
func (c *childServer) Close() {
	_ = c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill() // our own child, by its handle
		<-c.done
	}
}

// loadAverage is the machine's load average, "1m 5m 15m", or "" where
// /proc/loadavg does not tell it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// WriteText writes both sides' medians and the ratios with their spread.
func (b *GeneratorBench) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "load generator against vegeta's static attack: %d workers at max rate, %s per side in %d interleaved rounds, both writing results to a file; minimal server in a child process\n",
		b.Workers, time.Duration(b.Duration*float64(time.Second)), b.Rounds)
	fmt.Fprintf(w, "%s %s, GOMAXPROCS %d", b.GoVersion, b.Platform, b.GOMAXPROCS)
	if b.LoadAverage != "" {
		fmt.Fprintf(w, ", load average %s at the start", b.LoadAverage)
	}
	fmt.Fprintf(w, "; request: %s\n\n", b.Request)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GENERATOR\tREQ/S (MEDIAN)\tCPU/REQ (MEDIAN)\tREQ/S BY ROUND\t")
	for _, s := range []GeneratorBenchSide{b.Signed, b.Static} {
		var runs []string
		for _, r := range s.Runs {
			runs = append(runs, fmt.Sprintf("%.0f", r.Throughput))
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t\n", s.Generator, s.Throughput, fmt.Sprintf("%.1fµs", s.CPUPerRequest*1e6), strings.Join(runs, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nsigned/static throughput  %.3f  (range %.3f–%.3f over %d rounds; goal ≥ 0.95)\n",
		b.ThroughputRatio.Median, b.ThroughputRatio.Min, b.ThroughputRatio.Max, len(b.ThroughputRatio.Rounds))
	_, err := fmt.Fprintf(w, "signed/static CPU/request %.3f  (range %.3f–%.3f over %d rounds; goal ≤ 1.10)\n",
		b.CPURatio.Median, b.CPURatio.Min, b.CPURatio.Max, len(b.CPURatio.Rounds))
	return err
}
