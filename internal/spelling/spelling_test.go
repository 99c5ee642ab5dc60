package spelling

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"conform", "conform", 0},
		{"confrom", "conform", 1}, // a swap is one edit
		{"stpes", "steps", 1},
		{"stpes", "spec", 2},
		{"tagret", "target", 1},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment: no letter edited twice
		{"é", "e", 1},    // runes, not bytes
		{"ab", "ba", 1},
	} {
		t.Run(tc.a+"→"+tc.b, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, Distance(tc.a, tc.b), "Distance(%q, %q)", tc.a, tc.b)
			assert.Equal(t, tc.want, Distance(tc.b, tc.a), "the distance is symmetric")
		})
	}
}

func TestNearest(t *testing.T) {
	t.Parallel()
	commands := []string{"sign", "serve", "conform", "selftest", "load", "report", "bench", "version"}
	scenarioKeys := []string{"id", "title", "category", "spec", "styles", "products", "needs", "steps"}
	for _, tc := range []struct {
		name, word string
		valid      []string
		want       string
	}{
		{"swapped letters", "confrom", commands, "conform"},
		{"a swap beats a nearer-looking word", "stpes", scenarioKeys, "steps"},
		{"a missing letter", "serv", commands, "serve"},
		{"case is ignored", "CONFORM", commands, "conform"},
		{"two edits in a long word", "selftset", commands, "selftest"},
		{"too far", "frobnicate", commands, ""},
		{"short words allow one edit", "lod", commands, "load"},
		{"a short word two edits away is not a typo", "ld", commands, ""},
		{"never replace the whole word", "ab", []string{"id"}, ""},
		{"the first of equals wins", "lod", []string{"log", "load"}, "log"},
		{"the first of equals wins, reordered", "lod", []string{"load", "log"}, "load"},
		{"empty candidates are skipped", "x", []string{""}, ""},
		{"flag names", "tagret", []string{"target", "profile", "access-key-id", "ca-cert"}, "target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, Nearest(tc.word, tc.valid), "Nearest(%q)", tc.word)
		})
	}
}

func BenchmarkNearest(b *testing.B) {
	b.ReportAllocs()
	valid := []string{"target", "profile", "access-key-id", "secret-file", "aliyun-profile", "inactive-key-id", "insecure", "ca-cert"}
	for b.Loop() {
		_ = Nearest("tagret", valid)
	}
}
