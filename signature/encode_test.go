package signature

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentEncode(t *testing.T) {
	t.Parallel()
	// docs/protocol.md §1.3.
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"hello world", "hello%20world"},
		{"a*b", "a%2Ab"},
		{"a~b", "a~b"},
		{"a+b", "a%2Bb"},
		{"t/a/b", "t%2Fa%2Fb"},
		{"100%", "100%25"},
		{"a=b&c=d", "a%3Db%26c%3Dd"},
		{"!'()*", "%21%27%28%29%2A"},
		{"é", "%C3%A9"},
		{"中", "%E4%B8%AD"},
		{"😀", "%F0%9F%98%80"},
		{"\xff\x00", "%FF%00"},
	} {
		assert.Equal(t, tc.want, PercentEncode(tc.in), "PercentEncode(%q)", tc.in)
		assert.Equal(t, tc.want, string(AppendPercentEncode([]byte("x"), tc.in))[1:], "AppendPercentEncode(%q)", tc.in)
		assert.Equal(t, tc.want, string(AppendQueryEscape(nil, tc.in, false)), "AppendQueryEscape(%q, %%20)", tc.in)
	}
	assert.Equal(t, "a+b%2Bc", string(AppendQueryEscape(nil, "a b+c", true)), "the wire form puts a space as + and escapes a literal +")
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		raw  string
		want Params
	}{
		{"empty", "", nil},
		{"plus is a space", "Payload=hello+%E4%B8%96%E7%95%8C", Params{{"Payload", "hello 世界"}}},
		{"%20 is a space too", "a=b%20c", Params{{"a", "b c"}}},
		{"empty value kept", "SignatureType=&b=1", Params{{"SignatureType", ""}, {"b", "1"}}},
		{"key without =", "env&x=1", Params{{"env", ""}, {"x", "1"}}},
		{"empty pairs skipped", "&&a=1&", Params{{"a", "1"}}},
		{"duplicates kept in order", "a=1&a=2", Params{{"a", "1"}, {"a", "2"}}},
		{"= inside value", "a=b=c", Params{{"a", "b=c"}}},
		{"escaped key", "K%2Ey=v", Params{{"K.y", "v"}}},
		{"semicolon is literal", "a=1;b=2", Params{{"a", "1;b=2"}}},
		{"non-UTF-8 bytes pass", "a=%FF%FE", Params{{"a", "\xff\xfe"}}},
		{"lowercase hex", "a=%e4%b8%ad", Params{{"a", "中"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseQuery(nil, tc.raw)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseQueryMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw    string
		offset int
		escape string
	}{
		{"Signature=xxxx%xxxx%3D", 14, "%xx"}, // seed 004, docs/protocol.md §7.9
		{"a=%", 2, "%"},
		{"a=%4", 2, "%4"},
		{"ok=1&b%zz=1", 6, "%zz"},
	} {
		got, err := ParseQuery(nil, tc.raw)
		var ee *EscapeError
		require.True(t, errors.As(err, &ee), "ParseQuery(%q) must fail with an *EscapeError, got %v", tc.raw, err)
		assert.Equal(t, tc.offset, ee.Offset, tc.raw)
		assert.Equal(t, tc.escape, ee.Escape, tc.raw)
		assert.Contains(t, err.Error(), "invalid percent-escape")
		if strings.HasPrefix(tc.raw, "ok=1") {
			assert.Equal(t, Params{{"ok", "1"}}, got, "the pairs before the bad one are returned")
		}
	}
}

func TestParseQueryDecodedValuesStayValid(t *testing.T) {
	t.Parallel()
	// Decoded values share one arena; a later value must not overwrite an
	// earlier one.
	got, err := ParseQuery(nil, "a=%41%42&b=%43%44&c=e+f")
	require.NoError(t, err)
	assert.Equal(t, Params{{"a", "AB"}, {"b", "CD"}, {"c", "e f"}}, got)
}

func TestAppendQueryRoundTrip(t *testing.T) {
	t.Parallel()
	in := Params{{"Payload", "a b+c&d=e%f/中😀"}, {"Empty", ""}, {"Key.1", "~*'"}}
	for _, plus := range []bool{true, false} {
		raw := string(AppendQuery(nil, in, plus))
		got, err := ParseQuery(nil, raw)
		require.NoError(t, err)
		assert.Equal(t, in, got, "round trip of %q", raw)
	}
}

// TestNextQuerySpecial: the word-at-a-time search finds what a byte-by-byte
// one finds, from every start, in strings whose special bytes sit at every
// offset of a word, beside the bytes that upset such tricks: 0x00, 0x01,
// 0x80, 0xFF and the neighbours of the special bytes.
func TestNextQuerySpecial(t *testing.T) {
	t.Parallel()
	naive := func(s string, i int) int {
		for ; i < len(s); i++ {
			if strings.IndexByte("&=%+", s[i]) >= 0 {
				return i
			}
		}
		return len(s)
	}
	alphabet := []byte("&=%+\x00\x01\x80\xff\x7f%&'<>*,$aZ09")
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = alphabet[4+r.IntN(len(alphabet)-4)]
			}
		}
		s := string(b)
		for i := 0; i <= len(s); i++ {
			require.Equal(t, naive(s, i), nextQuerySpecial(s, i), "%q from %d", s, i)
		}
	}
}
