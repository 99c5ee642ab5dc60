// Package spelling finds the valid word a mistyped one was meant to be, for
// the "did you mean" hints of the command line (subcommands and flags) and
// of the file loaders (scenario keys and values).
//
// The distance is the optimal string alignment form of Damerau–Levenshtein:
// an insertion, a deletion, a substitution or a swap of two adjacent
// letters costs one, so "confrom" is one step from "conform" and "stpes"
// one step from "steps" (plain Levenshtein counts a swap as two and then
// prefers "spec"). It imports nothing of this module's, so any package may
// use it.
package spelling

import (
	"strings"
	"unicode/utf8"
)

// Nearest returns the word of valid closest to word (case is ignored), or
// "" when none is close enough to be a typo: at most one edit for a word of
// up to four letters, two for a longer one, and never as many edits as the
// candidate has letters. Of equally near words the first in valid wins, so
// callers list the likelier ones first.
func Nearest(word string, valid []string) string {
	w := strings.ToLower(word)
	limit := 2
	if utf8.RuneCountInString(w) <= 4 {
		limit = 1
	}
	best, bestD := "", limit+1
	for _, v := range valid {
		if v == "" {
			continue
		}
		lv := strings.ToLower(v)
		if lv == w {
			return v
		}
		d := Distance(w, lv)
		if d < bestD && d < utf8.RuneCountInString(lv) {
			best, bestD = v, d
		}
	}
	return best
}

// Distance is the number of single-letter insertions, deletions,
// substitutions and swaps of adjacent letters that turn a into b, each
// letter edited at most once (optimal string alignment). It counts runes,
// not bytes, and is case-sensitive.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows: the one before the previous is needed for a swap.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
