package reports

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/acsharness/acsharness/conformance"
)

// difference is where our string to sign and the gateway's first part.
type difference struct {
	At        int // byte offset, at the start of a rune
	Line, Col int // 1-based; the column counts runes
	lineStart int // byte offset of the line holding At
}

// locate finds the first difference of m. Both strings share the bytes
// before At, so the line and column are the same in each.
func locate(m *conformance.Mismatch) difference {
	o, t := m.Ours, m.Theirs
	at := min(max(m.At, 0), len(o), len(t))
	// A difference inside a multi-byte rune is shown from its first byte.
	for at > 0 && (at < len(o) && !utf8.RuneStart(o[at]) || at < len(t) && !utf8.RuneStart(t[at])) {
		at--
	}
	start := strings.LastIndexByte(o[:at], '\n') + 1
	return difference{
		At:        at,
		Line:      1 + strings.Count(o[:at], "\n"),
		Col:       1 + utf8.RuneCountInString(o[start:at]),
		lineStart: start,
	}
}

func (d difference) String() string {
	return "byte " + strconv.Itoa(d.At) + " (line " + strconv.Itoa(d.Line) + ", column " + strconv.Itoa(d.Col) + ")"
}

// Room around the difference in a one-line snippet, in runes.
const (
	snippetBefore = 32
	snippetAfter  = 40
)

// snippet is the line of s holding the difference, quoted and cut to a
// window around it, and the column (0-based) of the difference in it, for
// a caret underneath.
func snippet(s string, d difference) (string, int) {
	end := len(s)
	if i := strings.IndexByte(s[d.At:], '\n'); i >= 0 {
		end = d.At + i
	}
	before, after := s[d.lineStart:d.At], s[d.At:end]
	lead, trail := "", ""
	if n := utf8.RuneCountInString(before); n > snippetBefore {
		before = string([]rune(before)[n-snippetBefore:])
		lead = "…"
	}
	if n := utf8.RuneCountInString(after); n > snippetAfter {
		after = string([]rune(after)[:snippetAfter])
		trail = "…"
	}
	// Quote escapes rune by rune, so the quoted prefix is a prefix of the
	// quoted whole: its width, less the closing quote, is the caret column.
	col := width(lead) + width(strconv.Quote(before)) - 1
	return lead + strconv.Quote(before+after) + trail, col
}

// lineDiff compares two strings line by line: the common leading and
// trailing lines as context ("  "), the lines between as removed ("- ",
// ours) and added ("+ ", theirs). Strings to sign are a few lines, so this
// shows the change as well as a full diff would.
func lineDiff(ours, theirs string) []string {
	a, b := strings.Split(ours, "\n"), strings.Split(theirs, "\n")
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var out []string
	for _, l := range a[:head] {
		out = append(out, "  "+oneLine(l))
	}
	for _, l := range a[head : len(a)-tail] {
		out = append(out, "- "+oneLine(l))
	}
	for _, l := range b[head : len(b)-tail] {
		out = append(out, "+ "+oneLine(l))
	}
	for _, l := range a[len(a)-tail:] {
		out = append(out, "  "+oneLine(l))
	}
	return out
}

// marked splits s at the difference into the text before it, the
// character there (empty at the end of s) and the rest, each made visible
// with newlines kept.
type marked struct {
	Before, Mark, After string
	// End says s ends at the difference: the other string goes on.
	End bool
}

func markAt(s string, d difference) marked {
	if d.At >= len(s) {
		return marked{Before: visible(s, true), End: true}
	}
	r, size := utf8.DecodeRuneInString(s[d.At:])
	m := marked{Before: visible(s[:d.At], true), Mark: visible(s[d.At:d.At+size], false), After: visible(s[d.At+size:], true)}
	if r == '\n' {
		m.After = "\n" + m.After
	}
	return m
}
