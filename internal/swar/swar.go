// Package swar tests eight bytes of a string at once, in one 64-bit word
// (SIMD within a register): the scanners of the query parser and of the
// JSON and XML escapers find the bytes they must stop at eight at a time.
//
// Each test returns a mask with the high bit of every byte it marks set.
// The lowest set bit marks the first such byte exactly; bits above a
// marked byte may be set wrongly (borrows run upward from it), so a mask
// answers "is there one" and "where is the first", never "how many".
package swar

import "math/bits"

const ones, highs = 0x0101010101010101, 0x8080808080808080

// Load returns s[i:i+8] as a little-endian word, s[i] in its low byte.
// The compiler reads it with one load.
func Load(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// Eq marks the bytes of w equal to c: x = w ^ c·0x01…01 is zero there, and
// (x - 0x01…01) &^ x has that byte's high bit set.
func Eq(w uint64, c byte) uint64 {
	x := w ^ uint64(c)*ones
	return (x - ones) &^ x & highs
}

// Below marks the bytes of w less than n, for n at most 0x80.
func Below(w uint64, n byte) uint64 { return (w - uint64(n)*ones) &^ w & highs }

// High marks the bytes of w of 0x80 or more: in a string, the bytes of
// UTF-8's multi-byte sequences.
func High(w uint64) uint64 { return w & highs }

// First returns the index in its word of the first byte m marks; m must
// not be zero.
func First(m uint64) int { return bits.TrailingZeros64(m) / 8 }
