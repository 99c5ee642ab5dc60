package gateway

import (
	"strconv"
	"unicode/utf8"

	"github.com/acsharness/acsharness/internal/swar"
)

// response is an action's answer: a struct whose RequestId the gateway
// fills, and which writes its own fields in JSON and XML.
type response interface {
	setRequestID(id string)
	// fields writes the struct's fields in their declared order, the
	// embedded base's RequestId first, as encoding/json and encoding/xml
	// order them.
	fields(w *wire)
}

// wire writes the gateway's bodies, JSON or XML, without reflection: byte
// for byte what encoding/json (with SetEscapeHTML(false)) and encoding/xml
// wrote for the same structs, the XML then stripped of the escapes the real
// gateway does not write (docs/protocol.md §9 F7). envelope_test.go proves it on
// every action's response and every error envelope, and on random strings.
// The reflective encoders spent a 4 KB bufio.Writer per XML answer and
// walked the structs by reflection: 17% of a served request (issue 13).
type wire struct {
	b   []byte
	xml bool
}

// success writes r as a whole success body: a JSON object, or the XML
// prolog and r rooted at <{action}Response>.
func (w *wire) success(action string, r response) {
	if !w.xml {
		w.b = append(w.b, '{')
		r.fields(w)
		w.b = append(w.b, '}')
		return
	}
	w.b = append(w.b, xmlProlog...)
	w.b = append(append(append(w.b, '<'), action...), "Response>"...)
	r.fields(w)
	w.b = append(append(append(w.b, "</"...), action...), "Response>"...)
}

// failure writes the error envelope of e (docs/protocol.md §5): XML rooted at
// <Error> with Recommend as CDATA, as the real gateway writes it; JSON in
// the gateway's field order, or a backend's (docs/protocol.md §9 F10).
func (w *wire) failure(rp *reply, e *apiError) {
	recommend := rp.recommend(e.Code)
	switch {
	case w.xml:
		w.b = append(w.b, xmlProlog+"<Error>"...)
		w.str("RequestId", rp.requestID)
		w.str("HostId", rp.hostID)
		w.str("Code", e.Code)
		w.str("Message", e.Message)
		w.b = append(w.b, "<Recommend>"...)
		w.b = appendCDATA(w.b, recommend)
		w.b = append(w.b, "</Recommend></Error>"...)
		return
	case rp.business:
		w.b = append(w.b, '{')
		w.str("RequestId", rp.requestID)
		w.str("HostId", rp.hostID)
		w.str("Code", e.Code)
		w.str("Message", e.Message)
		w.str("Recommend", recommend)
	default:
		w.b = append(w.b, '{')
		w.str("RequestId", rp.requestID)
		w.str("Message", e.Message)
		w.str("Recommend", recommend)
		w.str("HostId", rp.hostID)
		w.str("Code", e.Code)
	}
	w.b = append(w.b, '}')
}

// key writes a JSON member's name, after a comma unless it opens its object.
func (w *wire) key(name string) {
	if n := len(w.b); n > 0 && w.b[n-1] != '{' && w.b[n-1] != '[' {
		w.b = append(w.b, ',')
	}
	w.b = append(append(append(w.b, '"'), name...), '"', ':')
}

// open starts a field: <name> or "name":.
func (w *wire) open(name string) {
	if w.xml {
		w.b = append(append(append(w.b, '<'), name...), '>')
		return
	}
	w.key(name)
}

// close ends an XML field; a JSON one needs nothing.
func (w *wire) close(name string) {
	if w.xml {
		w.b = append(append(append(w.b, '<', '/'), name...), '>')
	}
}

func (w *wire) str(name, v string) {
	w.open(name)
	if w.xml {
		w.b = appendXMLText(w.b, v)
	} else {
		w.b = appendJSONString(w.b, v)
	}
	w.close(name)
}

func (w *wire) int(name string, v int64) {
	w.open(name)
	w.b = strconv.AppendInt(w.b, v, 10)
	w.close(name)
}

func (w *wire) bool(name string, v bool) {
	w.open(name)
	w.b = strconv.AppendBool(w.b, v)
	w.close(name)
}

// object writes a nested struct field: "name":{…} or <name>…</name>.
func object[T any](w *wire, name string, v *T, fields func(*T, *wire)) {
	w.open(name)
	if !w.xml {
		w.b = append(w.b, '{')
	}
	fields(v, w)
	if !w.xml {
		w.b = append(w.b, '}')
	}
	w.close(name)
}

// list writes a slice field of structs: a JSON array (null when nil), or
// in XML one <name> element per item and nothing for none.
func list[T any](w *wire, name string, items []T, fields func(*T, *wire)) {
	if w.xml {
		for i := range items {
			object(w, name, &items[i], fields)
		}
		return
	}
	w.key(name)
	if items == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i := range items {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, '{')
		fields(&items[i], w)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

const hexLower = "0123456789abcdef"

// plainWords returns the length of the longest prefix of s made of whole
// eight-byte words that hold none of a, b and c, no control byte and no
// byte of a multi-byte UTF-8 sequence: the bytes an escaper copies as they
// are, found eight at a time.
func plainWords(s string, a, b, c byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := swar.Load(s, i)
		if swar.High(w)|swar.Below(w, 0x20)|swar.Eq(w, a)|swar.Eq(w, b)|swar.Eq(w, c) != 0 {
			break
		}
	}
	return i
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it without HTML escaping: quote, backslash and control bytes
// (\b \f \n \r \t by name, the others as \u00XX), U+2028 and U+2029, and
// each byte of invalid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte { return appendJSONQuoted(dst, s, true) }

// appendJSONQuoted is appendJSONString, with \b and \f written as \u0008
// and \u000c unless namedBF, as log/slog's JSON handler writes them.
func appendJSONQuoted(dst []byte, s string, namedBF bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := plainWords(s, '"', '\\', '"'); i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b', '\f':
				if !namedBF {
					dst = append(dst, '\\', 'u', '0', '0', '0', hexLower[c])
				} else if c == '\b' {
					dst = append(dst, '\\', 'b')
				} else {
					dst = append(dst, '\\', 'f')
				}
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hexLower[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

// appendXMLText appends s as XML character data the way the real gateway
// writes it: '&', '<' and '>' escaped, a carriage return as &#xD; (a parser
// would read a raw one as a newline), quotes, newlines and tabs as they are
// (docs/protocol.md §9 F7), and whatever XML cannot hold (control bytes, invalid
// UTF-8, U+FFFE, U+FFFF) as U+FFFD, as encoding/xml replaces it.
func appendXMLText(dst []byte, s string) []byte {
	start := 0
	for i := plainWords(s, '&', '<', '>'); i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '\r':
				esc = "&#xD;"
			case c < 0x20 && c != '\n' && c != '\t':
				esc = "\uFFFD"
			default:
				i++
				continue
			}
			dst = append(append(dst, s[start:i]...), esc...)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !isXMLChar(r) {
			dst = append(append(dst, s[start:i]...), "\uFFFD"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// isXMLChar reports whether r may appear in an XML document (beyond ASCII).
func isXMLChar(r rune) bool {
	return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// appendCDATA appends s as encoding/xml writes a ",cdata" field (nothing
// for an empty s; a "]]>" inside split across two sections), with the
// character references "&#34;", "&#39;", "&#xA;" and "&#x9;" in s turned
// into the characters they name, as the gateway's XML always was: it
// undid those escapes over the whole document, CDATA included.
func appendCDATA(dst []byte, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, "<![CDATA["...)
	start := 0
	for i := 0; i < len(s); {
		var raw string
		n := 0
		switch c := s[i]; {
		case c == ']' && len(s)-i >= 3 && s[i:i+3] == "]]>":
			raw, n = "]]]]><![CDATA[>", 3
		case c == '&' && len(s)-i >= 4 && s[i+1] == '#':
			for _, e := range xmlCharRefs {
				if len(s)-i >= len(e.ref) && s[i:i+len(e.ref)] == e.ref {
					raw, n = e.raw, len(e.ref)
					break
				}
			}
		}
		if n == 0 {
			i++
			continue
		}
		dst = append(append(dst, s[start:i]...), raw...)
		i += n
		start = i
	}
	return append(append(dst, s[start:]...), "]]>"...)
}

// xmlCharRefs are the character references the gateway's CDATA does not
// keep, and the characters they name.
var xmlCharRefs = [...]struct{ ref, raw string }{{"&#34;", "\""}, {"&#39;", "'"}, {"&#xA;", "\n"}, {"&#x9;", "\t"}}
