package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The resumed HMAC equals crypto/hmac over the whole message, for prefixes
// around the 64-byte block (shorter than one, exactly one, one byte more,
// several), keys shorter than, as long as and longer than a block, tails that
// move the block boundary, and per-second values that change and come back.
func TestPrefixMACMatchesHMAC(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	bytesOf := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	for _, hf := range []struct {
		name string
		new  func() hash.Hash
	}{{"sha1", sha1.New}, {"sha256", sha256.New}} {
		t.Run(hf.name, func(t *testing.T) {
			for _, prefixLen := range []int{0, 1, 17, 63, 64, 65, 127, 128, 129, 300} {
				for _, keyLen := range []int{0, 5, 30, 64, 65, 200} {
					key, prefix := bytesOf(keyLen), bytesOf(prefixLen)
					pm := newPrefixMAC(hf.new, key, prefix)
					st := newMidState(hf.new)
					// A template's part between the per-second value and
					// the per-request one is fixed.
					seconds, more := [][]byte{bytesOf(29), bytesOf(29), bytesOf(20)}, bytesOf(r.IntN(130))
					for i := range 40 {
						second, tail := seconds[r.IntN(len(seconds))], bytesOf(r.IntN(200))
						want := hmac.New(hf.new, key)
						if i%2 == 0 {
							pm.start(st)
							want.Write(prefix)
						} else {
							pm.restoreSecond(st, second, more)
							want.Write(prefix)
							want.Write(second)
							want.Write(more)
						}
						st.in.Write(tail)
						want.Write(tail)
						require.Equal(t, want.Sum(nil), pm.finish(st, nil), "prefix %d, key %d, message %d", prefixLen, keyLen, i)
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
		ph := newPrefixHash(sha256.New, prefix)
		st := newMidState(sha256.New)
		ph.restoreSecond(st, []byte("2020-05-19T10:33:56Z"), []byte("\nx-acs-signature-nonce:"))
		st.in.Write([]byte("abc"))
		want := sha256.Sum256(append(prefix, "2020-05-19T10:33:56Z\nx-acs-signature-nonce:abc"...))
		assert.Equal(t, want[:], st.in.Sum(nil), "prefix of %d bytes", n)
	}
}

// Templates shared by goroutines that sign at once, across changing dates
// (each goroutine's pooled state keeps its own per-second state), sign as
// the naive signers do. Run under -race, this also checks the pooled states
// are never shared.
func TestTemplatesConcurrentAcrossSeconds(t *testing.T) {
	t.Parallel()
	rpc, err := NewRPCTemplate("POST", benchRPCParams(), benchSecret)
	require.NoError(t, err)
	roaMsg, v3Msg := benchROAMessage(), benchV3Message()
	roa, err := NewROATemplate(&roaMsg, benchSecret)
	require.NoError(t, err)
	v3, err := NewV3Template(&v3Msg, benchSecret)
	require.NoError(t, err)
	base := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				when := base.Add(time.Duration((g+i)%5) * time.Second)
				nonce := []byte{byte('a' + g), byte('a' + i%26), 'x'}
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

func b64(b []byte) string       { return base64.StdEncoding.EncodeToString(b) }
func hexString(b []byte) string { return hex.EncodeToString(b) }
