package signature

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Native fuzz targets for every parser of untrusted input and every
// encode/sign/verify pair. Their seeds (f.Add below, and the regression
// inputs kept under testdata/fuzz/) run in every `go test`; fuzz one with
//
//	go test -run '^$' -fuzz '^FuzzPercentEncode$' -fuzztime 60s ./signature/

// fuzzTricky are values that exercise every encoding rule of docs/protocol.md §1.3
// and the form decoding of §1.5–§1.6.
var fuzzTricky = []string{
	"", " ", "hello world", "a*b", "a~b", "a+b", "t/a/b", "100%", "a=b&c=d",
	`"quoted" 'single'`, "!'()*", "中文", "hello 世", "😀", "é", "\xff\xfe", "\x00",
	"%", "%2", "%zz", "%20", "%7E", "+", "~", "\t\r\n", "Key.10", "\u00a0nbsp\u0085",
}

// sdkPercentEncode is the SDK recipe of docs/protocol.md §1.3: url.QueryEscape, then
// "+" → "%20", "*" → "%2A", "%7E" → "~".
func sdkPercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

func FuzzPercentEncode(f *testing.F) {
	for _, s := range fuzzTricky {
		f.Add(s)
	}
	f.Add(strings.Repeat("中 ", 500))
	f.Add("Signature=xxxx%xxxx%3D")
	f.Fuzz(func(t *testing.T, s string) {
		enc := PercentEncode(s)
		for i := 0; i < len(enc); i++ {
			c := enc[i]
			if unreserved[c] {
				continue
			}
			require.Equal(t, byte('%'), c, "PercentEncode(%q) = %q: byte %d is neither unreserved nor an escape", s, enc, i)
			require.Less(t, i+2, len(enc), "PercentEncode(%q) = %q: truncated escape", s, enc)
			require.True(t, strings.IndexByte(upperhex, enc[i+1]) >= 0 && strings.IndexByte(upperhex, enc[i+2]) >= 0,
				"PercentEncode(%q) = %q: escape at %d is not uppercase hex", s, enc, i)
			i += 2
		}
		assert.Equal(t, sdkPercentEncode(s), enc, "PercentEncode must equal the SDK recipe (docs/protocol.md §1.3)")
		assert.Equal(t, enc, string(AppendPercentEncode(nil, s)))
		assert.Equal(t, enc, string(AppendQueryEscape(nil, s, false)), "AppendQueryEscape with %%20 is PercentEncode")
		assert.Equal(t, PercentEncode(enc), string(appendDoubleEncode(nil, s)), "appendDoubleEncode is PercentEncode twice")

		plus := string(AppendQueryEscape(nil, s, true))
		assert.Equal(t, url.QueryEscape(s), plus, "the wire form is Go's url.QueryEscape (docs/protocol.md §1.5)")

		for _, wire := range []string{enc, plus} {
			got, err := ParseQuery(nil, "k="+wire)
			require.NoError(t, err, "ParseQuery(%q)", "k="+wire)
			require.Equal(t, Params{{"k", s}}, got, "ParseQuery must decode %q back to %q", wire, s)
		}
	})
}

// sameAsURLValues checks ParseQuery's result against url.ParseQuery, the
// decoder of Go gateways, whenever the latter accepts raw.
func sameAsURLValues(t *testing.T, raw string, got Params) {
	want, err := url.ParseQuery(raw)
	if err != nil {
		// Ours accepts ';' in a name and any number of parameters; an
		// escape error is a real disagreement.
		var esc url.EscapeError
		assert.False(t, errors.As(err, &esc), "ParseQuery accepts %q but url.ParseQuery finds %v", raw, err)
		return
	}
	grouped := url.Values{}
	for _, p := range got {
		grouped[p.Key] = append(grouped[p.Key], p.Value)
	}
	assert.Equal(t, want, grouped, "ParseQuery(%q) must decode as url.ParseQuery does", raw)
}

func FuzzVerifyRPCQuery(f *testing.F) {
	const captured = "AccessKeyId=testid&Action=SendMessage&Format=JSON&InstanceId=mqtt-cn-test&MqttTopic=t%2Fa%2Fb" +
		"&Payload=hello+%E4%B8%96%E7%95%8C&Qos=1&RegionId=cn-hangzhou&Signature=l1mh%2F7Sfasz9n80YY%2BBffODWp1Q%3D" +
		"&SignatureMethod=HMAC-SHA1&SignatureNonce=15215528852396&SignatureType=&SignatureVersion=1.0" +
		"&Timestamp=2020-05-19T10%3A33%3A56Z&Version=2020-04-20"
	for _, raw := range []string{
		captured,
		strings.ReplaceAll(captured, "+", "%20"),
		"Signature=xxxx%xxxx%3D", // seed 004: a malformed escape
		"a=1&a=2&Signature=x&Signature=y",
		"=&=v&k&&&k2=",
		"Payload=a*b~c%2A%7e%7E",
		"q=%22quoted%22&s=%27single%27&t=%E4%B8%AD%F0%9F%98%80&u=%FF%FE%00",
		"semi;colon=1&k=v;w",
		"%",
		"k=%2",
		"k=%G0",
		"TimeStamp=2016-02-23T12%3A46%3A24Z&Timestamp=",
		"Key.10=a&Key.2=b&key.1=c&KEY=d",
		strings.Repeat("Key.N=v&", 300),
		strings.Repeat("&", 100),
	} {
		for _, method := range []string{"GET", "POST"} {
			f.Add(raw, method, "testsecret")
		}
	}
	f.Add("x=y", "", "")
	f.Add("x=y", "get", "\xff中&")

	f.Fuzz(func(t *testing.T, raw, method, secret string) {
		params, err := ParseQuery(nil, raw)
		if err != nil {
			var esc *EscapeError
			require.True(t, errors.As(err, &esc), "ParseQuery(%q) failed with %T, not an *EscapeError", raw, err)
			require.True(t, esc.Offset >= 0 && esc.Offset < len(raw) && raw[esc.Offset] == '%',
				"EscapeError.Offset %d of %q must point at a '%%'", esc.Offset, raw)
			_, uerr := url.ParseQuery(raw)
			require.Error(t, uerr, "ParseQuery rejects %q but url.ParseQuery accepts it", raw)
			return
		}
		sameAsURLValues(t, raw, params)

		s := Secret(secret)
		art := SignRPC(method, params, s)
		wire := params.Clone().Set(ParamSignature, art.Signature)
		require.Equal(t, 1, wire.Count(ParamSignature))

		for _, spaceAsPlus := range []bool{true, false} {
			q := string(AppendQuery(nil, wire, spaceAsPlus))
			got, err := ParseQuery(nil, q)
			require.NoError(t, err, "our own wire form %q must parse", q)
			require.Equal(t, wire, got, "AppendQuery then ParseQuery must give the parameters back")
			srv, ok := VerifyRPC(method, got, s)
			require.True(t, ok, "VerifyRPC must accept a request signed by SignRPC (wire %q)", q)
			require.Equal(t, art, srv, "server artefacts must equal the client's")
		}

		sig := []byte(art.Signature)
		for i := range sig {
			sig[i] ^= 1
			_, ok := VerifyRPC(method, wire.Clone().Set(ParamSignature, string(sig)), s)
			sig[i] ^= 1
			require.False(t, ok, "VerifyRPC accepted a signature with byte %d flipped", i)
		}
		_, ok := VerifyRPC(method, wire.Without(ParamSignature), s)
		require.False(t, ok, "a request without Signature must not verify")

		// The load generator's template must sign exactly as SignRPC does.
		if method == "" {
			return
		}
		tpl, err := NewRPCTemplate(method, params, s)
		require.NoError(t, err)
		nonce, ts := []byte("0123456789abcdef0123456789abcdef"), []byte("2020-05-19T10:33:56Z")
		ref := params.Without(ParamSignatureNonce).Without(ParamTimestamp).
			Set(ParamSignatureNonce, string(nonce)).Set(ParamTimestamp, string(ts))
		want := SignRPC(method, ref, s)
		require.Equal(t, want.StringToSign, string(tpl.AppendStringToSign(nil, nonce, ts)), "template string to sign")
		gotSig := tpl.AppendSignature(nil, nonce, ts)
		require.Equal(t, want.Signature, string(gotSig), "template signature")
		got, err := ParseQuery(nil, string(tpl.AppendQuery(nil, gotSig, nonce, ts)))
		require.NoError(t, err)
		_, ok = VerifyRPC(method, got, s)
		require.True(t, ok, "the template's wire query must verify")
	})
}

// validHeaderName and validHeaderValue are the rules of
// golang.org/x/net/http/httpguts (RFC 7230 §3.2: a name is a token; a value
// holds no control byte but HTAB), copied because importing httpguts would
// pull golang.org/x/text into go.sum.
func validHeaderName(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// fuzzMessage builds a client-side message of the given style from fuzz
// strings: the common headers as the Builder sets them, one query pair, and
// one extra x-acs-* header (suffix, or the whole name when it has the
// prefix in any case) whose name is set as is (canonical=false, as a
// literal http.Header would hold it) or canonicalized. ok is false when the
// inputs cannot be sent in an HTTP/1.1 request.
func fuzzMessage(style Style, path, qk, qv, suffix, hval string, canonical bool) (m Message, ok bool) {
	name := suffix
	if !hasPrefixFold(name, acsPrefix) {
		name = acsPrefix + suffix
	}
	if !validHeaderName(name) || !validHeaderValue(hval) {
		return m, false
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	h := http.Header{}
	m = Message{Host: "mqtt.example.com", Path: path, Query: Params{{qk, qv}}, Header: h}
	if style == ROA {
		m.Method = http.MethodGet
		h.Set(HeaderAccept, "application/json")
		h.Set(HeaderContentMD5, EmptyMD5)
		h.Set(HeaderDate, "Tue, 19 May 2020 10:33:56 GMT")
		h.Set(HeaderACSSignatureMethod, SignatureMethodHMACSHA1)
		h.Set(HeaderACSSignatureVersion, SignatureVersion10)
	} else {
		m.Method = http.MethodPost
		h.Set(HeaderAccept, "application/json")
		h.Set(HeaderACSDate, "2020-05-19T10:33:56Z")
		h.Set(HeaderACSContentSHA256, EmptySHA256)
	}
	h.Set(HeaderACSNonce, "15215528852396")
	h.Set(HeaderACSVersion, "2020-04-20")
	h.Set(HeaderACSAction, "SendMessage")
	if canonical {
		h.Add(name, hval)
	} else {
		h[name] = append(h[name], hval)
	}
	return m, true
}

// overTheWire sends m (with its Authorization) through HTTP/1.1 framing and
// returns the message a Go gateway reads back with NewMessage.
func overTheWire(t *testing.T, m *Message) Message {
	var b bytes.Buffer
	b.WriteString(m.Method + " ")
	b.Write(AppendV3CanonicalURI(nil, rootPath(m.Path)))
	if len(m.Query) > 0 {
		b.WriteByte('?')
		b.Write(AppendQuery(nil, m.Query, true))
	}
	b.WriteString(" HTTP/1.1\r\nHost: " + m.Host + "\r\n")
	require.NoError(t, m.Header.Write(&b))
	b.WriteString("\r\n")
	r, err := http.ReadRequest(bufio.NewReader(&b))
	require.NoError(t, err, "request %q", b.String())
	srv, err := NewMessage(r)
	require.NoError(t, err)
	require.Equal(t, rootPath(m.Path), srv.Path, "the path must survive the wire")
	require.Equal(t, m.Query, srv.Query, "the query must survive the wire")
	return srv
}

// withPerRequest returns a copy of m whose time header and nonce header (any
// spelling) hold date and nonce: what a template signs for one request.
func withPerRequest(m *Message, timeHeader, date, nonce string) Message {
	c := *m
	c.Header = http.Header{}
	for k, v := range m.Header {
		if !strings.EqualFold(k, timeHeader) && !strings.EqualFold(k, HeaderACSNonce) {
			c.Header[k] = slices.Clone(v)
		}
	}
	c.Header.Set(timeHeader, date)
	c.Header.Set(HeaderACSNonce, nonce)
	return c
}

func addMessageSeeds(f *testing.F, auths []string) {
	for i, auth := range auths {
		v := fuzzTricky[i%len(fuzzTricky)]
		f.Add(auth, "/pop/v1/wam/appEnv", "appName", "my app", "region-id", "cn-hangzhou", true)
		f.Add(auth, "/a b/中/😀/%2F/~*+", v, v, "fuzz", " "+strings.TrimSpace(v)+"\t", i%2 == 0)
	}
	for _, v := range fuzzTricky {
		f.Add("", "/"+v, v, v, "x", strings.Map(func(r rune) rune {
			if r < ' ' && r != '\t' {
				return -1
			}
			return r
		}, v), false)
	}
	f.Add("", "", "", "", "a", "", false)
	f.Add("", "//double//slash/", "k", "", "A", "\t", true)
	f.Add("", "/p", "k", "v", "X-ACS-VERSION", "2019-12-12", false)
	f.Add("", "/p", "k", "\x00time\x00", "foo", "bar", true) // the template slot markers as data
	f.Add("", "/p\x00nonce\x00", "k", "v", "foo", "bar", true)
}

func FuzzParseROAAuthorization(f *testing.F) {
	addMessageSeeds(f, []string{
		"acs testid:2rXqNgu4HORw6Wmy+g00DrYY7Xg=",
		"acs testid:", "acs :sig", "acs a b:sig", "acs\ttestid:sig", "ACS testid:sig", "acs  testid:sig",
		"acs testid:sig:with:colons", "acs 中文:😀", "acs \xff:\xfe", " acs testid:sig ", "acs", "",
		"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature=00",
	})
	f.Fuzz(func(t *testing.T, auth, path, qk, qv, suffix, hval string, canonical bool) {
		id, sig, err := ParseROAAuthorization(auth)
		if err == nil {
			require.NotEmpty(t, id)
			require.NotEmpty(t, sig)
			require.Equal(t, auth, ROAAuthorization(id, sig), "an accepted Authorization must round-trip")
		} else {
			require.ErrorIs(t, err, ErrNotROA)
		}

		m, ok := fuzzMessage(ROA, path, qk, qv, suffix, hval, canonical)
		if !ok {
			return
		}
		const secret = Secret("testsecret")
		art := SignROA(&m, secret)
		m.Header.Set(HeaderAuthorization, ROAAuthorization("testid", art.Signature))
		srv, ok := VerifyROA(&m, secret)
		require.True(t, ok, "VerifyROA must accept what SignROA signed; string to sign %q", art.StringToSign)
		require.Equal(t, art, srv)

		wire := overTheWire(t, &m)
		srv, ok = VerifyROA(&wire, secret)
		require.True(t, ok, "a gateway must verify the request as sent:\nclient %q\nserver %q", art.StringToSign, srv.StringToSign)

		m.Header.Del(HeaderAuthorization)
		tpl, err := NewROATemplate(&m, secret)
		if strings.Contains(path+qk+qv, "\x00") {
			return // may hold the template's slot markers, which it refuses
		}
		require.NoError(t, err)
		date, nonce := "Wed, 20 May 2020 01:02:03 GMT", "0123456789abcdef0123456789abcdef"
		ref := withPerRequest(&m, HeaderDate, date, nonce)
		want := SignROA(&ref, secret)
		require.Equal(t, want.StringToSign, string(tpl.AppendStringToSign(nil, []byte(date), []byte(nonce))), "template string to sign")
		require.Equal(t, want.Signature, string(tpl.AppendSignature(nil, []byte(date), []byte(nonce))), "template signature")
	})
}

func FuzzParseV3Authorization(f *testing.F) {
	addMessageSeeds(f, []string{
		"ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
		"ACS3-HMAC-SHA256 Signature=00, SignedHeaders=host , Credential=id",
		"ACS3-HMAC-SHA256 Credential=a=b,SignedHeaders=;;,Signature= x",
		"ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=00",
		"ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=00,",
		"ACS3-HMAC-SHA256 Credential=a,SignedHeaders=,Signature=00",
		"ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00",
		"ACS3-HMAC-SHA256\tCredential=a,SignedHeaders=host,Signature=00",
		"ACS3-HMAC-SHA256   Credential=中\u00a0,SignedHeaders=host,Signature=😀\xff",
		"ACS3-HMAC-SHA256 Credential=a,Foo=b,SignedHeaders=host,Signature=00",
		"acs testid:sig", "ACS3-", "",
	})
	f.Fuzz(func(t *testing.T, auth, path, qk, qv, suffix, hval string, canonical bool) {
		a, err := ParseV3Authorization(auth)
		if err == nil {
			again, err := ParseV3Authorization(a.String())
			require.NoError(t, err, "String() of an accepted Authorization %q must parse: %q", auth, a.String())
			require.Equal(t, a, again, "an accepted Authorization must round-trip through String()")
		} else {
			require.ErrorIs(t, err, ErrNotV3)
		}

		m, ok := fuzzMessage(V3, path, qk, qv, suffix, hval, canonical)
		if !ok {
			return
		}
		const secret = Secret("testsecret")
		signed := V3SignedHeaders(&m)
		art := SignV3(&m, signed, secret)
		m.Header.Set(HeaderAuthorization, V3Auth{V3Algorithm, "testid", signed, art.Signature}.String())
		require.Empty(t, UnsignedV3Headers(&m, signed))
		srv, ok := VerifyV3(&m, secret)
		require.True(t, ok, "VerifyV3 must accept what SignV3 signed; canonical request %q", art.Canonical)
		require.Equal(t, art, srv)

		wire := overTheWire(t, &m)
		srv, ok = VerifyV3(&wire, secret)
		require.True(t, ok, "a gateway must verify the request as sent:\nclient %q\nserver %q", art.Canonical, srv.Canonical)

		m.Header.Del(HeaderAuthorization)
		tpl, err := NewV3Template(&m, secret)
		require.NoError(t, err, "V3 percent-encodes the path and query, so no input can forge a slot marker")
		date, nonce := "2020-05-20T01:02:03Z", "0123456789abcdef0123456789abcdef"
		ref := withPerRequest(&m, HeaderACSDate, date, nonce)
		refSigned := V3SignedHeaders(&ref)
		want := SignV3(&ref, refSigned, secret)
		require.Equal(t, strings.Join(refSigned, ";"), tpl.SignedHeaders(), "template SignedHeaders")
		require.Equal(t, want.Canonical, string(tpl.AppendCanonicalRequest(nil, []byte(date), []byte(nonce))), "template canonical request")
		require.Equal(t, want.Signature, string(tpl.AppendSignature(nil, []byte(date), []byte(nonce))), "template signature")
	})
}
