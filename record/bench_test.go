package record_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/record"
	"github.com/acsharness/acsharness/signature"
)

// BenchmarkRecord is the cost recording adds to a valid RPC request served
// in-process: the gateway alone, then through a recorder that checks the
// signature and writes the record.
func BenchmarkRecord(b *testing.B) {
	g, err := gateway.New(gateway.Config{})
	require.NoError(b, err)
	rec, err := record.New(record.Options{Dir: filepath.Join(b.TempDir(), "rec"),
		Secret: func(string) (signature.Secret, bool) { return gateway.DemoKeySecret, true }})
	require.NoError(b, err)
	defer rec.Close()
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"gateway", g.Handler()}, {"recorded", rec.Wrap(g.Handler())}} {
		b.Run(bc.name, func(b *testing.B) {
			bld := builder()
			b.ReportAllocs()
			for b.Loop() {
				s, err := bld.Sign(signature.Request{Style: signature.RPC, Endpoint: "http://127.0.0.1", Action: "ListInstances",
					Version: rabbitVersion, Format: "JSON", Query: signature.Params{{Key: "MaxResults", Value: "1"}}})
				if err != nil {
					b.Fatal(err)
				}
				r, _ := s.HTTPRequest(context.Background())
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
