package signature

import (
	"net/http"
	"testing"
	"time"

	"github.com/acsharness/acsharness/internal/race"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Allocation budgets of the hot paths. They count allocations, never time:
// speed goals live in the benchmarks (bench_test.go). The tests are not
// parallel, since testing.AllocsPerRun counts every allocation of the
// process.

// TestTemplatesDoNotAllocate holds the load generator's promise: a warm
// template signs a request, with a fresh nonce and a freshly formatted
// timestamp, without allocating.
func TestTemplatesDoNotAllocate(t *testing.T) {
	race.Skip(t, "sync.Pool drops pooled states at random under -race")
	rpc, roa, v3 := benchTemplates(t)

	nonces := NewNonceSource()
	var nonce, stamp, sig []byte
	for _, tc := range []struct {
		name   string
		format func([]byte, time.Time) []byte
		sign   func(dst, stamp, nonce []byte) []byte
	}{
		{"rpc", AppendTimestamp, func(dst, ts, n []byte) []byte { return rpc.AppendSignature(dst, n, ts) }},
		{"roa", AppendDate, roa.AppendSignature},
		{"v3", AppendTimestamp, v3.AppendSignature},
		{"v3-authorization", AppendTimestamp, func(dst, ts, n []byte) []byte {
			return v3.AppendAuthorization(dst, benchAccessKeyID, ts, n)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(200, func() {
				nonce = nonces.Append(nonce[:0])
				stamp = tc.format(stamp[:0], time.Now())
				sig = tc.sign(sig[:0], stamp, nonce)
			})
			assert.Zero(t, allocs, "a warm %s template must sign (nonce and timestamp included) without allocating", tc.name)
			assert.NotEmpty(t, sig)
		})
	}
}

// TestVerifierAllocations bounds the gateway's path for each style, from the
// received request to the verdict, with a warm Verifier. The bounds are:
//
//   - Verifier.RPC, .ROA, .V3 themselves: 0;
//   - RPC from the raw query: 1, the buffer ParseQuery decodes escapes into
//     (the strings it returns view it, so it cannot be reused);
//   - ROA with its Authorization header parsed: 0;
//   - V3 with its Authorization header parsed: 1, the SignedHeaders slice.
func TestVerifierAllocations(t *testing.T) {
	race.Skip(t, "an allocation budget: the race detector allocates")
	_, raw := benchRPCWire(t)
	rpcParams, err := ParseQuery(nil, raw)
	require.NoError(t, err)
	rpcSig, _ := rpcParams.Get(ParamSignature)

	roa := benchROAMessage()
	roa = benchServerMessage(roa, ROAAuthorization(benchAccessKeyID, SignROA(&roa, benchSecret).Signature))

	v3 := benchV3Message()
	signed := V3SignedHeaders(&v3)
	v3 = benchServerMessage(v3, V3Auth{V3Algorithm, benchAccessKeyID, signed, SignV3(&v3, signed, benchSecret).Signature}.String())
	v3Auth, err := ParseV3Authorization(HeaderValue(v3.Header, HeaderAuthorization))
	require.NoError(t, err)

	var v Verifier
	var params Params
	for _, tc := range []struct {
		name  string
		bound float64
		check func() bool
	}{
		{"rpc-verifier", 0, func() bool { return v.RPC(http.MethodPost, rpcParams, benchSecret, rpcSig) }},
		{"rpc-from-raw-query", 1, func() bool {
			params, err = ParseQuery(params[:0], raw)
			sig, _ := params.Get(ParamSignature)
			return err == nil && v.RPC(http.MethodPost, params, benchSecret, sig)
		}},
		{"roa-verifier", 0, func() bool {
			_, sig, err := ParseROAAuthorization(HeaderValue(roa.Header, HeaderAuthorization))
			return err == nil && v.ROA(&roa, benchSecret, sig)
		}},
		{"v3-verifier", 0, func() bool { return v.V3(&v3, v3Auth.SignedHeaders, benchSecret, v3Auth.Signature) }},
		{"v3-with-authorization", 1, func() bool {
			a, err := ParseV3Authorization(HeaderValue(v3.Header, HeaderAuthorization))
			return err == nil && v.V3(&v3, a.SignedHeaders, benchSecret, a.Signature)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, tc.check(), "the request must verify")
			allocs := testing.AllocsPerRun(200, func() {
				if !tc.check() {
					panic("verification failed")
				}
			})
			assert.LessOrEqual(t, allocs, tc.bound, "a warm Verifier on the %s path", tc.name)
		})
	}
}
