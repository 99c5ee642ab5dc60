//go:build unix

package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// BenchmarkGenerator is each side of BenchLoad on its own, against the
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
