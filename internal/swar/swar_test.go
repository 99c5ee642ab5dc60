package swar

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// first is the model: the index of the first byte of b that pred accepts,
// or -1.
func first(b []byte, pred func(byte) bool) int {
	for i, c := range b {
		if pred(c) {
			return i
		}
	}
	return -1
}

// found is a mask's answer in the model's terms.
func found(m uint64) int {
	if m == 0 {
		return -1
	}
	return First(m)
}

// TestTests checks each test against a byte loop: every byte value at
// every place of a word, over a background of every other value, and
// random words with several matches.
func TestTests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mask func(uint64) uint64
		pred func(byte) bool
	}{
		{"eq-0x00", func(w uint64) uint64 { return Eq(w, 0) }, func(c byte) bool { return c == 0 }},
		{"eq-&", func(w uint64) uint64 { return Eq(w, '&') }, func(c byte) bool { return c == '&' }},
		{"eq-0xff", func(w uint64) uint64 { return Eq(w, 0xff) }, func(c byte) bool { return c == 0xff }},
		{"below-0x20", func(w uint64) uint64 { return Below(w, 0x20) }, func(c byte) bool { return c < 0x20 }},
		{"below-0x80", func(w uint64) uint64 { return Below(w, 0x80) }, func(c byte) bool { return c < 0x80 }},
		{"high", High, func(c byte) bool { return c >= 0x80 }},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range tests {
		for bg := range 256 {
			for pos := range 8 {
				for c := range 256 {
					b := []byte{byte(bg), byte(bg), byte(bg), byte(bg), byte(bg), byte(bg), byte(bg), byte(bg)}
					b[pos] = byte(c)
					if want, got := first(b, tc.pred), found(tc.mask(Load(string(b), 0))); got != want {
						t.Fatalf("%s of % x: first byte %d, want %d", tc.name, b, got, want)
					}
				}
			}
		}
		for range 20000 {
			b := make([]byte, 8)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			if want, got := first(b, tc.pred), found(tc.mask(Load(string(b), 0))); got != want {
				t.Fatalf("%s of % x: first byte %d, want %d", tc.name, b, got, want)
			}
		}
	}
}

// TestLoad reads eight bytes from any offset, the first in the low byte.
func TestLoad(t *testing.T) {
	t.Parallel()
	s := "\x01\x02\x03\x04\x05\x06\x07\x08\x09"
	require.Equal(t, uint64(0x0807060504030201), Load(s, 0))
	require.Equal(t, uint64(0x0908070605040302), Load(s, 1))
	var w uint64
	require.Panics(t, func() { w = Load(s, 2) }, "past the end")
	require.Zero(t, w)
}
