//go:build unix

package load

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/signature"
)

// The load generator's speed goals, measured against a minimal loopback
// server (200, a 20-byte body) so that the generator is what is measured:
//
//   - BenchmarkAttack: a signed dynamic attack (load.Run, a fresh signature
//     per request) sends at least 90% of the rate of vegeta's own static
//     attack (one pre-built URL), with the same workers and connections.
//     The "interleaved" case alternates the two in one run and reports the
//     ratio, which a busy machine skews least.
//   - BenchmarkSigningShare: signing takes under 5% of the generator's CPU
//     time (targeter-%cpu; the server runs in a child process, so that the
//     process's CPU is the generator's alone). Cross-check with a profile:
//     add -cpuprofile and read the cum% of load.(*mix).targeter.func* in
//     go tool pprof -top -cum.
//   - TestLongRunHeap (ACSHARNESS_LONG=1): the heap stays flat over a long
//     run.
//
// Measured on a shared 2-vCPU AMD EPYC, go1.26.8, load average 0.7–1.9
// (benchstat medians of 6): interleaved signed/static 0.97 (42.96k against
// 42.77k req/s); run apart, as -count runs them, signed-dynamic and
// vegeta-static drift with the machine (0.80 to 1.04 over three runs);
// targeter-%cpu 2.8 (sign-%cpu 3.6; a CPU profile puts the targeter at
// 3.4% of samples, signature's functions at 2.2%); heap in use over 10
// minutes at 3000/s: 3.98 MiB at 10 s, 9.05 MiB at the end, 14.50 MiB at
// most — the summary's series filling to 240 buckets and halving (every 4
// then 8 minutes), nothing that grows with the 1.8 million requests.
//
// Measure with
//
//	go test -run '^$' -bench . -benchmem -count 6 ./load/ | tee /tmp/loadbench.txt
//	go tool benchstat /tmp/loadbench.txt
//
// and the heap over 10 minutes with
//
//	ACSHARNESS_LONG=1 ACSHARNESS_LONG_DURATION=10m go test -run TestLongRunHeap -v -timeout 20m ./load/

// perfWorkers is the fixed number of workers of every max-rate attack here.
const perfWorkers = 32

// perfBody is the minimal server's answer: small, and without an error
// code, so that an action's judge counts it a success.
var perfBody = []byte(`{"RequestId":"perf"}`)

func perfHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(perfBody)
	})
}

// perfServer starts the minimal server in this process and returns its
// base URL.
func perfServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: perfHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

const perfServerEnv = "ACSHARNESS_PERF_SERVER"

// TestPerfServerProcess is no test: it is the minimal server of
// perfServerProcess, run in a child process of the test binary. It prints
// its URL, then serves until its stdin closes.
func TestPerfServerProcess(t *testing.T) {
	if os.Getenv(perfServerEnv) != "1" {
		t.Skip("the child process of the load benchmarks; runs only when they start it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: perfHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintln(os.Stdout, "http://"+ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
}

// perfServerProcess starts the minimal server in a child process and
// returns its base URL: the CPU and heap of this process are then the
// generator's alone.
func perfServerProcess(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPerfServerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), perfServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill() // our own child, by its handle
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		tb.Fatalf("the server process did not start: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return strings.TrimSpace(line)
}

// perfSpec is a realistic RPC request: MQTT SendMessage with twelve
// parameters once signed, a payload holding a space and a CJK character.
func perfSpec() ActionSpec {
	return ActionSpec{Style: signature.RPC, Method: http.MethodGet, Action: "SendMessage", Version: "2020-04-20",
		Host: benchHost, Format: "JSON", Params: benchAPI()}
}

var perfCreds = signature.Credentials{AccessKeyID: benchKeyID, AccessKeySecret: benchSecret}

func perfItem(tb testing.TB, target string) *Item {
	tb.Helper()
	it, err := NewActionItem("SendMessage", 1, target, perfSpec(), perfCreds, signature.NewNonceSource())
	if err != nil {
		tb.Fatal(err)
	}
	return it
}

// perfRun sends n signed requests through load.Run at max rate and
// returns the summary and the wall time.
func perfRun(tb testing.TB, target string, it *Item, n uint64, o Options) (*Summary, time.Duration) {
	tb.Helper()
	o.Target, o.Items, o.Schedule, o.Requests = target, []*Item{it}, Constant{0}, n
	o.Workers, o.MaxWorkers = perfWorkers, perfWorkers
	start := time.Now()
	sum, err := Run(context.Background(), o)
	took := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	if sum.Successes != n {
		tb.Fatalf("%d of %d requests succeeded: %v %v", sum.Successes, n, sum.Status, sum.Errors)
	}
	return sum, took
}

// perfAttacker is an attacker with exactly the settings load.Run uses,
// and its transport, to close when done.
func perfAttacker() (*vegeta.Attacker, *http.Transport) {
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	return vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}),
		vegeta.Workers(perfWorkers), vegeta.MaxWorkers(perfWorkers), vegeta.Connections(vegeta.DefaultConnections),
		vegeta.MaxConnections(0), vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true), vegeta.MaxBody(64<<10),
		vegeta.TLSConfig(&tls.Config{}), vegeta.Redirects(vegeta.NoFollow),
	), tr
}

// perfVegeta sends n requests of tr with a bare vegeta attacker at max
// rate (the same pacer as load.Run's), drains the results, and returns
// the wall time.
func perfVegeta(tb testing.TB, tr vegeta.Targeter, n uint64) time.Duration {
	tb.Helper()
	atk, transport := perfAttacker()
	defer transport.CloseIdleConnections()
	start := time.Now()
	var bad *vegeta.Result
	for res := range atk.Attack(tr, &bounded{Schedule: Constant{0}, n: n}, 0, "") {
		if res.Code != http.StatusOK && bad == nil {
			bad = res
		}
	}
	took := time.Since(start)
	if bad != nil {
		tb.Fatalf("vegeta: status %d %s", bad.Code, bad.Error)
	}
	return took
}

// perfStatic is vegeta's static targeter over one pre-built signed request.
func perfStatic(tb testing.TB, target string) vegeta.Targeter {
	var t vegeta.Target
	if err := perfItem(tb, target).next(&t); err != nil {
		tb.Fatal(err)
	}
	return vegeta.NewStaticTargeter(t)
}

func BenchmarkAttack(b *testing.B) {
	target := perfServer(b)

	// Ours, whole: load.Run signs each request afresh and folds each
	// result into the summary (histograms, series, judge).
	b.Run("signed-dynamic", func(b *testing.B) {
		it := perfItem(b, target)
		b.ReportAllocs()
		_, took := perfRun(b, target, it, uint64(b.N), Options{})
		b.ReportMetric(float64(b.N)/took.Seconds(), "req/s")
	})

	// Our targeter on vegeta's bare attacker: the signing alone, without
	// load.Run's result handling.
	b.Run("vegeta-signed", func(b *testing.B) {
		m := newMix([]*Item{perfItem(b, target)})
		tr := m.targeter(newSignRecorder(), nil, maxSampleEvery)
		b.ReportAllocs()
		took := perfVegeta(b, tr, uint64(b.N))
		b.ReportMetric(float64(b.N)/took.Seconds(), "req/s")
	})

	// vegeta's own: one pre-built URL, results drained.
	b.Run("vegeta-static", func(b *testing.B) {
		tr := perfStatic(b, target)
		b.ReportAllocs()
		took := perfVegeta(b, tr, uint64(b.N))
		b.ReportMetric(float64(b.N)/took.Seconds(), "req/s")
	})

	// Both, alternating in rounds within one measurement, so that a slow
	// patch of a shared machine weighs on both alike: the ratio is the
	// figure of the 90% goal. ns/op is the time of one request of each.
	b.Run("interleaved", func(b *testing.B) {
		it, static := perfItem(b, target), perfStatic(b, target)
		var tSigned, tStatic time.Duration
		const rounds = 4
		b.ReportAllocs()
		for i := range rounds {
			n := uint64(b.N*(i+1)/rounds - b.N*i/rounds)
			if n == 0 {
				continue
			}
			_, took := perfRun(b, target, it, n, Options{})
			tSigned += took
			tStatic += perfVegeta(b, static, n)
		}
		signed, stat := float64(b.N)/tSigned.Seconds(), float64(b.N)/tStatic.Seconds()
		b.ReportMetric(signed, "signed-req/s")
		b.ReportMetric(stat, "static-req/s")
		b.ReportMetric(signed/stat, "signed/static")
	})
}

// BenchmarkTargeter is the per-request work of the generator's targeter:
// pick the item, sign a fresh request, time it, tag the URL.
func BenchmarkTargeter(b *testing.B) {
	m := newMix([]*Item{perfItem(b, "http://127.0.0.1:8080")})
	tr := m.targeter(newSignRecorder(), nil, maxSampleEvery)
	var t vegeta.Target
	b.ReportAllocs()
	for b.Loop() {
		if err := tr(&t); err != nil {
			b.Fatal(err)
		}
	}
}

// targeterCPU is the CPU time of one call of the targeter of it, measured
// on one locked thread: unlike the signing time a run records, it counts
// no time the goroutine spent preempted.
func targeterCPU(it *Item) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tr := newMix([]*Item{it}).targeter(newSignRecorder(), nil, maxSampleEvery)
	var t vegeta.Target
	for range 1000 {
		_ = tr(&t)
	}
	const n = 100_000
	c0 := threadCPU()
	for range n {
		_ = tr(&t)
	}
	return (threadCPU() - c0) / n
}

// BenchmarkSigningShare runs a signed max-rate attack on the minimal
// server in a child process and reports the share of this process's CPU
// time, the generator's alone, spent signing. Goal: under 5%. Two figures:
// sign-%cpu is the signing CPU time the run records (each sampled
// request's clock, nonce, HMAC and URL, on the thread's CPU clock: no wait
// for the scheduler counts), the samples' mean times the requests, as
// Summary.Sign.Share computes it; targeter-%cpu is the CPU time
// of the whole targeter (signing, item pick, URL tag, timing record)
// measured on a locked thread, times the requests.
func BenchmarkSigningShare(b *testing.B) {
	target := perfServerProcess(b)
	it := perfItem(b, target)
	perfRun(b, target, it, 2000, Options{}) // warm up the child and the caches
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	sum, took := perfRun(b, target, it, uint64(b.N), Options{})
	cpu := processCPU() - cpu0
	b.StopTimer()
	// The histogram holds the sampled signatures (10 ns units); their mean
	// stands for every request's.
	signing := sum.SignHistogram().Mean() * 10 * float64(b.N)
	b.ReportMetric(100*signing/float64(cpu.Nanoseconds()), "sign-%cpu")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e3, "cpu-µs/req")
	b.ReportMetric(signing/float64(b.N), "sign-ns/req")
	b.ReportMetric(float64(b.N)/took.Seconds(), "req/s")
	if tc := targeterCPU(it); tc > 0 {
		b.ReportMetric(100*float64(tc)*float64(b.N)/float64(cpu.Nanoseconds()), "targeter-%cpu")
	}
}

// TestLongRunHeap runs a sustained attack (ACSHARNESS_LONG_RATE, default
// 3000/s, for ACSHARNESS_LONG_DURATION, default 60s) on the minimal server
// in a child process, every result encoded to io.Discard and counted in
// Prometheus metrics, and samples the heap in use after a GC every few
// seconds: it must stay flat (bounded), not grow with the requests sent.
// It runs only with ACSHARNESS_LONG=1.
//
// The workers are bounded (perfLongWorkers, a third of a second of backlog
// at the default rate): with vegeta's unbounded default, a stall of the
// target or of the machine spawns a worker per request due and dials a
// connection for each, and vegeta never retires a worker, so the heap
// ratchets up to the stall's backlog and stays there (seen once here: a
// stall 4 minutes into a run on a busy machine grew 145,000 goroutines, hit
// the open-file limit, and left 310 MiB in use). That is the attack model,
// not a leak; this test measures what grows with the requests sent.
const perfLongWorkers = 1000

func TestLongRunHeap(t *testing.T) {
	if os.Getenv("ACSHARNESS_LONG") != "1" {
		t.Skip("a long run: set ACSHARNESS_LONG=1 (and ACSHARNESS_LONG_DURATION, default 60s)")
	}
	d := 60 * time.Second
	if s := os.Getenv("ACSHARNESS_LONG_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatalf("ACSHARNESS_LONG_DURATION: %v", err)
		}
	}
	rate := 3000.0
	if s := os.Getenv("ACSHARNESS_LONG_RATE"); s != "" {
		var err error
		if rate, err = ParseRate(s); err != nil || rate <= 0 {
			t.Fatalf("ACSHARNESS_LONG_RATE: %v", err)
		}
	}
	every := max(5*time.Second, d/60)

	target := perfServerProcess(t)
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	type sample struct {
		at         time.Duration
		heap, objs uint64
		goroutines int
	}
	heapNow := func(at time.Duration) sample {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return sample{at, ms.HeapInuse, ms.HeapObjects, runtime.NumGoroutine()}
	}
	before := heapNow(0)
	samples := make(chan []sample, 1)
	stop := make(chan struct{})
	start := time.Now()
	go func() {
		var out []sample
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				out = append(out, heapNow(time.Since(start)))
			case <-stop:
				samples <- out
				return
			}
		}
	}()
	sum, err := Run(context.Background(), Options{
		Target: target, Items: []*Item{perfItem(t, target)}, Schedule: Constant{rate}, Duration: d,
		MaxWorkers: perfLongWorkers, Results: io.Discard, Metrics: metrics,
	})
	close(stop)
	got := <-samples
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 {
		t.Fatalf("only %d heap samples over %s", len(got), d)
	}
	t.Logf("sent %d at %.0f/s (asked %.0f/s), success %.4f, late %d (after %s), dropped %d; heap in use before the run %.2f MiB",
		sum.Requests, sum.Rate, rate, sum.SuccessRatio, sum.Late, time.Duration(sum.LateAfter*float64(time.Second)), sum.Dropped, mib(before.heap))
	peak := got[0]
	for _, s := range got {
		t.Logf("  t=%6s  heap in use %7.2f MiB  objects %7d  goroutines %d", s.at.Round(time.Second), mib(s.heap), s.objs, s.goroutines)
		if s.heap > peak.heap {
			peak = s
		}
	}
	first, last := got[0], got[len(got)-1]
	t.Logf("first %.2f MiB, last %.2f MiB, max %.2f MiB at t=%s", mib(first.heap), mib(last.heap), mib(peak.heap), peak.at.Round(time.Second))
	if sum.SuccessRatio < 0.99 {
		t.Errorf("success ratio %.4f: the run was not the sustained attack it should be (%d error kinds)", sum.SuccessRatio, len(sum.Errors))
	}
	// Flat means bounded: the summary's series holds at most maxBuckets
	// buckets of a small histogram each (about 6 MiB when full), whatever
	// the run's length; a leak of even 20 bytes per request shows over
	// 10 minutes at 3000/s (36 MB).
	if grow := int64(peak.heap) - int64(first.heap); grow > 32<<20 {
		t.Errorf("the heap grew by %.1f MiB over the run: it should stay flat", float64(grow)/(1<<20))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
