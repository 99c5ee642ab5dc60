package gateway_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/internal/race"
	"github.com/acsharness/acsharness/signature"
)

// reusedWriter is a ResponseWriter that keeps its header map from one
// request to the next and discards the body: what it allocates is nothing,
// so that what is counted is the gateway's alone (httptest's recorder
// allocated 6 times per request of its own).
type reusedWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *reusedWriter) Header() http.Header { return w.h }
func (w *reusedWriter) WriteHeader(s int)   { w.status = s }
func (w *reusedWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// successAllocs is the allocation budget of a request served with success,
// in the RPC style:
//
//   - the response headers' values, which the header map keeps (1);
//   - the RequestId and the trace ID, one string (1);
//   - the action's response struct (1);
//   - the buffer signature.ParseQuery decodes the query's escapes into,
//     which the parameters' strings view and the backend may keep (1).
//
// Everything else is pooled, cached or on the stack: the query's parameter
// list, the body's buffer, the nonce's key, the metrics' children, the
// Host's product, the access-log record.
const successAllocs = 4

// v3ExtraAllocs are what a V3 request allocates beyond: the coverage check
// of SignedHeaders (signature.UnsignedV3Headers: 9, the lowercase names
// and their list), the business parameters' list (1), the Authorization
// header's parsed names (1).
const v3ExtraAllocs = 11

// TestHandlerAllocations holds the success path to its allocation budget
// (counted, never timed): valid signed requests, a fresh nonce each, in
// every style and both formats, through the handler in-process.
func TestHandlerAllocations(t *testing.T) {
	race.Skip(t, "sync.Pool drops items at random")
	const runs = 200
	for _, tc := range []struct {
		name   string
		budget int
		req    signature.Request
	}{
		{"rpc-json", successAllocs, signature.Request{Style: signature.RPC, Method: http.MethodGet, Endpoint: "http://" + hostAMQP,
			Action: "ListInstances", Version: "2019-12-12", Format: "JSON", Query: signature.Params{{Key: "MaxResults", Value: "10"}}}},
		{"rpc-xml", successAllocs, signature.Request{Style: signature.RPC, Method: http.MethodGet, Endpoint: "http://" + hostMQTT,
			Action: "ListGroupId", Version: "2020-04-20", Format: "XML", Query: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-1"}}}},
		// No query: no decode buffer.
		{"roa", successAllocs - 1, signature.Request{Style: signature.ROA, Method: http.MethodGet, Endpoint: "http://" + hostAMQP,
			Path: "/instances", Version: "2019-12-12"}},
		{"v3", successAllocs + v3ExtraAllocs, signature.Request{Style: signature.V3, Method: http.MethodGet, Endpoint: "http://" + hostMQTT,
			Action: "ListGroupId", Version: "2020-04-20", Query: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-1"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := benchGateway(t)
			// A running gateway's nonce store holds many nonces: its map
			// and bucket lists grow by doubling, so a nonce costs them
			// next to no allocation; an empty store's first inserts would.
			for i := range 1 << 16 {
				_, err := g.Nonces().Add("warm-" + strconv.Itoa(i))
				require.NoError(t, err)
			}
			h := g.Handler()
			signer := fixedSigner("alloc-" + tc.name)
			reqs := make([]*http.Request, runs+2)
			for i := range reqs {
				r, err := mustSign(t, signer, tc.req).HTTPRequest(context.Background())
				require.NoError(t, err)
				r.RemoteAddr, r.RequestURI = "127.0.0.1:4321", r.URL.RequestURI()
				reqs[i] = r
			}
			w := &reusedWriter{h: http.Header{}}
			serve := func(r *http.Request) {
				clear(w.h)
				w.status, w.n = 0, 0
				h.ServeHTTP(w, r)
			}
			serve(reqs[len(reqs)-1]) // warm the pools and caches
			require.Equal(t, http.StatusOK, w.status, "the signed request is served")
			i := 0
			allocs := testing.AllocsPerRun(runs, func() {
				serve(reqs[i])
				i++
			})
			require.Equal(t, http.StatusOK, w.status, "every request is served")
			assert.Positive(t, w.n, "with a body")
			assert.LessOrEqual(t, allocs, float64(tc.budget), "allocations per request served with success (%s)", tc.name)
			t.Logf("%s: %.1f allocations per request", tc.name, allocs)
		})
	}
}
