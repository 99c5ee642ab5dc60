package signature

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// appendHex32 is encoding/hex's lower-case encoding, byte for byte, for
// every byte value in every position and for random digests, appended
// after what dst holds.
func TestAppendHex32(t *testing.T) {
	var src [32]byte
	for v := range 256 {
		for i := range src {
			src[i] = byte(v + i*7) // every value at every position over the loop
		}
		require.Equal(t, "x"+hex.EncodeToString(src[:]), string(appendHex32([]byte("x"), &src)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		require.Equal(t, hex.EncodeToString(src[:]), string(appendHex32(nil, &src)))
	}
}

func FuzzAppendHex32(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef"), []byte{})
	f.Fuzz(func(t *testing.T, in, prefix []byte) {
		var src [32]byte
		copy(src[:], in)
		want := hex.AppendEncode(append([]byte(nil), prefix...), src[:])
		if got := appendHex32(append([]byte(nil), prefix...), &src); string(got) != string(want) {
			t.Fatalf("appendHex32(%x) = %s, want %s", src, got, want)
		}
	})
}

func BenchmarkAppendHex32(b *testing.B) {
	var src [32]byte
	for i := range src {
		src[i] = byte(i * 37)
	}
	dst := make([]byte, 0, 64)
	b.Run("encoding-hex", func(b *testing.B) {
		for b.Loop() {
			dst = hex.AppendEncode(dst[:0], src[:])
		}
	})
	b.Run("appendHex32", func(b *testing.B) {
		for b.Loop() {
			dst = appendHex32(dst[:0], &src)
		}
	})
}
