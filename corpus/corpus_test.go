package corpus_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// Every golden vector file of the signature package becomes cases, with the
// file's expected values, and no case is lost.
func TestGolden(t *testing.T) {
	t.Parallel()
	cases, err := corpus.Golden()
	require.NoError(t, err)
	files, err := os.ReadDir("../signature/testdata/vectors")
	require.NoError(t, err)
	families := map[string]int{}
	for _, c := range cases {
		parts := strings.Split(c.Input.ID, "/")
		require.Len(t, parts, 3, "a golden ID is golden/<family>/<case>: %s", c.Input.ID)
		families[parts[1]]++
		assert.True(t, strings.HasPrefix(c.Source, "docs/protocol.md §"), "%s: the source names the spec section", c.Input.ID)
		assert.NotEmpty(t, c.Expect.Signature, c.Input.ID)
		if c.Input.Style == signature.RPC {
			assert.Empty(t, c.Expect.Authorization, c.Input.ID)
		} else {
			assert.NotEmpty(t, c.Expect.Authorization, c.Input.ID)
		}
	}
	for _, f := range files {
		assert.Contains(t, families, strings.TrimSuffix(f.Name(), ".json"), "every vector file is in the corpus")
	}
	assert.GreaterOrEqual(t, len(cases), 33, "docs/protocol.md §1.7, §2.4 and §3.3 hold 33 vectors")
	// A vector of the spec, by value: docs/protocol.md §1.7.2.
	var found bool
	for _, c := range cases {
		if c.Expect.Signature == "9NaGiOspFP5UPcwX8Iwt2YJXXuk=" {
			found = true
			assert.Equal(t, "edb2b34af0af9a6d14deaf7c1a5315eb", c.Input.Nonce)
			assert.Equal(t, "2023-03-13T08:34:30Z", c.Input.Timestamp)
		}
	}
	assert.True(t, found, "the official V2-doc vector of docs/protocol.md §1.7.2 is in the corpus")
}

// A golden vector the reference signer does not reproduce is refused, not
// exported.
func TestGoldenRefusesDisagreement(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../signature/testdata/vectors/rpc-tricky.json")
	require.NoError(t, err)
	bad := strings.Replace(string(raw), "l1mh/7Sfasz9n80YY+BffODWp1Q=", "l1mh/7Sfasz9n80YY+BffODWp1X=", 1)
	require.NotEqual(t, string(raw), bad, "the test edits a known signature")
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "v"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "v", "rpc-tricky.json"), []byte(bad), 0o644))
	_, err = corpus.GoldenFrom(os.DirFS(dir), "v")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "neither the reference signer nor an accepted variant reproduces the vector")
	assert.Contains(t, err.Error(), "rpc-tricky.json")
}

// A golden vector signed in an accepted variant (an empty ROA value "k=",
// as the TypeScript SDK signs it) is a case with its own expected steps,
// marked with the variant.
func TestGoldenVariant(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../signature/testdata/vectors/roa.json")
	require.NoError(t, err)
	r1 := r1(t)
	m := r1.Input.Message()
	alts := corpus.Alternatives(signature.ROA, &m, signature.Secret(r1.Input.Secret))
	require.Len(t, alts, 1)
	alt := alts[0].Artifacts
	edited := string(raw)
	for _, kv := range [][2]string{{r1.Expect.Canonical, alt.Canonical}, {r1.Expect.StringToSign, alt.StringToSign}} {
		from, to := jsonString(kv[0]), jsonString(kv[1])
		require.Contains(t, edited, from)
		edited = strings.ReplaceAll(edited, from, to)
	}
	edited = strings.ReplaceAll(edited, r1.Expect.Signature, alt.Signature) // the signature and the Authorization header
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "v"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "v", "roa.json"), []byte(edited), 0o644))
	cases, err := corpus.GoldenFrom(os.DirFS(dir), "v")
	require.NoError(t, err, "a vector in an accepted variant is a case")
	for _, c := range cases {
		if c.Input.ID != r1.Input.ID {
			assert.Empty(t, c.Variant, c.Input.ID)
			continue
		}
		require.Len(t, c.Variant, 1)
		assert.Equal(t, "k=", c.Variant[0].Variant)
		assert.Equal(t, alt.Signature, c.Expect.Signature, "the vector's own steps are expected")
		assert.Equal(t, "acs testid:"+alt.Signature, c.Expect.Authorization)
	}
}

// jsonString is s as a JSON string, '&' and '<' unescaped, as the vector
// files write them.
func jsonString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// The same seed gives the same cases, the first k of n are the cases of k,
// and another seed gives other cases.
func TestRandomDeterministic(t *testing.T) {
	t.Parallel()
	for _, st := range signature.Styles {
		a, err := corpus.Random(st, 50, 42)
		require.NoError(t, err)
		b, err := corpus.Random(st, 50, 42)
		require.NoError(t, err)
		assert.Equal(t, a, b, "%s: same seed, same cases", st)
		short, err := corpus.Random(st, 10, 42)
		require.NoError(t, err)
		assert.Equal(t, a[:10], short, "%s: a prefix of the cases does not depend on n", st)
		other, err := corpus.Random(st, 50, 43)
		require.NoError(t, err)
		assert.NotEqual(t, a, other, "%s: another seed, other cases", st)
		assert.Equal(t, "random/"+string(st)+"/0001", a[0].Input.ID)
	}
	_, err := corpus.Random("soap", 1, 1)
	assert.ErrorContains(t, err, "use rpc, roa or v3")
}

// The random cases hold every hard case the issue names, so a signer that
// mishandles one of them fails some case: spaces, '+', '*', '~', '%', CJK,
// emoji, empty values, Key.N, names that differ in case, repeated headers,
// bodies, and both nonce shapes.
func TestRandomCoversHardCases(t *testing.T) {
	t.Parallel()
	cases, err := corpus.Build(corpus.Options{Random: 300, Seed: 1})
	require.NoError(t, err)
	type want struct {
		name string
		hit  func(c corpus.Case) bool
	}
	value := func(sub string) func(c corpus.Case) bool {
		return func(c corpus.Case) bool {
			for _, kv := range append(append(append([]corpus.Pair{}, c.Input.Query...), c.Input.Form...), c.Input.Headers...) {
				if strings.Contains(kv[1], sub) {
					return true
				}
			}
			return false
		}
	}
	for _, st := range signature.Styles {
		wants := []want{
			{"space", value(" ")}, {"plus", value("+")}, {"star", value("*")}, {"tilde", value("~")}, {"percent", value("%")},
			{"CJK", value("中")}, {"emoji", value("😀")},
			{"empty value", func(c corpus.Case) bool {
				for _, kv := range c.Input.Query {
					if kv[1] == "" {
						return true
					}
				}
				return false
			}},
			{"Key.N", func(c corpus.Case) bool {
				q := corpus.Params(c.Input.Query)
				return q.Has("Key.10") || q.Has("Key.11") || q.Has("Tag.10.Key")
			}},
			{"a body", func(c corpus.Case) bool { return c.Input.Body != "" }},
			{"a UUID nonce", func(c corpus.Case) bool { return len(c.Input.Nonce) == 36 }},
			{"a hex nonce", func(c corpus.Case) bool { return len(c.Input.Nonce) == 32 }},
		}
		if st != signature.ROA {
			wants = append(wants, want{"case-distinct names", func(c corpus.Case) bool {
				q := corpus.Params(append(append([]corpus.Pair{}, c.Input.Query...), c.Input.Form...))
				return q.Has("InstanceId") && q.Has("instanceId") || q.Has("Payload") && q.Has("payload") || q.Has("a") && q.Has("A")
			}})
		}
		if st == signature.V3 {
			wants = append(wants, want{"a repeated header", func(c corpus.Case) bool {
				n := 0
				for _, kv := range c.Input.Headers {
					if strings.EqualFold(kv[0], "x-acs-dup") {
						n++
					}
				}
				return n == 2
			}})
		}
		if st == signature.RPC {
			wants = append(wants, want{"a form body", func(c corpus.Case) bool { return len(c.Input.Form) > 0 }})
		}
		for _, w := range wants {
			n := 0
			for _, c := range cases {
				if c.Input.Style == st && strings.HasPrefix(c.Input.ID, "random/") && w.hit(c) {
					n++
				}
			}
			assert.Positive(t, n, "style %s: no random case holds %s", st, w.name)
		}
	}
}

// Export refuses a folder that is not empty; Load names what is missing or
// malformed.
func TestExportAndLoadErrors(t *testing.T) {
	t.Parallel()
	cases, err := corpus.Build(corpus.Options{Random: 1, Seed: 1, Styles: []signature.Style{signature.RPC}})
	require.NoError(t, err)

	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o644))
	err = corpus.Export(full, cases, corpus.Index{})
	assert.ErrorContains(t, err, "is not empty: export into a new or empty folder")

	_, _, err = corpus.Load(t.TempDir())
	assert.ErrorContains(t, err, "has no index.json")

	dir := filepath.Join(t.TempDir(), "c")
	require.NoError(t, corpus.Export(dir, cases, corpus.Index{Generator: "test"}))
	for _, name := range []string{corpus.FileIndex, corpus.FileLines, corpus.FileReadme} {
		assert.FileExists(t, filepath.Join(dir, name))
	}
	lines, err := os.ReadFile(filepath.Join(dir, corpus.FileLines))
	require.NoError(t, err)
	assert.Equal(t, len(cases), strings.Count(string(lines), "\n"), "cases.jsonl holds one line per case")
	for _, st := range []string{corpus.FileCanonical, corpus.FileStringToSign, corpus.FileSignature} {
		b, err := os.ReadFile(filepath.Join(dir, "random/rpc/0001", st))
		require.NoError(t, err)
		assert.False(t, strings.HasSuffix(string(b), "\n"), "%s holds the step's bytes, no trailing newline", st)
	}
	assert.NoFileExists(t, filepath.Join(dir, "random/rpc/0001", corpus.FileAuthorization), "RPC has no Authorization step")

	input := filepath.Join(dir, "random/rpc/0001", corpus.FileInput)
	require.NoError(t, os.WriteFile(input, []byte("{not json"), 0o644))
	_, _, err = corpus.Load(dir)
	assert.ErrorContains(t, err, filepath.Join("random", "rpc", "0001", "input.json"))

	require.NoError(t, os.WriteFile(filepath.Join(dir, corpus.FileIndex), []byte(`{"cases":[{"id":"../../etc"}]}`), 0o644))
	_, _, err = corpus.Load(dir)
	assert.ErrorContains(t, err, "not a relative folder name", "an index cannot point outside the corpus")
}
