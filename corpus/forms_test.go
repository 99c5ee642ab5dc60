package corpus_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// r1 is the golden vector R1 of docs/protocol.md §2.4: a ROA request with an
// empty query value.
func r1(t *testing.T) corpus.Case {
	t.Helper()
	golden, err := corpus.Golden()
	require.NoError(t, err)
	for _, c := range golden {
		if c.Input.ID == "golden/roa/r1-seed-002-headers" {
			return c
		}
	}
	t.Fatal("docs/protocol.md §2.4 R1 is not among the golden vectors")
	return corpus.Case{}
}

func TestAlternatives(t *testing.T) {
	t.Parallel()
	r1 := r1(t)
	m := r1.Input.Message()
	alts := corpus.Alternatives(signature.ROA, &m, signature.Secret(r1.Input.Secret))
	require.Len(t, alts, 1, "R1 has an empty value (env) and a path that needs no escaping: one alternative")
	a := alts[0]
	require.Len(t, a.Forms, 1)
	assert.Equal(t, signature.AspectROAEmptyValue, a.Forms[0].Aspect)
	assert.Equal(t, "k=", a.Forms[0].Variant)
	assert.Equal(t, strings.Replace(r1.Expect.StringToSign, "&env&", "&env=&", 1), a.Artifacts.StringToSign,
		"the k= form differs from R1 only in the empty value (docs/protocol.md §9 F8)")
	assert.Equal(t, strings.Replace(r1.Expect.Canonical, "&env&", "&env=&", 1), a.Artifacts.Canonical)
	mac := hmac.New(sha1.New, []byte(r1.Input.Secret))
	mac.Write([]byte(a.Artifacts.StringToSign))
	assert.Equal(t, base64.StdEncoding.EncodeToString(mac.Sum(nil)), a.Artifacts.Signature, "HMAC-SHA1 with the bare secret")
	assert.NotEqual(t, r1.Expect.Signature, a.Artifacts.Signature)

	// A path holding characters to escape and an empty value: both
	// variants, alone and together.
	pm := signature.Message{Method: http.MethodGet, Path: "/instances/a b/vhosts", Query: signature.Params{{Key: "k", Value: ""}},
		Header: http.Header{"Date": {"Fri, 16 Aug 2019 11:18:47 GMT"}, "X-Acs-Version": {"2019-12-12"}}}
	alts = corpus.Alternatives(signature.ROA, &pm, "s")
	require.Len(t, alts, 3)
	ref := signature.SignROA(&pm, "s")
	assert.True(t, strings.HasSuffix(ref.StringToSign, "\n/instances/a b/vhosts?k"))
	var suffixes []string
	for _, a := range alts {
		suffixes = append(suffixes, a.Artifacts.StringToSign[strings.LastIndexByte(a.Artifacts.StringToSign, '\n')+1:])
	}
	assert.ElementsMatch(t, []string{"/instances/a b/vhosts?k=", "/instances/a%20b/vhosts?k", "/instances/a%20b/vhosts?k="}, suffixes)

	for _, st := range []signature.Style{signature.RPC, signature.V3} {
		assert.Nil(t, corpus.Alternatives(st, &pm, "s"), "%s signers agree: no alternative", st)
	}
	plain := signature.Message{Method: http.MethodGet, Path: "/groups", Query: signature.Params{{Key: "a", Value: "1"}}, Header: http.Header{}}
	assert.Nil(t, corpus.Alternatives(signature.ROA, &plain, "s"), "nothing to sign otherwise: no alternative")
}
