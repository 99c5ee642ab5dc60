package conformance

import (
	"context"
	"testing"
)

// BenchmarkBuiltinSuite runs the whole built-in suite against the
// reference gateway in-process: the figure the README quotes.
func BenchmarkBuiltinSuite(b *testing.B) {
	sc := builtinScenarios(b)
	target, stop, err := startGateway("")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stop() }()
	opts := demoOptions(sc)
	opts.Target = target
	cases := 0
	for b.Loop() {
		// A fresh gateway state is not needed: nonces are fresh each run,
		// and the throttled key's bucket only refills faster between runs.
		rep, err := Run(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Failed() {
			b.Fatalf("the suite failed: %+v", rep.Totals)
		}
		cases = rep.Totals.Cases
	}
	b.ReportMetric(float64(cases), "cases/op")
}
