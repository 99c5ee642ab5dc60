package reports

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acsharness/acsharness/conformance"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		ours, theirs string
		want         difference
	}{
		{"first byte", "GET", "POST", difference{At: 0, Line: 1, Col: 1}},
		{"second line", "GET\n/a", "GET\n/b", difference{At: 5, Line: 2, Col: 2, lineStart: 4}},
		{"inside a rune", "x中", "x丰", difference{At: 1, Line: 1, Col: 2}}, // 中 E4 B8 AD, 丰 E4 B8 B0
		{"theirs is longer", "ab", "abc", difference{At: 2, Line: 1, Col: 3}},
		{"a newline more", "a\n", "a\n\n", difference{At: 2, Line: 2, Col: 1, lineStart: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := conformance.NewMismatch(tc.ours, tc.theirs)
			assert.Equal(t, tc.want, locate(m))
		})
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, s string
		at      int
		want    string
		col     int
	}{
		{"short", "ab\ncd\tef", 6, `"cd\tef"`, 5},
		{"at the end", "abc", 3, `"abc"`, 4},
		{"long line", strings.Repeat("a", 50) + "X" + strings.Repeat("b", 50), 50,
			`…"` + strings.Repeat("a", 32) + "X" + strings.Repeat("b", 39) + `"…`, 34},
		{"wide characters", "中文X", 6, `"中文X"`, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := locate(&conformance.Mismatch{Ours: tc.s, Theirs: tc.s + "~", At: tc.at})
			got, col := snippet(tc.s, d)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.col, col, "caret column under %s", got)
		})
	}
}

func TestLineDiff(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"  a", "- b", "+ B", "+ b2", "  c"}, lineDiff("a\nb\nc", "a\nB\nb2\nc"))
	assert.Equal(t, []string{"  a", "- b\\r"}, lineDiff("a\nb\r", "a"))
	assert.Equal(t, []string{"  same"}, lineDiff("same", "same"))
}

func FuzzMismatchDisplay(f *testing.F) {
	f.Add("POST\n/a", "POST\n/b", 6)
	f.Add("中文", "中", 5)
	f.Add("", "x", -3)
	f.Add("\xff\xfe", "\xff", 1)
	f.Fuzz(func(t *testing.T, ours, theirs string, at int) {
		m := &conformance.Mismatch{Ours: ours, Theirs: theirs, At: at}
		d := locate(m)
		if d.At < 0 || d.At > len(ours) || d.At > len(theirs) {
			t.Fatalf("offset %d outside the strings", d.At)
		}
		for _, s := range []string{ours, theirs} {
			line, col := snippet(s, d)
			if col < 0 || col > width(line) {
				t.Fatalf("caret column %d outside %q", col, line)
			}
			mk := markAt(s, d)
			if strings.ContainsAny(mk.Mark+strings.ReplaceAll(mk.Before+mk.After, "\n", ""), "\x00\x1b\r") {
				t.Fatalf("a control character survives in %+v", mk)
			}
		}
		for _, l := range lineDiff(ours, theirs) {
			if strings.Contains(l, "\n") {
				t.Fatalf("a diff line holds a newline: %q", l)
			}
		}
		if cell := mdText(ours); strings.Contains(cell, "\n") || strings.Contains(strings.ReplaceAll(cell, `\|`, ""), "|") {
			t.Fatalf("mdText(%q) = %q breaks a table row", ours, cell)
		}
	})
}
