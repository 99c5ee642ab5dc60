package signercheck_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acsharness/acsharness/signercheck"
)

func TestSplitCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"node signer.js", []string{"node", "signer.js"}, ""},
		{"  python3   -u  x.py ", []string{"python3", "-u", "x.py"}, ""},
		{`sh -c 'cd dir && ./signer --flag "a b"'`, []string{"sh", "-c", `cd dir && ./signer --flag "a b"`}, ""},
		{`java -cp "lib/*" "Main Class" a\ b`, []string{"java", "-cp", "lib/*", "Main Class", "a b"}, ""},
		{`echo "say \"hi\" \n" ''`, []string{"echo", `say "hi" \n`, ""}, ""},
		{`a'b'"c"`, []string{"abc"}, ""},
		{`node 'unterminated`, nil, "unterminated ' quote"},
		{`node "x`, nil, `unterminated " quote`},
		{`node x\`, nil, "trailing backslash"},
		{"   ", nil, "empty command"},
	} {
		got, err := signercheck.SplitCommand(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		assert.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// FuzzSplitCommand: any input splits or errors, never panics, and a split
// command has at least one word.
func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"a b", `'a b' "c\"d"`, `x\ y`, `"`, `\`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := signercheck.SplitCommand(s)
		if err == nil && len(words) == 0 {
			t.Fatalf("%q split into no words without an error", s)
		}
	})
}
