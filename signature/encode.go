package signature

import (
	"fmt"
	"unsafe"

	"github.com/acsharness/acsharness/internal/swar"
)

const upperhex = "0123456789ABCDEF"

// unreserved marks the bytes that percent-encoding leaves as they are:
// A–Z a–z 0–9 - _ . ~ (docs/protocol.md §1.3, RFC 3986 §2.3).
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t['~'] = true, true, true, true
	return t
}()

// PercentEncode encodes s under the POP rules of docs/protocol.md §1.3: every byte
// outside A–Z a–z 0–9 - _ . ~ becomes %XY with uppercase hex, so a space is
// %20 (never +), * is %2A and ~ stays ~.
func PercentEncode(s string) string {
	if isUnreserved(s) {
		return s
	}
	return string(AppendPercentEncode(make([]byte, 0, len(s)+len(s)/2+8), s))
}

// AppendPercentEncode appends the POP percent-encoding of s to dst.
func AppendPercentEncode(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// appendDoubleEncode appends percentEncode(percentEncode(s)): the form a value
// takes inside an RPC string to sign, where the canonical query is encoded a
// second time (docs/protocol.md §1.4 step 3). A byte that the first pass escapes to
// %XY becomes %25XY in the second.
func appendDoubleEncode(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', '2', '5', upperhex[c>>4], upperhex[c&15])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// AppendQueryEscape appends s encoded for a URL query or form body the way the
// official Go SDKs put it on the wire (url.Values.Encode): as PercentEncode,
// except that a space is "+" when spaceAsPlus is set. Both forms decode to the
// same value (docs/protocol.md §1.5).
func AppendQueryEscape(dst []byte, s string, spaceAsPlus bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		if c == ' ' && spaceAsPlus {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

func isUnreserved(s string) bool {
	for i := 0; i < len(s); i++ {
		if !unreserved[s[i]] {
			return false
		}
	}
	return true
}

// EscapeError reports a malformed percent-escape in a query string or form
// body, with the byte offset where it starts.
type EscapeError struct {
	Offset int    // byte offset of the '%' in the input
	Escape string // the malformed escape, at most three bytes
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("invalid percent-escape %q at byte %d", e.Escape, e.Offset)
}

// ParseQuery form-decodes raw (a URL query string or an
// application/x-www-form-urlencoded body) and appends its parameters to dst
// in the order they appear: '+' is a space and %XY a byte (docs/protocol.md §1.6).
// Pairs are separated by '&' only; a pair without '=' is a key with an empty
// value, and empty pairs are skipped. Duplicated keys are all kept; see
// [Params.Get] for which one wins. Bytes need not be UTF-8.
//
// A malformed escape returns an *EscapeError and the parameters decoded so
// far. Values without escapes share raw's memory; decoded ones share one
// buffer allocated per call.
func ParseQuery(dst Params, raw string) (Params, error) {
	var arena []byte // decoded bytes; written once, never modified after a string views it
	for pos := 0; pos < len(raw); {
		// One pass over the pair, eight bytes at a time between the bytes
		// that matter, finds its end, its first '=' and whether its key or
		// value holds an escape (issue 13: a pass per question, byte by
		// byte, cost twice as much).
		base, eq := pos, -1
		escKey, escVal := false, false
		for {
			pos = nextQuerySpecial(raw, pos)
			if pos == len(raw) || raw[pos] == '&' {
				break
			}
			switch {
			case raw[pos] != '=':
				escKey, escVal = escKey || eq < 0, escVal || eq >= 0
			case eq < 0:
				eq = pos
			}
			pos++
		}
		end := pos
		pos++ // past the '&'
		if end == base {
			continue
		}
		k, v, voff := raw[base:end], "", end
		if eq >= 0 {
			k, v, voff = raw[base:eq], raw[eq+1:end], eq+1
		}
		var err error
		if escKey {
			if k, arena, err = unescape(k, arena, len(raw), base); err != nil {
				return dst, err
			}
		}
		if escVal {
			if v, arena, err = unescape(v, arena, len(raw), voff); err != nil {
				return dst, err
			}
		}
		dst = append(dst, Param{Key: k, Value: v})
	}
	return dst, nil
}

// nextQuerySpecial returns the index of the first '&', '=', '%' or '+' of s
// at or after i, or len(s), testing eight bytes at once.
func nextQuerySpecial(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		w := swar.Load(s, i)
		if m := swar.Eq(w, '&') | swar.Eq(w, '=') | swar.Eq(w, '%') | swar.Eq(w, '+'); m != 0 {
			return i + swar.First(m)
		}
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case '&', '=', '%', '+':
			return i
		}
	}
	return len(s)
}

// unescape form-decodes s. When s holds no escape it is returned as is;
// otherwise the decoded bytes are appended to arena (allocated on first use
// with room for the rest of the input from s on, which holds every byte
// decoded after it, so it never grows and earlier strings stay valid) and
// returned as a string viewing them.
func unescape(s string, arena []byte, total, offset int) (string, []byte, error) {
	i := 0
	for i < len(s) && s[i] != '%' && s[i] != '+' {
		i++
	}
	if i == len(s) {
		return s, arena, nil
	}
	if arena == nil {
		arena = make([]byte, 0, total-offset)
	}
	start := len(arena)
	arena = append(arena, s[:i]...)
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			arena = append(arena, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", arena, &EscapeError{Offset: offset + i, Escape: s[i:]}
			}
			h, l := unhex(s[i+1]), unhex(s[i+2])
			if h < 0 || l < 0 {
				return "", arena, &EscapeError{Offset: offset + i, Escape: s[i : i+3]}
			}
			arena = append(arena, byte(h<<4|l))
			i += 2
		default:
			arena = append(arena, c)
		}
	}
	b := arena[start:]
	return unsafe.String(unsafe.SliceData(b), len(b)), arena, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// AppendQuery appends params as a query string or form body, in the order
// given, each name and value encoded with [AppendQueryEscape].
func AppendQuery(dst []byte, params Params, spaceAsPlus bool) []byte {
	for i, p := range params {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = AppendQueryEscape(dst, p.Key, spaceAsPlus)
		dst = append(dst, '=')
		dst = AppendQueryEscape(dst, p.Value, spaceAsPlus)
	}
	return dst
}
