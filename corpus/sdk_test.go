package corpus_test

import (
	"bufio"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	darautil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	sdkutils "github.com/aliyun/alibaba-cloud-sdk-go/sdk/utils"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/internal/race"
	"github.com/acsharness/acsharness/signature"
)

// sdkRandom is the number of random cases per style that
// TestExportVerifiedBySDKs exports and re-verifies from the files. The
// signer check of the openapi-util adapter (examples/signers) runs the same
// generators over 2,000 cases per style through the SDK, without files.
const sdkRandom = 100

// TestExportVerifiedBySDKs exports a corpus, reads it back from its files
// alone, and re-verifies every case with the official Go SDK signers:
// alibaba-cloud-sdk-go's RPC recipe (its exported GetUrlFormedMap and
// ShaHmac1, the body of buildRpcStringToSign), openapi-util and darabonba
// for all three styles. Then it parses signed.http as a gateway would and
// verifies it. The corpus cannot drift from the SDKs: any case they sign
// differently fails here.
func TestExportVerifiedBySDKs(t *testing.T) {
	race.Skip(t, "the SDK signers' arithmetic over every exported case, which the detector only slows")
	t.Parallel()
	cases, err := corpus.Build(corpus.Options{Random: sdkRandom, Seed: 7})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "corpus")
	require.NoError(t, corpus.Export(dir, cases, corpus.Index{Generator: "test", Seed: 7, RandomPerStyle: sdkRandom}))
	idx, got, err := corpus.Load(dir)
	require.NoError(t, err)
	require.Len(t, got, len(cases), "every case exported is read back")
	assert.Equal(t, uint64(7), idx.Seed)
	assert.Equal(t, cases, got, "the files hold exactly the cases built")

	counts := map[signature.Style]int{}
	for _, c := range got {
		counts[c.Input.Style]++
		t.Run(c.Input.ID, func(t *testing.T) {
			folder := filepath.Join(dir, filepath.FromSlash(c.Input.ID))
			if len(c.Variant) > 0 {
				// A vector of a form the Go SDKs do not sign (a TypeScript
				// SDK's, say): they are held to the reference form of it.
				ref, err := corpus.Sign(&c.Input)
				require.NoError(t, err)
				c.Expect = ref
			}
			switch c.Input.Style {
			case signature.RPC:
				sdkRPC(t, c)
			case signature.ROA:
				sdkROA(t, c)
			case signature.V3:
				sdkV3(t, c)
			default:
				t.Fatalf("unknown style %q", c.Input.Style)
			}
			if len(c.Variant) == 0 {
				verifyWire(t, c, folder)
			}
		})
	}
	for _, st := range signature.Styles {
		assert.Greater(t, counts[st], sdkRandom, "style %s: the golden vectors and %d random cases", st, sdkRandom)
	}
}

// sdkMap is pairs as the string-pointer map the tea and dara SDKs take,
// names lowercased with lower (tea.String and dara.String are both
// func(string) *string).
func sdkMap(pairs []corpus.Pair, lower bool) map[string]*string {
	m := map[string]*string{}
	for _, kv := range pairs {
		k := kv[0]
		if lower {
			k = strings.ToLower(k)
		}
		m[k] = tea.String(kv[1])
	}
	return m
}

func sdkRPC(t *testing.T, c corpus.Case) {
	in := c.Input
	all := map[string]string{}
	for _, kv := range append(append([]corpus.Pair{}, in.Query...), in.Form...) {
		_, dup := all[kv[0]]
		require.False(t, dup, "the SDKs hold parameters in a map: %q must not repeat", kv[0])
		all[kv[0]] = kv[1]
	}
	// alibaba-cloud-sdk-go, sdk/auth/rpc_signature_composer.go buildRpcStringToSign.
	canonical := sdkutils.GetUrlFormedMap(all)
	canonical = strings.ReplaceAll(canonical, "+", "%20")
	canonical = strings.ReplaceAll(canonical, "*", "%2A")
	canonical = strings.ReplaceAll(canonical, "%7E", "~")
	assert.Equal(t, canonical, c.Expect.Canonical, "canonical.txt must be aliyun-sdk's canonical query")
	sts := in.Method + "&%2F&" + url.QueryEscape(canonical)
	assert.Equal(t, sts, c.Expect.StringToSign, "string-to-sign.txt must be aliyun-sdk's")
	assert.Equal(t, sdkutils.ShaHmac1(sts, in.Secret+"&"), c.Expect.Signature, "signature.txt must be aliyun-sdk's ShaHmac1")

	tm, dm := sdkMap(append(append([]corpus.Pair{}, in.Query...), in.Form...), false), sdkMap(append(append([]corpus.Pair{}, in.Query...), in.Form...), false)
	assert.Equal(t, c.Expect.Signature, tea.StringValue(openapiutil.GetRPCSignature(tm, tea.String(in.Method), tea.String(in.Secret))), "openapi-util GetRPCSignature")
	assert.Equal(t, c.Expect.Signature, dara.StringValue(darautil.GetRPCSignature(dm, dara.String(in.Method), dara.String(in.Secret))), "darabonba GetRPCSignature")

	// The final URL is aliyun-sdk's: every query parameter and the
	// Signature, url.Values-encoded.
	q := map[string]string{signature.ParamSignature: c.Expect.Signature}
	for _, kv := range in.Query {
		q[kv[0]] = kv[1]
	}
	assert.Equal(t, "https://"+in.Host+"/?"+sdkutils.GetUrlFormedMap(q), c.Expect.URL, "url.txt must be the URL aliyun-sdk sends")
	if len(in.Form) > 0 {
		f := map[string]string{}
		for _, kv := range in.Form {
			f[kv[0]] = kv[1]
		}
		assert.Equal(t, sdkutils.GetUrlFormedMap(f), in.Body, "the form body is aliyun-sdk's encoding of form")
	}
}

func sdkROA(t *testing.T, c corpus.Case) {
	in := c.Input
	seen := map[string]bool{}
	for _, kv := range in.Headers {
		require.False(t, seen[strings.ToLower(kv[0])], "the SDKs hold headers in a map: %q must not repeat", kv[0])
		seen[strings.ToLower(kv[0])] = true
	}
	// The SDKs read the four standard headers by lowercase name and always
	// write their line (absent: empty).
	th, dh := sdkMap(in.Headers, true), sdkMap(in.Headers, true)
	for _, h := range []string{"accept", "content-md5", "content-type", "date"} {
		if _, ok := th[h]; !ok {
			th[h], dh[h] = tea.String(""), dara.String("")
		}
	}
	sts := tea.StringValue(openapiutil.GetStringToSign(&tea.Request{Method: tea.String(in.Method), Pathname: tea.String(in.Path), Headers: th, Query: sdkMap(in.Query, false)}))
	assert.Equal(t, sts, c.Expect.StringToSign, "string-to-sign.txt must be openapi-util's GetStringToSign")
	dsts := dara.StringValue(darautil.GetStringToSign(&dara.Request{Method: dara.String(in.Method), Pathname: dara.String(in.Path), Headers: dh, Query: sdkMap(in.Query, false)}))
	assert.Equal(t, sts, dsts, "darabonba GetStringToSign must agree")
	assert.Equal(t, tea.StringValue(openapiutil.GetROASignature(tea.String(sts), tea.String(in.Secret))), c.Expect.Signature, "signature.txt must be openapi-util's GetROASignature")
	assert.Equal(t, dara.StringValue(darautil.GetROASignature(dara.String(sts), dara.String(in.Secret))), c.Expect.Signature, "darabonba GetROASignature")
	assert.Equal(t, "acs "+in.AccessKeyID+":"+c.Expect.Signature, c.Expect.Authorization, "authorization.txt")
	lines := strings.SplitN(sts, "\n", 6)
	require.Len(t, lines, 6, "a ROA string to sign has five standard lines")
	assert.Equal(t, lines[5], c.Expect.Canonical, "canonical.txt is what follows the five standard lines")
	if v := headerOf(in.Headers, "Content-MD5"); v != "" {
		sum := md5.Sum([]byte(in.Body))
		assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), v, "Content-MD5 must be the body's")
	}
}

func sdkV3(t *testing.T, c corpus.Case) {
	in := c.Input
	payload := headerOf(in.Headers, signature.HeaderACSContentSHA256)
	sum := sha256.Sum256([]byte(in.Body))
	require.Equal(t, hex.EncodeToString(sum[:]), payload, "x-acs-content-sha256 must be the body's hash")
	th, dh := sdkMap(in.Headers, false), sdkMap(in.Headers, false)
	th["host"], dh["host"] = tea.String(in.Host), dara.String(in.Host)
	path := openapiutil.GetEncodePath(tea.String(in.Path))
	auth := tea.StringValue(openapiutil.GetAuthorization(&tea.Request{Method: tea.String(in.Method), Pathname: path, Headers: th, Query: sdkMap(in.Query, false)},
		tea.String(signature.V3Algorithm), tea.String(payload), tea.String(in.AccessKeyID), tea.String(in.Secret)))
	assert.Equal(t, auth, c.Expect.Authorization, "authorization.txt must be openapi-util's GetAuthorization")
	dauth := dara.StringValue(darautil.GetAuthorization(&dara.Request{Method: dara.String(in.Method), Pathname: path, Headers: dh, Query: sdkMap(in.Query, false)},
		dara.String(signature.V3Algorithm), dara.String(payload), dara.String(in.AccessKeyID), dara.String(in.Secret)))
	assert.Equal(t, auth, dauth, "darabonba GetAuthorization must agree")
	assert.True(t, strings.HasSuffix(auth, ",Signature="+c.Expect.Signature), "signature.txt must be the SDK's Signature")
	csum := sha256.Sum256([]byte(c.Expect.Canonical))
	assert.Equal(t, signature.V3Algorithm+"\n"+hex.EncodeToString(csum[:]), c.Expect.StringToSign, "string-to-sign.txt must carry sha256(canonical.txt)")
	mac := hmac.New(sha256.New, []byte(in.Secret))
	mac.Write([]byte(c.Expect.StringToSign))
	assert.Equal(t, hex.EncodeToString(mac.Sum(nil)), c.Expect.Signature, "HMAC-SHA256(secret, string-to-sign.txt) must be signature.txt")
}

func headerOf(h []corpus.Pair, name string) string {
	for _, kv := range h {
		if strings.EqualFold(kv[0], name) {
			return kv[1]
		}
	}
	return ""
}

// verifyWire reads signed.http as a gateway reads a request off the wire
// and verifies it; request.http must be the same request less its
// signature.
func verifyWire(t *testing.T, c corpus.Case, folder string) {
	read := func(name string) *http.Request {
		f, err := os.Open(filepath.Join(folder, name))
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		r, err := http.ReadRequest(bufio.NewReader(f))
		require.NoError(t, err, "%s must parse as an HTTP request", name)
		return r
	}
	r := read(corpus.FileSigned)
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, c.Input.Body, string(body), "the body of signed.http")
	secret := signature.Secret(c.Input.Secret)
	switch c.Input.Style {
	case signature.RPC:
		params, err := signature.ParseQuery(nil, r.URL.RawQuery)
		require.NoError(t, err)
		if len(c.Input.Form) > 0 {
			params, err = signature.ParseQuery(params, string(body))
			require.NoError(t, err)
		}
		_, ok := signature.VerifyRPC(r.Method, params, secret)
		assert.True(t, ok, "signed.http must verify: %s %s", r.Method, r.URL)
	default:
		m, err := signature.NewMessage(r)
		require.NoError(t, err)
		var ok bool
		if c.Input.Style == signature.ROA {
			_, ok = signature.VerifyROA(&m, secret)
		} else {
			_, ok = signature.VerifyV3(&m, secret)
		}
		assert.True(t, ok, "signed.http must verify: %s %s", r.Method, r.URL)
	}
	u := read(corpus.FileRequest)
	assert.Empty(t, u.Header.Get("Authorization"), "request.http carries no signature")
	assert.NotContains(t, u.URL.RawQuery, "Signature=", "request.http carries no signature")
}
