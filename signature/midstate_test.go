package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The resumed HMAC equals crypto/hmac over the whole message, for prefixes
// around the 64-byte block (shorter than one, exactly one, one byte more,
// several), keys shorter than, as long as and longer than a block, and
// tails that move the block boundary: with the padding written and the
// digests read off the states, and through Sum.
func TestPrefixMACMatchesHMAC(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	bytesOf := randomBytes(r)
	for _, hf := range hashKinds {
		t.Run(hf.name, func(t *testing.T) {
			for _, prefixLen := range []int{0, 1, 17, 63, 64, 65, 127, 128, 129, 300} {
				for _, keyLen := range []int{0, 5, 30, 64, 65, 200} {
					key, prefix := bytesOf(keyLen), bytesOf(prefixLen)
					padded := newPrefixMAC(hf.new, key, prefix)
					require.True(t, padded.padded, "this Go's %s saves its state as sum reads it", hf.name)
					for _, pm := range []prefixMAC{padded, withoutPadding(padded)} {
						st := newMidState(hf.new)
						for i := range 20 {
							tail := bytesOf(r.IntN(200))
							want := hmac.New(hf.new, key)
							want.Write(prefix)
							want.Write(tail)
							pm.start(st)
							st.in.Write(pm.pad(append([]byte(nil), tail...), pm.absorbed+len(tail)))
							require.Equal(t, want.Sum(nil), pm.finish(st, nil), "padded %v, prefix %d, key %d, message %d", pm.padded, prefixLen, keyLen, i)
						}
					}
				}
			}
		})
	}
}

// restoreAligned, then finish (or a plain prefix hash's sum), give
// crypto/hmac's HMAC (or the digest) of the whole message, for prefixes
// around the block size, keys of every kind, per-second values that change
// and come back, and nonces whose changing lengths move the padding: with
// the padding written and the digests read off the states, and through Sum.
func TestRestoreAlignedMatchesHMAC(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	bytesOf := randomBytes(r)
	for _, hf := range hashKinds {
		t.Run(hf.name, func(t *testing.T) {
			for _, prefixLen := range []int{0, 1, 17, 63, 64, 65, 127, 128, 129, 300} {
				for _, keyLen := range []int{-1, 0, 30, 64, 200} { // -1: a plain hash
					key, prefix := bytesOf(max(keyLen, 0)), bytesOf(prefixLen)
					padded := newPrefixMAC(hf.new, key, prefix)
					if keyLen < 0 {
						padded = newPrefixHash(hf.new, prefix)
					}
					require.True(t, padded.padded)
					seconds, more, tail := [][]byte{bytesOf(29), bytesOf(29), bytesOf(20)}, bytesOf(r.IntN(130)), bytesOf(r.IntN(300))
					for _, pm := range []prefixMAC{padded, withoutPadding(padded)} {
						st := newMidState(hf.new)
						for i := range 40 {
							second, nonce := seconds[r.IntN(len(seconds))], bytesOf(r.IntN(3)*r.IntN(40))
							var want hash.Hash = hmac.New(hf.new, key)
							if keyLen < 0 {
								want = hf.new()
							}
							for _, part := range [][]byte{prefix, second, more, nonce, tail} {
								want.Write(part)
							}
							n := pm.absorbed + len(second) + len(more) + len(nonce) + len(tail)
							st.in.Write(pm.restoreAligned(st, prefix, second, more, nonce, tail, n))
							var got []byte
							if keyLen < 0 {
								got = pm.sum(st)
							} else {
								got = pm.finish(st, nil)
							}
							require.Equal(t, want.Sum(nil), got, "padded %v, prefix %d, key %d, message %d", pm.padded, prefixLen, keyLen, i)
						}
					}
				}
			}
		})
	}
}

// A plain prefix hash resumes to the digest of the whole message.
func TestPrefixHashMatchesSHA256(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 63, 64, 65, 500} {
		prefix := make([]byte, n)
		for i := range prefix {
			prefix[i] = byte(i)
		}
		padded := newPrefixHash(sha256.New, prefix)
		for _, ph := range []prefixMAC{padded, withoutPadding(padded)} {
			st := newMidState(sha256.New)
			date, more, nonce := []byte("2020-05-19T10:33:56Z"), []byte("\nx-acs-signature-nonce:"), []byte("abc")
			st.in.Write(ph.restoreAligned(st, prefix, date, more, nonce, nil, n+len(date)+len(more)+len(nonce)))
			want := sha256.Sum256(append(prefix, "2020-05-19T10:33:56Z\nx-acs-signature-nonce:abc"...))
			assert.Equal(t, want[:], ph.sum(st), "padded %v, prefix of %d bytes", ph.padded, n)
		}
	}
}

// withoutPadding is m as a Go whose hashes save their state otherwise
// would make it: no padding written, the digests from Sum.
func withoutPadding(m prefixMAC) prefixMAC {
	m.padded, m.outerPad = false, nil
	return m
}

// Templates shared by goroutines that sign at once, across changing dates
// (each goroutine's pooled state keeps its own per-second state), sign as
// the naive signers do. Run under -race, this also checks the pooled states
// are never shared.
func TestTemplatesConcurrentAcrossSeconds(t *testing.T) {
	t.Parallel()
	rpc, roa, v3 := benchTemplates(t)
	base := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				when := base.Add(time.Duration((g+i)%5) * time.Second)
				// Nonces of changing lengths move the padding.
				nonce := append([]byte{byte('a' + g), byte('a' + i%26)}, make([]byte, (g*7+i)%70)...)
				ts, date := AppendTimestamp(nil, when), AppendDate(nil, when)

				naive := hmac.New(sha1.New, []byte(benchSecret+"&"))
				naive.Write(rpc.AppendStringToSign(nil, nonce, ts))
				assert.Equal(t, b64(naive.Sum(nil)), string(rpc.AppendSignature(nil, nonce, ts)), "rpc")

				naive = hmac.New(sha1.New, []byte(benchSecret))
				naive.Write(roa.AppendStringToSign(nil, date, nonce))
				assert.Equal(t, b64(naive.Sum(nil)), string(roa.AppendSignature(nil, date, nonce)), "roa")

				canon := sha256.Sum256(v3.AppendCanonicalRequest(nil, ts, nonce))
				naive = hmac.New(sha256.New, []byte(benchSecret))
				naive.Write([]byte(V3Algorithm + "\n" + hexString(canon[:])))
				assert.Equal(t, hexString(naive.Sum(nil)), string(v3.AppendSignature(nil, ts, nonce)), "v3")
			}
		}()
	}
	wg.Wait()
}

// With hashes whose saved states did not hold the digest, the templates
// would take the digests from Sum: that path signs the same.
func TestTemplatesWithoutPaddedDigests(t *testing.T) {
	t.Parallel()
	rpc, roa, v3 := benchTemplates(t)
	require.True(t, rpc.mac.padded && roa.mac.padded && v3.mac.padded && v3.hash.padded, "this Go's hashes give the padded path")
	rpcSum, roaSum, v3Sum := benchTemplates(t)
	rpcSum.mac, roaSum.mac, v3Sum.mac, v3Sum.hash = withoutPadding(rpcSum.mac), withoutPadding(roaSum.mac), withoutPadding(v3Sum.mac), withoutPadding(v3Sum.hash)
	v3Sum.innerPad = nil
	when := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for i := range 200 {
		nonce := append([]byte("n"), make([]byte, i%90)...)
		ts, date := AppendTimestamp(nil, when.Add(time.Duration(i/7)*time.Second)), AppendDate(nil, when.Add(time.Duration(i/7)*time.Second))
		assert.Equal(t, string(rpcSum.AppendSignature(nil, nonce, ts)), string(rpc.AppendSignature(nil, nonce, ts)), "rpc %d", i)
		assert.Equal(t, string(roaSum.AppendSignature(nil, date, nonce)), string(roa.AppendSignature(nil, date, nonce)), "roa %d", i)
		assert.Equal(t, string(v3Sum.AppendSignature(nil, ts, nonce)), string(v3.AppendSignature(nil, ts, nonce)), "v3 %d", i)
	}
}

// The padding brings every message length to a whole number of blocks, and
// the digest read off the state is the hash's own.
func TestPaddedDigest(t *testing.T) {
	t.Parallel()
	msg := make([]byte, 0, 300)
	for n := range 300 {
		for _, hf := range []func() hash.Hash{sha1.New, sha256.New} {
			padded := appendPadding(append([]byte(nil), msg...), n)
			require.Zero(t, len(padded)%64, "%d bytes", n)
			require.Less(t, len(padded)-n, 64+9+1, "%d bytes: at most one block more", n)
			ph, st := newPrefixHash(hf, nil), newMidState(hf)
			ph.start(st)
			st.in.Write(padded)
			want := hf()
			want.Write(msg)
			require.Equal(t, want.Sum(nil), ph.sum(st), "%d bytes", n)
		}
		msg = append(msg, byte(n*31))
	}
}

// benchTemplates returns the three templates of the benchmark requests.
func benchTemplates(t testing.TB) (*RPCTemplate, *ROATemplate, *V3Template) {
	rpc, err := NewRPCTemplate(http.MethodPost, benchRPCParams(), benchSecret)
	require.NoError(t, err)
	roaMsg, v3Msg := benchROAMessage(), benchV3Message()
	roa, err := NewROATemplate(&roaMsg, benchSecret)
	require.NoError(t, err)
	v3, err := NewV3Template(&v3Msg, benchSecret)
	require.NoError(t, err)
	return rpc, roa, v3
}

// hashKinds are the hashes the templates use.
var hashKinds = []struct {
	name string
	new  func() hash.Hash
}{{"sha1", sha1.New}, {"sha256", sha256.New}}

// randomBytes returns a maker of random byte strings drawn from r.
func randomBytes(r *rand.Rand) func(n int) []byte {
	return func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
}

func b64(b []byte) string       { return base64.StdEncoding.EncodeToString(b) }
func hexString(b []byte) string { return hex.EncodeToString(b) }

// TestVerifierMACs: a Verifier's HMAC, padded or through Sum, equals
// crypto/hmac's for each style's key and hash, over messages of every
// length across three blocks and a key longer than a block.
func TestVerifierMACs(t *testing.T) {
	t.Parallel()
	msg := make([]byte, 200)
	for i := range msg {
		msg[i] = byte(i*7 + 3)
	}
	for _, secret := range []Secret{"testsecret", Secret(strings.Repeat("k", 100))} {
		for _, kind := range []macKind{macRPC, macROA, macV3} {
			for _, padded := range []bool{true, false} {
				var v Verifier
				m := v.mac(kind, secret)
				if !padded {
					m.m = withoutPadding(m.m)
				}
				for n := range len(msg) + 1 {
					want := newMAC(kind, secret)
					want.Write(msg[:n])
					enc := base64.StdEncoding.EncodeToString(want.Sum(nil))
					if kind == macV3 {
						enc = hex.EncodeToString(want.Sum(nil))
					}
					v.sts = append(v.sts[:0], msg[:n]...)
					require.True(t, v.finish(kind, secret, enc), "kind %d, padded %v, %d bytes", kind, padded, n)
					require.Equal(t, string(msg[:n]), string(v.sts), "the string to sign is left as it was")
				}
			}
		}
	}
}
