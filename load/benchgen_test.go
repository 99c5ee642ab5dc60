//go:build unix

package load

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// BenchmarkGenerator is each side of BenchGenerator on its own, against the
// minimal server in a child process, results written to a file: a CPU
// profile of one side is
//
//	go test -run '^$' -bench 'Generator/signed' -benchtime 200000x -cpuprofile /tmp/signed.prof ./load/
//	go tool pprof -top -cum load.test /tmp/signed.prof
//
// and the same with Generator/static for vegeta's.
func BenchmarkGenerator(b *testing.B) {
	target := perfServerProcess(b)
	it := perfItem(b, target)
	var static vegeta.Target
	if err := it.next(&static); err != nil {
		b.Fatal(err)
	}
	sides := []struct {
		name string
		run  func(b *testing.B, f *os.File) uint64
	}{
		{"signed", func(b *testing.B, f *os.File) uint64 {
			metrics, err := NewMetrics(prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			sum, _ := perfRun(b, target, it, uint64(b.N), Options{Results: f, Metrics: metrics})
			return sum.Requests
		}},
		{"static", func(b *testing.B, f *os.File) uint64 {
			n, err := staticAttack(context.Background(), static, 0, uint64(b.N), perfWorkers, f)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}},
	}
	for _, s := range sides {
		b.Run(s.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "results.bin"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.ReportAllocs()
			cpu0, start := processCPU(), time.Now()
			n := s.run(b, f)
			took, cpu := time.Since(start), processCPU()-cpu0
			b.ReportMetric(float64(n)/took.Seconds(), "req/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/req")
		})
	}
}

func TestBenchGeneratorOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    GeneratorBenchOptions
		want string
	}{
		{"negative duration", GeneratorBenchOptions{Server: perfServerCmd, Duration: -time.Second}, "must be positive"},
		{"negative rounds", GeneratorBenchOptions{Server: perfServerCmd, Rounds: -1}, "must be positive"},
		{"no server", GeneratorBenchOptions{}, "no server command"},
		{"a server that prints no URL", GeneratorBenchOptions{Server: func() *exec.Cmd { return exec.Command("sh", "-c", "echo listening") }},
			`did not print its URL: "listening\n"`},
		{"a server that cannot start", GeneratorBenchOptions{Server: func() *exec.Cmd { return exec.Command(filepath.Join(t.TempDir(), "none")) }},
			"start the server process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := BenchGenerator(context.Background(), tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A short BenchGenerator: both sides measured every round, the ratios taken
// round by round, every results file written and removed.
func TestBenchGenerator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res, err := BenchGenerator(context.Background(), GeneratorBenchOptions{Server: perfServerCmd, Duration: 100 * time.Millisecond,
		Rounds: 3, Workers: 2, Dir: dir})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Rounds)
	for _, s := range []GeneratorBenchSide{res.Signed, res.Static} {
		require.Len(t, s.Runs, 3, "%s: one run per round", s.Generator)
		for i, r := range s.Runs {
			assert.Positive(t, r.Requests, "%s round %d", s.Generator, i)
			assert.Positive(t, r.CPUPerRequest, "%s round %d: getrusage measured", s.Generator, i)
			assert.Positive(t, r.ResultsBytes, "%s round %d wrote its results", s.Generator, i)
			assert.InDelta(t, float64(r.Requests)/r.Seconds, r.Throughput, 1e-6)
		}
		assert.Positive(t, s.Throughput)
	}
	assert.Greater(t, res.Static.Runs[0].ResultsBytes/int64(res.Static.Runs[0].Requests),
		res.Signed.Runs[0].ResultsBytes/int64(res.Signed.Runs[0].Requests),
		"vegeta's results carry bodies and headers; ours are redacted and without them")
	require.Len(t, res.ThroughputRatio.Rounds, 3)
	for i := range 3 {
		assert.InDelta(t, res.Signed.Runs[i].Throughput/res.Static.Runs[i].Throughput, res.ThroughputRatio.Rounds[i], 1e-9,
			"round %d: the ratio of its own two sides", i)
		assert.InDelta(t, res.Signed.Runs[i].CPUPerRequest/res.Static.Runs[i].CPUPerRequest, res.CPURatio.Rounds[i], 1e-9)
	}
	assert.LessOrEqual(t, res.ThroughputRatio.Min, res.ThroughputRatio.Median)
	assert.GreaterOrEqual(t, res.ThroughputRatio.Max, res.ThroughputRatio.Median)
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left, "the results files are removed")

	var text bytes.Buffer
	require.NoError(t, res.WriteText(&text))
	for _, s := range []string{GeneratorSigned, GeneratorStatic, "signed/static throughput", "goal ≥ 0.95", "goal ≤ 1.10"} {
		assert.Contains(t, text.String(), s)
	}
}

// The minimal server serves until its stdin closes, then returns.
func TestServeMinimal(t *testing.T) {
	t.Parallel()
	stopR, stopW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeMinimal(context.Background(), stopR, outW) }()
	line, err := bufio.NewReader(outR).ReadString('\n')
	require.NoError(t, err)
	resp, err := http.Get(strings.TrimSpace(line) + "/?Action=Anything")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	ok, code := judgeStatus(resp.StatusCode, resp.Header, body)
	assert.True(t, ok, "an action's judge counts the answer a success")
	assert.Empty(t, code)
	require.NoError(t, stopW.Close())
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not stop when its stdin closed")
	}
}

// GODEBUG's cpu.<feature>=off turns a feature off for Go's own code, the
// last setting winning: the bench says which SHA code ran under it.
func TestGodebugOff(t *testing.T) {
	for _, c := range []struct {
		godebug string
		off     bool
	}{
		{"", false},
		{"cpu.sha=off", true},
		{"x509negativeserial=1, cpu.sha=off", true},
		{"cpu.all=off", true},
		{"cpu.sha=off,cpu.sha=on", false},
		{"cpu.avx2=off", false},
		{"cpu.shax=off", false},
	} {
		assert.Equal(t, c.off, godebugOff(c.godebug, "sha"), "%q", c.godebug)
	}
}
