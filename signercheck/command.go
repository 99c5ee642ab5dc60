package signercheck

import (
	"errors"
	"strings"
)

// SplitCommand splits a command line into its words the way a POSIX shell
// does for a simple command, without running a shell: words are separated
// by blanks; single quotes keep everything up to the next single quote;
// double quotes keep everything up to the next unescaped double quote, a
// backslash escaping ", \, $ and ` inside them; a backslash outside quotes
// keeps the next character. Nothing is expanded: no variables, globs or
// pipes (wrap those in `sh -c '…'`).
func SplitCommand(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   byte
		escaped bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
		case c == '\\':
			escaped, inWord = true, true
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	switch {
	case quote != 0:
		return nil, errors.New("an unterminated " + string(quote) + " quote")
	case escaped:
		return nil, errors.New("a trailing backslash")
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("an empty command")
	}
	return words, nil
}
